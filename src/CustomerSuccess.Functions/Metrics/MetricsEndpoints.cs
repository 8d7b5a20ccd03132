using System.Globalization;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CustomerSuccess.Functions.Metrics;

/// <summary>The CS metrics endpoint (function-key auth).</summary>
internal static class MetricsEndpoints
{
    internal sealed record ErrorResponse(string Error);

    /// <summary>
    /// <c>GET /api/metrics?from=yyyy-MM-dd&amp;to=yyyy-MM-dd&amp;segment=Smb|MidMarket|Enterprise</c>: revenue retention,
    /// time to value, onboarding and QBR completion, alert SLA attainment over the period (both days included;
    /// <c>to</c> defaults to today, <c>from</c> to 30 days before <c>to</c>; no segment = all). See <see cref="CustomerSuccessMetrics"/>.
    /// </summary>
    public static async Task<Results<Ok<CustomerSuccessMetrics>, BadRequest<ErrorResponse>, JsonHttpResult<ErrorResponse>>> MetricsAsync(
        string? from, string? to, string? segment, CustomerSuccessMetricsReader reader, TimeProvider time, CancellationToken cancellationToken)
    {
        DateOnly? Parse(string? text) => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
        var end = to is null ? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime) : Parse(to);
        var start = from is null ? end?.AddDays(-30) : Parse(from);
        if (start is null || end is null)
        {
            return TypedResults.BadRequest(new ErrorResponse("from and to are dates as yyyy-MM-dd"));
        }

        if (start > end)
        {
            return TypedResults.BadRequest(new ErrorResponse("from must not be after to"));
        }

        AccountSegment? only = null;
        if (!string.IsNullOrEmpty(segment))
        {
            if (!Enum.GetNames<AccountSegment>().Contains(segment, StringComparer.OrdinalIgnoreCase))
            {
                return TypedResults.BadRequest(new ErrorResponse("segment is one of " + string.Join(", ", Enum.GetNames<AccountSegment>())));
            }

            only = Enum.Parse<AccountSegment>(segment, ignoreCase: true);
        }

        try
        {
            return TypedResults.Ok(await reader.ReadAsync(start.Value, end.Value, only, cancellationToken));
        }
        catch (TableStorageUnavailableException)
        {
            return TypedResults.Json(new ErrorResponse("storage unavailable, retry later"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
