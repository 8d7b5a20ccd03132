using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CustomerSuccess.Functions.Renewals;

/// <summary>The renewal forecast as JSON (function-key auth); the page is in Pages.</summary>
internal static class RenewalsEndpoints
{
    internal sealed record ErrorResponse(string Error);

    /// <summary><c>GET /api/renewals</c>: every paying account renewing in the next 120 days with its category, and the roll-ups. See <see cref="RenewalForecaster"/>.</summary>
    public static async Task<Results<Ok<RenewalForecast>, JsonHttpResult<ErrorResponse>>> ForecastAsync(RenewalForecastReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await reader.ReadAsync(cancellationToken));
        }
        catch (TableStorageUnavailableException)
        {
            return TypedResults.Json(new ErrorResponse("storage unavailable, retry later"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
