namespace CustomerSuccess.Functions.Accounts;

/// <summary>The admin's link: make it (or find it made) and have the events parked under the id applied.</summary>
internal sealed class AccountLinking(AccountIdentity identity, IAccountLinkListener listener)
{
    public async Task<(LinkOutcome Outcome, string AccountId, int Applied)> LinkAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken)
    {
        var (outcome, owner) = await identity.LinkAsync(accountId, kind, externalId, cancellationToken);
        if (outcome == LinkOutcome.LinkedToAnotherAccount)
        {
            return (outcome, owner, 0);
        }

        // Also when it was linked already: events parked in a race with an earlier link are applied now.
        return (outcome, owner, await listener.LinkedAsync(owner, kind, externalId, cancellationToken));
    }
}
