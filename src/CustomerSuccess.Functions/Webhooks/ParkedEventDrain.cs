using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>When an admin links an id, the events parked under it go through the applier like any page.</summary>
internal sealed class ParkedEventDrain(WebhookApplier applier) : IAccountLinkListener
{
    public async Task<int> LinkedAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken) =>
        (await applier.DrainAsync(kind, externalId, cancellationToken)).Applied;
}
