using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

public sealed class HealthRecomputeTests
{
    private readonly InMemoryTableStore _tables = new();
    private readonly Mock<IMessagePublisher> _publisher = new();
    private readonly List<OutgoingMessage> _sent = [];
    private readonly ManualTime _time = new(AsOf);

    public HealthRecomputeTests() =>
        _publisher.Setup(p => p.SendAsync(HealthRecompute.QueueName, It.IsAny<OutgoingMessage>(), It.IsAny<CancellationToken>()))
            .Callback<string, OutgoingMessage, CancellationToken>((_, m, _) => _sent.Add(m))
            .Returns(Task.CompletedTask);

    private static HealthOptions Options() => new() { ShardCount = 3, PageSize = 4 };

    private HealthRecompute Recompute(IAccountSignalSource source, HealthOptions? options = null)
    {
        options ??= Options();
        return new HealthRecompute(_tables, source, _publisher.Object, new HealthScoreCalculator(options), Microsoft.Extensions.Options.Options.Create(options), _time, NullLogger<HealthRecompute>.Instance);
    }

    internal static List<AccountSignals> Accounts(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Healthy() with
        {
            AccountId = $"acct-{i:D3}",
            // Every third account has no champion or sponsor: relationship 0 → 90.
            Relationship = i % 3 == 0 ? new RelationshipSignals() : Healthy().Relationship,
        })];

    [Fact]
    public async Task StartRun_FirstTick_RecordsRunAndSendsOneMessagePerShard()
    {
        var outcome = await Recompute(new FakeSignalSource([])).StartRunAsync(AsOf, default);

        Assert.Equal(HealthRunStartOutcome.Started, outcome);
        Assert.Equal(["2026063012-0", "2026063012-1", "2026063012-2"], _sent.Select(m => m.MessageId));
        var body = JsonSerializer.Deserialize<HealthShardMessage>(_sent[1].Body, HealthRows.Json)!;
        Assert.Equal(new HealthShardMessage("2026063012", 1, 3, AsOf), body);
        Assert.NotNull(await _tables.GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, "2026063012"));
    }

    [Fact]
    public async Task StartRun_SameTickAgain_ResendsSameIdsWithoutNewRun()
    {
        var recompute = Recompute(new FakeSignalSource([]));
        await recompute.StartRunAsync(AsOf, default);

        var outcome = await recompute.StartRunAsync(AsOf.AddMinutes(5), default);

        Assert.Equal(HealthRunStartOutcome.Resent, outcome);
        Assert.Equal(6, _sent.Count);
        Assert.Equal(3, _sent.Select(m => m.MessageId).Distinct().Count());
        Assert.Single(_tables.All(HealthRows.RunsTable), e => e.PartitionKey == HealthRows.RunPartition && e.RowKey != HealthRows.CurrentRunRow);
    }

    [Fact]
    public async Task StartRun_NextTickWhileRunInProgress_DoesNotStartDuplicate()
    {
        var recompute = Recompute(new FakeSignalSource([]));
        await recompute.StartRunAsync(AsOf, default);

        var outcome = await recompute.StartRunAsync(AsOf.AddHours(1), default);

        Assert.Equal(HealthRunStartOutcome.SkippedInProgress, outcome);
        Assert.Equal(3, _sent.Count);
        Assert.Null(await _tables.GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, "2026063013"));
    }

    [Fact]
    public async Task RunFlow_AllShardsScored_ScoresHistoryTransitionsAndSummaryStored()
    {
        var recompute = Recompute(new FakeSignalSource(Accounts(20)));
        await recompute.StartRunAsync(AsOf, default);

        HealthRunSummary? summary = null;
        foreach (var m in _sent.ToList())
        {
            summary = await recompute.ScoreShardAsync(JsonSerializer.Deserialize<HealthShardMessage>(m.Body, HealthRows.Json)!, default);
        }

        Assert.NotNull(summary);
        Assert.True(summary.Completed);
        Assert.Equal(20, summary.AccountsScored);
        Assert.Equal(0, summary.Failures);
        var rows = _tables.All(HealthRows.Table);
        Assert.Equal(20, rows.Count(r => r.RowKey.StartsWith("score|", StringComparison.Ordinal)));
        Assert.Equal(20, rows.Count(r => r.RowKey.StartsWith("hist|", StringComparison.Ordinal) && r.RowKey.EndsWith("|20260630", StringComparison.Ordinal)));
        Assert.Equal(20, rows.Count(r => r.RowKey.StartsWith("tx|", StringComparison.Ordinal))); // first score of the day
        Assert.All(rows, r => Assert.Equal(HealthRows.PartitionOf(r.GetString("AccountId") ?? r.RowKey.Split('|')[1], 3), r.PartitionKey));
        var acct0 = HealthRows.ToScore(rows.Single(r => r.RowKey == HealthRows.ScoreRow("acct-000")))!;
        Assert.Equal((90, HealthBand.Green), (acct0.Score, acct0.Band));
        var run = await _tables.GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, "2026063012");
        Assert.Equal("Completed", run!.GetString("Status"));
    }

    [Fact]
    public async Task ScoreShard_FailsMidway_ResumesFromCheckpointWithSameResult()
    {
        // Reference: the same accounts scored without failure in a separate store.
        var accounts = Accounts(30);
        var clean = new HealthRecomputeTests();
        var cleanRecompute = clean.Recompute(new FakeSignalSource(accounts));
        var message = new HealthShardMessage("2026063012", 0, 1, AsOf);
        await cleanRecompute.StartRunAsync(AsOf, default);
        await cleanRecompute.ScoreShardAsync(message, default);

        var source = new FakeSignalSource(accounts);
        var recompute = Recompute(source, new HealthOptions { ShardCount = 1, PageSize = 4 });
        await recompute.StartRunAsync(AsOf, default);
        _tables.FailBatchesAfter = 3; // pages 1-3 written and checkpointed, page 4 fails

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => recompute.ScoreShardAsync(message, default));
        var checkpoint = await _tables.GetAsync(HealthRows.RunsTable, HealthRows.ShardRunPartition("2026063012"), HealthRows.ShardRow(0));
        Assert.Equal("12", checkpoint!.GetString("Continuation"));

        _tables.FailBatchesAfter = null;
        source.Calls.Clear();
        var summary = await recompute.ScoreShardAsync(message, default);

        Assert.Equal("12", source.Calls[0].Continuation); // resumed, not restarted
        Assert.Equal(30, summary!.AccountsScored);
        Assert.Equal(Snapshot(clean._tables), Snapshot(_tables));
    }

    [Fact]
    public async Task ScoreShard_RedeliveredAfterDone_AcknowledgedWithoutRescoring()
    {
        var source = new FakeSignalSource(Accounts(5));
        var recompute = Recompute(source, new HealthOptions { ShardCount = 1 });
        await recompute.StartRunAsync(AsOf, default);
        var message = new HealthShardMessage("2026063012", 0, 1, AsOf);
        await recompute.ScoreShardAsync(message, default);
        source.Calls.Clear();

        var summary = await recompute.ScoreShardAsync(message, default);

        Assert.Empty(source.Calls);
        Assert.True(summary!.Completed);
    }

    [Fact]
    public async Task SecondRunSameDayUnchanged_NoNewTransitionsButBandChangeEmitsOne()
    {
        var accounts = Accounts(6);
        var options = new HealthOptions { ShardCount = 1 };
        await RunAsync(new FakeSignalSource(accounts), options, AsOf);
        foreach (var p in await new HealthTransitionFeed(_tables, Microsoft.Extensions.Options.Options.Create(options)).ReadPendingAsync(100, default))
        {
            await new HealthTransitionFeed(_tables, Microsoft.Extensions.Options.Options.Create(options)).AcknowledgeAsync(p, default);
        }

        // An hour later acct-001 has lost outcomes (−15), relationship (−10) and payment (−5): 70, Yellow.
        accounts[1] = accounts[1] with { Relationship = new RelationshipSignals(), SubscriptionStatus = "canceled", Milestones = new Dictionary<string, DateTimeOffset>() };
        _time.Now = AsOf.AddHours(1);
        await RunAsync(new FakeSignalSource(accounts), options, AsOf.AddHours(1));

        var pending = await new HealthTransitionFeed(_tables, Microsoft.Extensions.Options.Options.Create(options)).ReadPendingAsync(100, default);
        var transition = Assert.Single(pending).Transition;
        Assert.Equal(("acct-001", HealthBand.Yellow, HealthBand.Green, 70), (transition.AccountId, transition.Band, transition.PreviousBand, transition.Score));
        Assert.Contains(HealthFlags.DimensionZeroPrefix + "Payment", transition.Flags);
        Assert.Equal("Outcomes", transition.Drivers[0].Name); // −15 points, then Relationship −10
    }

    private async Task RunAsync(IAccountSignalSource source, HealthOptions options, DateTimeOffset tick)
    {
        var recompute = Recompute(source, options);
        _sent.Clear();
        Assert.Equal(HealthRunStartOutcome.Started, await recompute.StartRunAsync(tick, default));
        foreach (var m in _sent.ToList())
        {
            await recompute.ScoreShardAsync(JsonSerializer.Deserialize<HealthShardMessage>(m.Body, HealthRows.Json)!, default);
        }
    }

    private static List<string> Snapshot(InMemoryTableStore tables) =>
        [.. tables.All(HealthRows.Table).Select(e => e.PartitionKey + "/" + e.RowKey + "=" + string.Join(",", e.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + p.Value)))];
}

internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
