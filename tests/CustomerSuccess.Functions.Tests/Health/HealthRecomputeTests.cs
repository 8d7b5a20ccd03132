using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Tests.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>Runs, shards, checkpoints and what a run stores, on Azurite through the app's own tables.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HealthRecomputeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly List<OutgoingMessage> _sent = [];
    private readonly ManualTime _time = new(AsOf);
    private readonly BatchOutagePolicy _outage = new();
    private AppTables _tables = null!;

    public async Task InitializeAsync() => _tables = await HealthStorage.FreshAsync(azurite, _outage);

    public Task DisposeAsync() => Task.CompletedTask;

    private static HealthOptions Options() => new() { ShardCount = 3, PageSize = 4 };

    private HealthRecompute Recompute(IAccountSignalSource source, HealthOptions? options = null, AppMetrics? metrics = null)
    {
        options ??= Options();
        return new HealthRecompute(_tables, source, new Mock<IMessagePublisher>().Records(_sent).Object, new HealthScoreCalculator(options), Microsoft.Extensions.Options.Options.Create(options), _time, NullLogger<HealthRecompute>.Instance, metrics);
    }

    internal static List<AccountSignals> Accounts(int count, string prefix = "acct-") =>
        [.. Enumerable.Range(0, count).Select(i => Healthy() with
        {
            AccountId = $"{prefix}{i:D3}",
            // Every third account has no champion or sponsor: relationship 0 → 95 (SMB weights).
            Relationship = i % 3 == 0 ? new RelationshipSignals() : Healthy().Relationship,
        })];

    [Fact]
    public async Task StartRun_FirstTick_RecordsRunAndSendsOneMessagePerShardInOneBatch()
    {
        var publisher = new Mock<IMessagePublisher>().Records(_sent);
        var options = Options();
        var recompute = new HealthRecompute(_tables, new FakeSignalSource([]), publisher.Object, new HealthScoreCalculator(options), Microsoft.Extensions.Options.Options.Create(options), _time, NullLogger<HealthRecompute>.Instance);

        var outcome = await recompute.StartRunAsync(AsOf, default);

        Assert.Equal(HealthRunStartOutcome.Started, outcome);
        Assert.Equal(["2026063012-0", "2026063012-1", "2026063012-2"], _sent.Select(m => m.MessageId));
        publisher.Verify(p => p.SendBatchAsync(HealthRecompute.QueueName, It.IsAny<IReadOnlyList<OutgoingMessage>>(), It.IsAny<CancellationToken>()), Times.Once);
        var body = JsonSerializer.Deserialize<HealthShardMessage>(_sent[1].Body, HealthJson.Options)!;
        Assert.Equal(new HealthShardMessage("2026063012", 1, 3, AsOf), body);
        Assert.NotNull(await _tables[HealthTables.Runs].GetAsync<HealthRunEntity>(HealthTables.RunPartition, "2026063012"));
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
        Assert.Single(await _tables.RowsAsync<HealthRunEntity>(HealthTables.Runs), e => e.PartitionKey == HealthTables.RunPartition && e.RowKey != HealthTables.CurrentRunRow);
    }

    [Fact]
    public async Task StartRun_NextTickWhileRunInProgress_DoesNotStartDuplicate()
    {
        var recompute = Recompute(new FakeSignalSource([]));
        await recompute.StartRunAsync(AsOf, default);

        var outcome = await recompute.StartRunAsync(AsOf.AddHours(1), default);

        Assert.Equal(HealthRunStartOutcome.SkippedInProgress, outcome);
        Assert.Equal(3, _sent.Count);
        Assert.Null(await _tables[HealthTables.Runs].GetAsync<HealthRunEntity>(HealthTables.RunPartition, "2026063013"));
    }

    [Fact]
    public async Task RunFlow_AllShardsScored_ScoresHistoryTransitionsAndSummaryStored()
    {
        var recompute = Recompute(new FakeSignalSource(Accounts(20)));
        await recompute.StartRunAsync(AsOf, default);

        HealthRunSummary? summary = null;
        foreach (var m in _sent.ToList())
        {
            summary = await recompute.ScoreShardAsync(JsonSerializer.Deserialize<HealthShardMessage>(m.Body, HealthJson.Options)!, default);
        }

        Assert.NotNull(summary);
        Assert.True(summary.Completed);
        Assert.Equal(20, summary.AccountsScored);
        Assert.Equal(0, summary.Failures);
        var scores = await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores);
        var history = await _tables.RowsAsync<HealthHistoryEntity>(HealthTables.History);
        Assert.Equal(20, scores.Count);
        Assert.Equal(20, history.Count(h => h.ToDay() == Today));
        Assert.Equal(20, (await _tables.RowsAsync<HealthTransitionEntity>(HealthTables.Transitions)).Count); // first score of the day
        Assert.All(scores, r => Assert.Equal((HealthTables.PartitionOf(r.AccountId!), HealthTables.ScoreRow(r.AccountId!)), (r.PartitionKey, r.RowKey)));
        Assert.All(history, r => Assert.Equal(HealthTables.PartitionOf(r.AccountId!) + "|" + r.ToDay().ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture), r.PartitionKey));
        var acct0 = scores.Single(r => r.AccountId == "acct-000").ToScore()!;
        Assert.Equal((95, HealthBand.Green), (acct0.Score, acct0.Band));
        var run = await _tables[HealthTables.Runs].GetAsync<HealthRunEntity>(HealthTables.RunPartition, "2026063012");
        Assert.Equal(HealthRunStatus.Completed, run!.Status);
    }

    [Fact]
    public async Task RunFlow_EachShard_RecordsItsDurationAndTheAccountsItScored()
    {
        using var capture = new MetricCapture();
        var recompute = Recompute(new FakeSignalSource(Accounts(20)), metrics: capture.Metrics);
        await recompute.StartRunAsync(AsOf, default);

        foreach (var m in _sent.ToList())
        {
            await recompute.ScoreShardAsync(JsonSerializer.Deserialize<HealthShardMessage>(m.Body, HealthJson.Options)!, default);
        }

        Assert.Equal(20, capture.Sum("customer_success.health.accounts.scored"));
        Assert.Equal(3, capture.Count("customer_success.health.recompute.duration"));
    }

    [Fact]
    public async Task ShardCountChanged_BetweenTwoRuns_EveryPreviousScoreIsFound()
    {
        var accounts = Accounts(40);

        await RunAllShardsAsync(new FakeSignalSource(accounts), new HealthOptions { ShardCount = 3, PageSize = 4 }, AsOf);
        await RunAllShardsAsync(new FakeSignalSource(accounts), new HealthOptions { ShardCount = 7, PageSize = 4 }, AsOf.AddDays(1));

        // Score rows are keyed by the account's fixed bucket, not its shard, so the second run's shards (other ranges
        // of buckets) still read each account's first score: its band began on the first day, and both days are in
        // its history. Had the first score been missed, the band would start on the second day.
        var scores = (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).Select(r => r.ToScore()!).ToList();
        Assert.Equal(40, scores.Count);
        Assert.All(scores, s =>
        {
            Assert.Equal(Today.AddDays(1), s.Day);
            Assert.Equal(Today, s.BandSince);
            Assert.NotNull(s.History.ScoreOn(Today));
            Assert.NotNull(s.History.ScoreOn(Today.AddDays(1)));
        });
    }

    private async Task RunAllShardsAsync(IAccountSignalSource source, HealthOptions options, DateTimeOffset at)
    {
        _time.Now = at;
        _sent.Clear();
        var recompute = Recompute(source, options);
        Assert.Equal(HealthRunStartOutcome.Started, await recompute.StartRunAsync(at, default));
        Assert.Equal(options.ShardCount, _sent.Count);
        foreach (var m in _sent.ToList())
        {
            await recompute.ScoreShardAsync(JsonSerializer.Deserialize<HealthShardMessage>(m.Body, HealthJson.Options)!, default);
        }
    }

    [Fact]
    public async Task CompletedRun_MeasuresThePeersLoginYardstick_TheNextRunScoresAgainstIt()
    {
        // Measured by every run; read by the next one with Health:LoginsAgainstPeers on.
        // 24 SMB accounts logging in once a day, 8 active users each: 28 / 32 = 0.875 logins per user-week, a quarter of
        // the fixed yardstick (3). Two more are onboarding and not peers.
        var accounts = Accounts(24).Select(a => a with { Days = a.Days.Select(d => d with { Logins = 1 }).ToList() }).ToList();
        accounts.AddRange(Accounts(2, "new-").Select(a => a with { CustomerSince = AsOf.AddDays(-5), Milestones = new Dictionary<string, DateTimeOffset>() }));
        var options = new HealthOptions { ShardCount = 3, PageSize = 4, LoginsAgainstPeers = true };

        await RunAllShardsAsync(new FakeSignalSource(accounts), options, AsOf);
        var first = (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).Single(r => r.AccountId == "acct-001").ToScore()!;
        var benchmark = await _tables[HealthTables.Runs].GetAsync<HealthLoginBenchmarkEntity>(HealthTables.RunPartition, HealthTables.LoginBenchmarkRow);

        Assert.NotNull(benchmark);
        Assert.Equal(("2026063012", 24, 0.85), (benchmark.RunId, benchmark.Peers, benchmark.Smb));
        Assert.Equal(0.85, benchmark.Enterprise); // no Enterprise peers: the portfolio's median

        await RunAllShardsAsync(new FakeSignalSource(accounts), options, AsOf.AddHours(1));
        var second = (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).Single(r => r.AccountId == "acct-001").ToScore()!;

        // Login frequency 25 → 100, weight 20 of the 85 known in product usage (no key-feature breadth): 82 → 100.
        Assert.Equal((82, 100), (first.Dimension(HealthDimension.ProductUsage), second.Dimension(HealthDimension.ProductUsage)));
        Assert.True(second.Score > first.Score);
    }

    [Fact]
    public async Task CompletedRun_LoginYardstickNotSaved_TheRunStillCompletesAndFreesTheNextRun()
    {
        var refuse = new RefuseRowPolicy(HealthTables.LoginBenchmarkRow);
        _tables = AppTablesTestKit.Create(azurite.ConnectionString, refuse, HealthStorage.Tables);

        await RunAllShardsAsync(new FakeSignalSource(Accounts(6)), new HealthOptions { ShardCount = 2 }, AsOf);

        Assert.True(refuse.Refused > 0);
        var pointer = await _tables[HealthTables.Runs].GetAsync<HealthRunPointerEntity>(HealthTables.RunPartition, HealthTables.CurrentRunRow);
        Assert.Equal(HealthRunStatus.Completed, pointer!.Status);
        Assert.Null(await _tables[HealthTables.Runs].GetAsync<HealthLoginBenchmarkEntity>(HealthTables.RunPartition, HealthTables.LoginBenchmarkRow));
        await RunAllShardsAsync(new FakeSignalSource(Accounts(6)), new HealthOptions { ShardCount = 2 }, AsOf.AddHours(1)); // not skipped as in progress
    }

    /// <summary>Refuses every write of one row key with a 503, as an outage of that one request.</summary>
    private sealed class RefuseRowPolicy(string rowKey) : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        public int Refused { get; private set; }

        public override void OnSendingRequest(Azure.Core.HttpMessage message)
        {
            if (message.Request.Method != Azure.Core.RequestMethod.Get && Uri.UnescapeDataString(message.Request.Uri.ToString()).Contains($"RowKey='{rowKey}'", StringComparison.Ordinal))
            {
                Refused++;
                throw new Azure.RequestFailedException(503, "Simulated storage outage.");
            }
        }
    }

    [Fact]
    public async Task ScoreShard_StorageFailsMidway_ResumesFromCheckpointWithTheSameRowsAsACleanRun()
    {
        var accounts = Accounts(30);
        var message = new HealthShardMessage("2026063012", 0, 1, AsOf);
        var options = new HealthOptions { ShardCount = 1, PageSize = 4 };

        // Reference: the same accounts scored without failure, then the tables emptied again.
        await Recompute(new FakeSignalSource(accounts), options).ScoreShardAsync(message, default);
        var expected = await SnapshotAsync();
        await InitializeAsync();

        var source = new FakeSignalSource(accounts);
        var recompute = Recompute(source, options);
        // Pages 1-3 written (per page: a transitions batch, then history and score batches per bucket group), page 4 fails.
        var pages = accounts.OrderBy(a => AccountShard.BucketOf(a.AccountId)).ThenBy(a => a.AccountId, StringComparer.Ordinal).Chunk(4).ToList();
        _outage.FailBatchesAfter = pages.Take(3).Sum(page => 1 + (2 * page.Select(a => HealthTables.PartitionOf(a.AccountId)).Distinct().Count()));

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => recompute.ScoreShardAsync(message, default));
        var checkpoint = await _tables[HealthTables.Runs].GetAsync<HealthShardCheckpointEntity>(HealthTables.ShardRunPartition("2026063012"), HealthTables.ShardRow(0));
        Assert.Equal("12", checkpoint!.Continuation);

        _outage.FailBatchesAfter = null;
        source.Calls.Clear();
        await recompute.ScoreShardAsync(message, default);

        Assert.Equal("12", source.Calls[0].Continuation); // resumed, not restarted
        Assert.Equal(expected, await SnapshotAsync());
        Assert.Equal(90, expected.Count); // 30 × (score, history, transition)
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
    public async Task TransitionFeed_PageAcknowledgedInOneCall_NothingLeftAndASecondAcknowledgementIsFine()
    {
        // 150 accounts in one shard: one run's transitions share a partition, so the acknowledgement spans two transactions.
        var feed = new HealthTransitionFeed(_tables);
        await RunAsync(new FakeSignalSource(Accounts(150)), new HealthOptions { ShardCount = 1 }, AsOf);
        var pending = new List<HealthTransitionEnvelope>();
        for (var page = await feed.ReadPendingAsync(100, default); page.Count > 0; page = await feed.ReadPendingAsync(100, default))
        {
            Assert.DoesNotContain(page, p => pending.Any(q => q.Handle == p.Handle));
            pending.AddRange(page);
            await feed.AcknowledgeAsync(page, default);
        }

        Assert.Equal(150, pending.Count);
        await feed.AcknowledgeAsync(pending, default); // taken before: deleting again finds nothing, and that is fine
        Assert.Empty(await feed.ReadPendingAsync(100, default));
        Assert.Empty(await _tables.RowsAsync<HealthTransitionEntity>(HealthTables.Transitions));
    }

    [Fact]
    public async Task SecondRunSameDayUnchanged_NoNewTransitionsButBandChangeEmitsOne()
    {
        var accounts = Accounts(6);
        var options = new HealthOptions { ShardCount = 1 };
        var feed = new HealthTransitionFeed(_tables);
        await RunAsync(new FakeSignalSource(accounts), options, AsOf);
        await feed.AcknowledgeAsync(await feed.ReadPendingAsync(100, default), default);

        // An hour later acct-001 has lost outcomes (−15), relationship (−5) and payment (−20) on SMB weights: 60, Yellow.
        accounts[1] = accounts[1] with { Relationship = new RelationshipSignals(), SubscriptionStatus = "past_due", CancelAtPeriodEnd = true, Milestones = new Dictionary<string, DateTimeOffset>() };
        _time.Now = AsOf.AddHours(1);
        await RunAsync(new FakeSignalSource(accounts), options, AsOf.AddHours(1));

        var pending = await feed.ReadPendingAsync(100, default);
        var transition = Assert.Single(pending).Transition;
        Assert.Equal(("acct-001", HealthBand.Yellow, HealthBand.Green, 60), (transition.AccountId, transition.Band, transition.PreviousBand, transition.Score));
        Assert.Contains(HealthFlags.DimensionZeroPrefix + "Payment", transition.Flags);
        // Largest loss first: Payment −20 (SMB weighs payment 20), then Outcomes −15, then Relationship −5.
        Assert.Equal(["Payment", "Outcomes", "Relationship"], transition.Drivers.Select(d => d.Name));
    }

    [Fact]
    public async Task Churned_OneTransitionThenOutOfScoring_FinalScoreAndHistoryKept()
    {
        var accounts = Accounts(4);
        var options = new HealthOptions { ShardCount = 1 };
        var feed = new HealthTransitionFeed(_tables);
        await RunAsync(new FakeSignalSource(accounts), options, AsOf);
        await feed.AcknowledgeAsync(await feed.ReadPendingAsync(100, default), default);

        var final = (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).Single(r => r.AccountId == "acct-002").ToScore()!;
        var gone = accounts[2] with { SubscriptionStatus = "canceled", MrrCents = 0, ChurnedAt = AsOf.AddHours(6) };
        accounts[2] = gone;
        _time.Now = AsOf.AddDays(1);
        await RunAsync(new FakeSignalSource(accounts), options, AsOf.AddDays(1));

        var churned = Assert.Single(await feed.ReadPendingAsync(100, default), p => p.Transition.AccountId == "acct-002").Transition;
        Assert.Equal(AccountLifecycleState.Churned, churned.Lifecycle);
        Assert.Equal(final.Score, churned.Score);
        var row = (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).Single(r => r.AccountId == "acct-002");
        Assert.Equal((AccountLifecycleState.Churned, final.Score, final.Day.DayNumber), (row.Lifecycle, row.Score, row.Day));
        var history = (await _tables.RowsAsync<HealthHistoryEntity>(HealthTables.History)).Where(h => h.AccountId == "acct-002").ToList();
        Assert.Equal([Today], history.Select(h => h.ToDay()));

        // Later runs leave it alone: no transition, no history, the same row.
        await feed.AcknowledgeAsync(await feed.ReadPendingAsync(100, default), default);

        _time.Now = AsOf.AddDays(2);
        await RunAsync(new FakeSignalSource(accounts), options, AsOf.AddDays(2));
        Assert.DoesNotContain(await feed.ReadPendingAsync(100, default), p => p.Transition.AccountId == "acct-002");
        Assert.Equal(row.Timestamp, (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).Single(r => r.AccountId == "acct-002").Timestamp);
        Assert.Single(await _tables.RowsAsync<HealthHistoryEntity>(HealthTables.History), h => h.AccountId == "acct-002");
    }

    [Fact]
    public async Task ShardCountChangesBetweenRuns_EveryPreviousScoreIsFoundAndCarriedOver()
    {
        // 40 accounts scored daily for three days with 3 shards, then a day with 7 shards; one account drops to Yellow on day 2.
        var accounts = Accounts(40);
        for (var day = 0; day < 3; day++)
        {
            var signals = accounts.Select(a => a.AccountId == "acct-005" && day >= 1 ? Yellow(a) : a).ToList();
            _time.Now = AsOf.AddDays(day);
            await RunAsync(new FakeSignalSource(signals), new HealthOptions { ShardCount = 3 }, AsOf.AddDays(day));
        }

        var before = (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).ToDictionary(r => r.AccountId!, r => r.ToScore()!);
        var transitionsBefore = (await _tables.RowsAsync<HealthTransitionEntity>(HealthTables.Transitions)).Count;
        _time.Now = AsOf.AddDays(3);
        await RunAsync(new FakeSignalSource(accounts.Select(a => a.AccountId == "acct-005" ? Yellow(a) : a)), new HealthOptions { ShardCount = 7 }, AsOf.AddDays(3));

        var after = (await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores)).ToDictionary(r => r.AccountId!, r => r.ToScore()!);
        Assert.Equal(40, after.Count); // no account scored twice under another key
        Assert.All(after.Values, s =>
        {
            var previous = before[s.AccountId];
            Assert.Equal(Today.AddDays(3), s.Day);
            Assert.Equal(previous.BandSince, s.BandSince); // the band's history carried over: no band restarted
            Assert.Equal(previous.History.ScoreOn(Today.AddDays(2)), s.History.ScoreOn(Today.AddDays(2)));
            Assert.Equal(previous.History.ScoreOn(Today), s.History.ScoreOn(Today));
            Assert.NotNull(s.History.ScoreOn(Today.AddDays(1)));
        });
        var yellow = after["acct-005"];
        Assert.Equal((HealthBand.Yellow, Today.AddDays(1), 2), (yellow.Band, yellow.BandSince, yellow.DaysInBand));
        Assert.Equal((HealthTrend.Declining, yellow.Score - yellow.History.ScoreOn(Today)), (yellow.Trend, yellow.TrendDelta)); // against day 0, from the carried history

        // The day's transitions (first score of the day) are there; none says "new account" (PreviousBand null).
        var today = (await _tables.RowsAsync<HealthTransitionEntity>(HealthTables.Transitions)).Select(t => t.ToTransition()!).Where(t => t.RunId == HealthRecompute.RunIdFor(AsOf.AddDays(3))).ToList();
        Assert.Equal(40, today.Count);
        Assert.All(today, t => Assert.NotNull(t.PreviousBand));
        Assert.True(transitionsBefore > 0);

        static AccountSignals Yellow(AccountSignals a) => a with { Relationship = new RelationshipSignals(), SubscriptionStatus = "past_due", CancelAtPeriodEnd = true, Milestones = new Dictionary<string, DateTimeOffset>() };
    }

    private async Task RunAsync(IAccountSignalSource source, HealthOptions options, DateTimeOffset tick)
    {
        var recompute = Recompute(source, options);
        _sent.Clear();
        Assert.Equal(HealthRunStartOutcome.Started, await recompute.StartRunAsync(tick, default));
        HealthRunSummary? summary = null;
        foreach (var m in _sent.ToList())
        {
            summary = await recompute.ScoreShardAsync(JsonSerializer.Deserialize<HealthShardMessage>(m.Body, HealthJson.Options)!, default);
        }

        Assert.True(summary?.Completed);
    }

    /// <summary>Every health row as comparable text: scores by their decoded domain values, history and transitions by key and content.</summary>
    private async Task<List<string>> SnapshotAsync()
    {
        var rows = new List<string>();
        foreach (var e in await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores))
        {
            var s = e.ToScore()!;
            rows.Add($"{e.PartitionKey}/{e.RowKey} {s.Score} {s.Band} {string.Join(",", s.Dimensions)} {s.Flags.Bits} {s.Trend} {Convert.ToBase64String(s.History.ToBytes())}");
        }

        foreach (var e in await _tables.RowsAsync<HealthHistoryEntity>(HealthTables.History))
        {
            rows.Add($"{e.PartitionKey}/{e.RowKey} {e.Score} {e.Band}");
        }

        foreach (var e in await _tables.RowsAsync<HealthTransitionEntity>(HealthTables.Transitions))
        {
            var t = e.ToTransition()!;
            rows.Add($"{e.PartitionKey}/{e.RowKey} {t.Score} {t.Band} {JsonSerializer.Serialize(t.Flags.Order(StringComparer.Ordinal))}");
        }

        return rows;
    }
}

internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
