namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// The admin's link: make it (or find it made), have the events parked under the id applied, and note the id on the
/// account, so its page lists an id linked by hand before any event arrives under it.
/// </summary>
internal sealed class AccountLinking(AccountIdentity identity, IAccountLinkListener listener, AccountUpdater updater)
{
    public async Task<(LinkOutcome Outcome, string AccountId, int Applied)> LinkAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken)
    {
        var (outcome, owner) = await identity.LinkAsync(accountId, kind, externalId, cancellationToken);
        if (outcome == LinkOutcome.LinkedToAnotherAccount)
        {
            return (outcome, owner, 0);
        }

        // Also when it was linked already: events parked in a race with an earlier link are applied now.
        var applied = await listener.LinkedAsync(owner, kind, externalId, cancellationToken);
        await updater.ChangeAsync(owner, state => state.NoteLinkedId(kind, externalId), cancellationToken);
        return (outcome, owner, applied);
    }
}
