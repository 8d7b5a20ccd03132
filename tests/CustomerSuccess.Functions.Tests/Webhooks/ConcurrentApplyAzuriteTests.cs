using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>Sweeps on Azurite: many deliveries for one account at once (ETag races retried, nothing counted twice or lost), and the grace left to the in-process applier.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ConcurrentApplyAzuriteTests
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly RestTableStore _store;
    private readonly WebhookDeliveryStore _deliveries;
    private readonly AccountEventApplier _applier;

    public ConcurrentApplyAzuriteTests(AzuriteFixture azurite)
    {
        _store = TableStoreTestKit.CreateStore(azurite.ConnectionString);
        _deliveries = new WebhookDeliveryStore(_store);
        _applier = TestAppliers.Create(_store, new ManualTimeProvider(Now), deliveries: _deliveries);
    }

    [Fact]
    public async Task Sweep_FortyFailedPaymentsForOneAccountEightAtATime_CountsEachOnce()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var account = "conc-" + suffix;
        var customer = "cus_conc" + suffix;
        await _applier.LinkAsync(account, ExternalIdKinds.StripeCustomer, customer, CancellationToken.None);

        for (var i = 0; i < 40; i++)
        {
            await StripeFixture.StoreAsync(_deliveries, "invoice.payment_failed", StripeFixture.ForCustomer("invoice.payment_failed.json", $"evt_conc_{suffix}_{i:D2}", customer), Now);
        }

        // Other tests' deliveries may share this Azurite: apply everything unapplied, then look at this account only.
        var sweep = await _applier.ApplyStoredAsync(unappliedOnly: true, provider: null, max: int.MaxValue, concurrency: 8, CancellationToken.None);
        var again = await _applier.ApplyStoredAsync(unappliedOnly: true, provider: WebhookProvider.Stripe, max: int.MaxValue, concurrency: 8, CancellationToken.None);
        var day = await _store.GetAsync(AccountSignalWriter.Table, account, "day|2025-11-22");

        Assert.True(sweep.Applied >= 40, $"applied {sweep.Applied}, failed {sweep.Failed}");
        Assert.Equal(0, sweep.Failed);
        Assert.Equal(0, again.Applied);
        Assert.Equal(40, day!.GetInt64("PaymentsFailed"));
    }

    [Fact]
    public async Task Sweep_WithCutoff_TakesOnlyDeliveriesReceivedBeforeIt()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Stripe", "invoice.payment_failed.json"));
        var old = new WebhookEvent("evt_old_" + suffix, "invoice.payment_failed", null, json);
        var fresh = new WebhookEvent("evt_fresh_" + suffix, "invoice.payment_failed", null, json);
        await _deliveries.InsertAsync(WebhookProvider.Stripe, old, new Dictionary<string, string>(), Now.AddMinutes(-5), CancellationToken.None);
        await _deliveries.InsertAsync(WebhookProvider.Stripe, fresh, new Dictionary<string, string>(), Now.AddSeconds(-10), CancellationToken.None);

        await _applier.ApplyStoredAsync(unappliedOnly: true, provider: WebhookProvider.Stripe, max: int.MaxValue, concurrency: 4, CancellationToken.None, receivedBefore: Now.AddSeconds(-60));

        Assert.True((await _deliveries.GetAsync(WebhookProvider.Stripe, old.EventId, CancellationToken.None))!.GetBoolean("Applied"));
        Assert.False((await _deliveries.GetAsync(WebhookProvider.Stripe, fresh.EventId, CancellationToken.None))!.GetBoolean("Applied"));
    }
}
