using System.Globalization;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>Admin endpoints of identity resolution and the revenue figures (function-key auth).</summary>
internal static class AccountsEndpoints
{
    private const string StorageUnavailable = "storage unavailable, retry later";

    internal sealed record LinkRequest(string? AccountId, string? Kind, string? ExternalId);

    internal sealed record LinkResponse(string Status, string AccountId, int AppliedPendingEvents);

    internal sealed record LinkConflict(string Error, string AccountId);

    internal sealed record ErrorResponse(string Error);

    public static async Task<Results<Ok<LinkResponse>, Conflict<LinkConflict>, BadRequest<ErrorResponse>, JsonHttpResult<ErrorResponse>>> LinkAsync(LinkRequest request, AccountLinking linking, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.AccountId) || string.IsNullOrWhiteSpace(request.ExternalId) || request.Kind is null || !ExternalIdKinds.All.Contains(request.Kind))
        {
            return TypedResults.BadRequest(new ErrorResponse("accountId, externalId and kind (" + string.Join(", ", ExternalIdKinds.All) + ") are required"));
        }

        var accountId = request.AccountId.Trim();
        if (AccountIds.Problem(accountId) is { } problem)
        {
            return TypedResults.BadRequest(new ErrorResponse("accountId " + problem));
        }

        if (request.ExternalId.Length > AccountEventLimits.MaxIdLength)
        {
            return TypedResults.BadRequest(new ErrorResponse($"externalId is longer than {AccountEventLimits.MaxIdLength} characters"));
        }

        try
        {
            var (outcome, owner, applied) = await linking.LinkAsync(accountId, request.Kind, request.ExternalId.Trim(), cancellationToken);
            return outcome == LinkOutcome.LinkedToAnotherAccount
                ? TypedResults.Conflict(new LinkConflict("already linked to another account", owner))
                : TypedResults.Ok(new LinkResponse(outcome == LinkOutcome.Linked ? "linked" : "already linked", owner, applied));
        }
        catch (TableStorageUnavailableException)
        {
            return TypedResults.Json(new ErrorResponse(StorageUnavailable), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    public static async Task<Results<Ok<IReadOnlyList<UnlinkedId>>, JsonHttpResult<ErrorResponse>>> ListUnlinkedAsync(AccountIdentity identity, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await identity.ListUnlinkedAsync(cancellationToken));
        }
        catch (TableStorageUnavailableException)
        {
            return TypedResults.Json(new ErrorResponse(StorageUnavailable), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>
    /// <c>GET /api/metrics?from=yyyy-MM-dd&amp;to=yyyy-MM-dd</c>: NRR, GRR and logo churn over the period (both days
    /// included; <c>to</c> defaults to today, <c>from</c> to 30 days before <c>to</c>). See <see cref="RevenueMetrics"/>.
    /// </summary>
    public static async Task<Results<Ok<RevenueMetrics>, BadRequest<ErrorResponse>, JsonHttpResult<ErrorResponse>>> MetricsAsync(string? from, string? to, RevenueMetricsReader reader, TimeProvider time, CancellationToken cancellationToken)
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

        try
        {
            return TypedResults.Ok(await reader.ReadAsync(start.Value, end.Value, cancellationToken));
        }
        catch (TableStorageUnavailableException)
        {
            return TypedResults.Json(new ErrorResponse(StorageUnavailable), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
