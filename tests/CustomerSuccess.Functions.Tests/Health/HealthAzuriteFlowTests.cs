using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The whole recompute on Azurite through the real table client: signals in, timer tick, shard messages, shard scoring, history, API.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HealthAzuriteFlowTests(AzuriteFixture azurite)
{
    private RestTableStore Store() => new(new TableStorageOptions { ConnectionString = azurite.ConnectionString }, TimeProvider.System, NullLogger<RestTableStore>.Instance);

    [Fact]
    public async Task Flow_TimerShardsApi_AnswersFromAzurite()
    {
        // Signals come from a fake source (the ingestion tables are another feature's); everything else is real.
        var accounts = HealthRecomputeTests.Accounts(25).Select(a => a with { AccountId = "flow-" + a.AccountId }).ToList();
        var time = new ManualTime(new DateTimeOffset(2026, 6, 30, 9, 0, 0, TimeSpan.Zero)); // the day the test signals are built around
        var sent = new List<OutgoingMessage>();
        using var factory = new HealthAppFactory(Store(), new FakeSignalSource(accounts), time);
        factory.Publisher.Setup(p => p.SendAsync(HealthRecompute.QueueName, It.IsAny<OutgoingMessage>(), It.IsAny<CancellationToken>()))
            .Callback<string, OutgoingMessage, CancellationToken>((_, m, _) => sent.Add(m)).Returns(Task.CompletedTask);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);

        await HealthApiTests.RunRecomputeAsync(client, sent);
        var health = await client.GetFromJsonAsync<JsonObject>("/api/accounts/flow-acct-003/health");
        var portfolio = await client.GetFromJsonAsync<JsonObject>("/api/portfolio");
        var run = await Store().GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, "2026063009");

        Assert.Equal(["2026063009-0", "2026063009-1", "2026063009-2"], sent.Select(m => m.MessageId));
        Assert.Equal(90, (int)health!["score"]!);
        Assert.Equal("2026-06-30", (string)Assert.Single(health["history"]!.AsArray())!["day"]!);
        Assert.True((int)portfolio!["bands"]!["Smb"]!["Green"]! >= 25);
        Assert.Equal("Completed", run!.GetString("Status"));
        Assert.Equal(25, run.GetInt64("AccountsScored"));
    }

    [Fact]
    public async Task Flow_IngestedStripeEvents_ScoredThroughAccountStates()
    {
        // Signals in through the real applier (account states); scored through the real AccountSignalReader.
        var store = Store();
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

        var sent = new List<OutgoingMessage>();
        using var factory = new HealthAppFactory(store, kit.Reader, time);
        factory.Publisher.Setup(p => p.SendAsync(HealthRecompute.QueueName, It.IsAny<OutgoingMessage>(), It.IsAny<CancellationToken>()))
            .Callback<string, OutgoingMessage, CancellationToken>((_, m, _) => sent.Add(m)).Returns(Task.CompletedTask);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);

        await HealthApiTests.RunRecomputeAsync(client, sent);
        var late = await client.GetFromJsonAsync<JsonObject>($"/api/accounts/ing-{suffix}-late/health");
        var fine = await client.GetFromJsonAsync<JsonObject>($"/api/accounts/ing-{suffix}-fine/health");

        Assert.Equal("2025-11-22", (string)Assert.Single(late!["history"]!.AsArray())!["day"]!);
        Assert.Equal("2025-11-22", (string)Assert.Single(fine!["history"]!.AsArray())!["day"]!);
        Assert.True((int)late["dimensions"]!["Payment"]! < (int)fine["dimensions"]!["Payment"]!, $"payment: {late["dimensions"]} against {fine["dimensions"]}");
        // Both subscriptions started today: scored on onboarding progress, with the renewal date their subscription names.
        Assert.Equal((true, true), ((bool)late["onboarding"]!, (bool)fine["onboarding"]!));
        Assert.Equal("2025-12-23T00:00:00+00:00", (string)late["renewalDate"]!);
    }

    [Fact]
    public async Task Shard_FailsMidwayOnAzurite_ResumesFromCheckpointWithSameResultAsCleanRun()
    {
        var accounts = HealthRecomputeTests.Accounts(30).Select(a => a with { AccountId = "resume-" + a.AccountId }).ToList();
        var asOf = new DateTimeOffset(2026, 5, 20, 14, 0, 0, TimeSpan.Zero);
        var options = new HealthOptions { ShardCount = 1, PageSize = 4 };
        var message = new HealthShardMessage("2026052014", 0, 1, asOf);

        var clean = new InMemoryTableStore();
        await NewRecompute(clean, accounts, options, asOf).ScoreShardAsync(message, default);

        var failing = new FailingTableStore(Store()) { FailBatchesAfter = 3 };
        var source = new FakeSignalSource(accounts);
        var recompute = NewRecompute(failing, accounts, options, asOf, source);
        await failing.CreateTableIfNotExistsAsync(HealthRows.Table);
        await failing.CreateTableIfNotExistsAsync(HealthRows.RunsTable);
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => recompute.ScoreShardAsync(message, default));

        failing.FailBatchesAfter = null;
        source.Calls.Clear();
        var summary = await recompute.ScoreShardAsync(message, default);

        Assert.Equal("12", source.Calls[0].Continuation);
        Assert.Null(summary); // no run row was started here, so there is no run to complete
        var stored = await Rows(Store(), "resume-");
        var expected = await Rows(clean, "resume-");
        Assert.Equal(expected, stored);
        Assert.Equal(90, stored.Count); // 30 × (score, history, transition)
    }

    private static HealthRecompute NewRecompute(ITableStore tables, List<AccountSignals> accounts, HealthOptions options, DateTimeOffset asOf, IAccountSignalSource? source = null) =>
        new(tables, source ?? new FakeSignalSource(accounts), Mock.Of<IMessagePublisher>(), new HealthScoreCalculator(options), Microsoft.Extensions.Options.Options.Create(options), new ManualTime(asOf), NullLogger<HealthRecompute>.Instance);

    // Rows as comparable text: score rows by their decoded domain values, history and transitions by key and content.
    private static async Task<List<string>> Rows(ITableStore tables, string accountPrefix)
    {
        var rows = new List<string>();
        await foreach (var e in tables.QueryAsync(HealthRows.Table, HealthRows.PrefixFilter(HealthRows.Partition(0), "score|")))
        {
            if (e.GetString("AccountId")?.StartsWith(accountPrefix, StringComparison.Ordinal) != true)
            {
                continue;
            }

            var s = HealthRows.ToScore(e)!;
            rows.Add($"{e.RowKey} {s.Score} {s.Band} {string.Join(",", s.Dimensions)} {s.Flags.Bits} {s.Trend} {Convert.ToBase64String(s.History.ToBytes())}");
        }

        await foreach (var e in tables.QueryAsync(HealthRows.Table, HealthRows.PrefixFilter(HealthRows.Partition(0), "hist|" + accountPrefix)))
        {
            rows.Add($"{e.RowKey} {e.GetInt32("Score")} {e.GetString("Band")}");
        }

        await foreach (var e in tables.QueryAsync(HealthRows.Table, HealthRows.PrefixFilter(HealthRows.Partition(0), "tx|" + accountPrefix)))
        {
            var t = HealthRows.ToTransition(e)!;
            rows.Add($"{e.RowKey} {t.Score} {t.Band} {JsonSerializer.Serialize(t.Flags.Order(StringComparer.Ordinal))}");
        }

        return rows;
    }
}

/// <summary>Forwards to a real store; the n-th following batch throws, as a storage outage mid-shard would.</summary>
internal sealed class FailingTableStore(ITableStore inner) : ForwardingTableStore(inner)
{
    public int? FailBatchesAfter { get; set; }

    public override Task<TableTransactionResult> SubmitTransactionAsync(string table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        if (FailBatchesAfter is { } remaining)
        {
            if (remaining <= 0)
            {
                throw new TableStorageUnavailableException("Simulated outage.");
            }

            FailBatchesAfter = remaining - 1;
        }

        return base.SubmitTransactionAsync(table, actions, cancellationToken);
    }
}
