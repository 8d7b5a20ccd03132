using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// The admin's link: make it (or find it made), have the events parked under the id applied, and note the id on the
/// account, so its page lists an id linked by hand before any event arrives under it.
/// </summary>
internal sealed class AccountLinking(AccountIdentity identity, IAccountLinkListener listener, AccountStateStore states)
{
    private const int WriteAttempts = 5;

    public async Task<(LinkOutcome Outcome, string AccountId, int Applied)> LinkAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken)
    {
        var (outcome, owner) = await identity.LinkAsync(accountId, kind, externalId, cancellationToken);
        if (outcome == LinkOutcome.LinkedToAnotherAccount)
        {
            return (outcome, owner, 0);
        }

        // Also when it was linked already: events parked in a race with an earlier link are applied now.
        var applied = await listener.LinkedAsync(owner, kind, externalId, cancellationToken);
        await NoteOnTheAccountAsync(owner, kind, externalId, cancellationToken);
        return (outcome, owner, applied);
    }

    /// <summary>Adds the id to the account's known ids (not seen in an event yet), unless the account is not known or has it already.</summary>
    private async Task NoteOnTheAccountAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < WriteAttempts; attempt++)
        {
            if (await states.TakeAsync(accountId, cancellationToken) is not { } stored)
            {
                return;
            }

            if (!stored.State.NoteLinkedId(kind, externalId))
            {
                states.Return(stored);
                return;
            }

            if (await states.WriteAsync(stored, stored.State, cancellationToken) is not null)
            {
                return;
            }
        }

        throw new TableStorageUnavailableException($"The state of account {accountId} kept changing while the linked id was noted on it.");
    }
}
