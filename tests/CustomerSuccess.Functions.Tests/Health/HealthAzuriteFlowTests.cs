using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The whole recompute on Azurite through the app: signals in, timer tick, shard messages, shard scoring, history, API.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HealthAzuriteFlowTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AppTables _tables = null!;

    public async Task InitializeAsync() => _tables = await HealthStorage.FreshAsync(azurite);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Flow_TimerShardsApi_AnswersFromAzurite()
    {
        // Signals come from a fake source (the ingestion tables are another feature's); everything else is real.
        var accounts = HealthRecomputeTests.Accounts(25, "flow-acct-");
        var time = new ManualTime(new DateTimeOffset(2026, 6, 30, 9, 0, 0, TimeSpan.Zero)); // the day the test signals are built around
        await using var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource(accounts), time);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);

        await HealthApiTests.RunRecomputeAsync(client, factory.Sent);
        var health = await client.GetFromJsonAsync<JsonObject>("/api/accounts/flow-acct-003/health");
        var portfolio = await client.GetFromJsonAsync<JsonObject>("/api/portfolio");
        var run = await _tables[HealthTables.Runs].GetAsync<HealthRunEntity>(HealthTables.RunPartition, "2026063009");

        Assert.Equal(["2026063009-0", "2026063009-1", "2026063009-2"], factory.Sent.Select(m => m.MessageId));
        // flow-acct-003 is an SMB account, full marks everywhere but no champion or sponsor: 100 − its relationship
        // weight (SMB default 5, README's health model) = 95.
        Assert.Equal(95, (int)health!["score"]!);
        Assert.Equal("2026-06-30", (string)Assert.Single(health["history"]!.AsArray())!["day"]!);
        Assert.Equal(25, (int)portfolio!["bands"]!["Smb"]!["Green"]!);
        Assert.Equal(HealthRunStatus.Completed, run!.Status);
        Assert.Equal(25, run.AccountsScored);
    }

    [Fact]
    public async Task Flow_IngestedStripeEvents_ScoredThroughAccountStates()
    {
        // Signals in through the real applier (account states); scored through the real AccountSignalReader.
        var time = new ManualTime(new DateTimeOffset(2025, 11, 22, 15, 0, 0, TimeSpan.Zero));
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var kit = new IngestionKit(azurite.ConnectionString, time);
        async Task SendAsync(string fixture, string type, string eventId, string customer)
        {
            var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Stripe", fixture)))!;
            node["data"]!["object"]!["customer"] = customer;
            Assert.Equal(DeliveryOutcomes.Applied, await kit.StoreAndApplyAsync(WebhookProvider.Stripe, eventId, type, node.ToJsonString()));
        }

        foreach (var who in (string[])["late", "fine"])
        {
            await kit.LinkAsync($"ing-{suffix}-{who}", ExternalIdKinds.StripeCustomer, $"cus_{who}{suffix}");
            await SendAsync("customer.subscription.updated.json", "customer.subscription.updated", $"evt_sub_{who}{suffix}", $"cus_{who}{suffix}");
        }

        for (var i = 0; i < 3; i++)
        {
            await SendAsync("invoice.payment_failed.json", "invoice.payment_failed", $"evt_pay_{suffix}_{i}", $"cus_late{suffix}");
        }

        await using var factory = new HealthAppFactory(azurite.ConnectionString, kit.Reader, time);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);

        await HealthApiTests.RunRecomputeAsync(client, factory.Sent);
        var late = await client.GetFromJsonAsync<JsonObject>($"/api/accounts/ing-{suffix}-late/health");
        var fine = await client.GetFromJsonAsync<JsonObject>($"/api/accounts/ing-{suffix}-fine/health");

        Assert.Equal("2025-11-22", (string)Assert.Single(late!["history"]!.AsArray())!["day"]!);
        Assert.Equal("2025-11-22", (string)Assert.Single(fine!["history"]!.AsArray())!["day"]!);
        Assert.True((int)late["dimensions"]!["Payment"]! < (int)fine["dimensions"]!["Payment"]!, $"payment: {late["dimensions"]} against {fine["dimensions"]}");
        // Both subscriptions started today: scored on onboarding progress, with the renewal date their subscription names.
        Assert.Equal((true, true), ((bool)late["onboarding"]!, (bool)fine["onboarding"]!));
        Assert.Equal("2025-12-23T00:00:00+00:00", (string)late["renewalDate"]!);
    }
}
