using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>The readiness checks the features add (applier lag, recompute), on Azurite with a hand-set clock.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ReadinessChecksTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _clock = new(Now);

    private static string StripeInvoicePaid(string id) => new System.Text.Json.Nodes.JsonObject
    {
        ["id"] = id,
        ["object"] = "event",
        ["type"] = "invoice.paid",
        ["created"] = Now.AddMinutes(-4).ToUnixTimeSeconds(),
        ["data"] = new System.Text.Json.Nodes.JsonObject { ["object"] = new System.Text.Json.Nodes.JsonObject { ["object"] = "invoice", ["customer"] = "cus_lag", ["amount_paid"] = 1000 } },
    }.ToJsonString();

    private static Task<HealthCheckResult> CheckAsync(IHealthCheck check) => check.CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task ApplierLag_ADeliveryWaitingPastTheLimit_FailsNamingWhenItArrived_AndPassesOnceApplied()
    {
        await AppTablesTestKit.DeleteTablesAsync(azurite.ConnectionString, WebhookInbox.Table);
        var kit = new IngestionKit(azurite.ConnectionString, _clock);
        var check = new ApplierLagReadinessCheck(kit.Inbox, new FixedOptions<WebhooksOptions>(new WebhooksOptions { ReadinessMaxLagSeconds = 300 }), _clock);
        var stored = await kit.StoreAsync(WebhookProvider.Stripe, "evt_lag_1", "invoice.paid", StripeInvoicePaid("evt_lag_1"), receivedAt: Now.AddMinutes(-4));

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        _clock.Advance(TimeSpan.FromMinutes(2));
        var late = await CheckAsync(check);
        Assert.Equal(HealthStatus.Unhealthy, late.Status);
        Assert.Contains(Now.AddMinutes(-4).ToString("O"), late.Description, StringComparison.Ordinal);

        await kit.ApplyAsync(stored);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        kit.Traffic.FailWhen = (_, _) => true;
        var unreadable = await CheckAsync(check);
        Assert.Equal((HealthStatus.Unhealthy, "the inbox could not be read"), (unreadable.Status, unreadable.Description));
    }

    [Fact]
    public async Task Recompute_NoRunYet_Passes_ALastRunTooOld_Fails_ARunStuckInProgress_Fails()
    {
        var tables = await AppTablesTestKit.FreshAsync(azurite.ConnectionString, null, HealthTables.Runs);
        var check = new RecomputeReadinessCheck(tables, _clock);
        var runs = tables[HealthTables.Runs];

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        await runs.UpsertAsync(new HealthRunPointerEntity { RunId = "2026030209", Status = HealthRunStatus.Completed, StartedAt = Now.AddHours(-1), CompletedAt = Now.AddMinutes(-55) });
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        _clock.Advance(TimeSpan.FromHours(2));
        var stale = await CheckAsync(check);
        Assert.Equal(HealthStatus.Unhealthy, stale.Status);
        Assert.Contains("2026030209", stale.Description, StringComparison.Ordinal);

        await runs.UpsertAsync(new HealthRunPointerEntity { RunId = "2026030211", Status = HealthRunStatus.Running, StartedAt = _clock.GetUtcNow().AddMinutes(-10) });
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        _clock.Advance(TimeSpan.FromHours(3));
        var stuck = await CheckAsync(check);
        Assert.Equal(HealthStatus.Unhealthy, stuck.Status);
        Assert.Contains("has not finished", stuck.Description, StringComparison.Ordinal);
    }
}
