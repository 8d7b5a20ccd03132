using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>An applier wired as the app wires it (quarantine included) over a given store, for tests below the HTTP surface.</summary>
internal static class TestAppliers
{
    public static AccountEventApplier Create(ITableStore store, TimeProvider clock, SignalsOptions? signals = null, WebhookDeliveryStore? deliveries = null, AccountIdentity? identity = null, AccountSignalWriter? writer = null, WebhooksOptions? webhooks = null)
    {
        deliveries ??= new WebhookDeliveryStore(store);
        var quarantine = new WebhookQuarantine(deliveries, new WebhookApplyQueue(), new FixedOptions<WebhooksOptions>(webhooks ?? new WebhooksOptions()), clock, NullLogger<WebhookQuarantine>.Instance);
        return new AccountEventApplier(deliveries, identity ?? new AccountIdentity(store), writer ?? new AccountSignalWriter(store), store, quarantine, new FixedOptions<SignalsOptions>(signals ?? new SignalsOptions()), clock, NullLogger<AccountEventApplier>.Instance);
    }
}
