using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>Admin endpoints of identity resolution (function-key auth).</summary>
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
}
