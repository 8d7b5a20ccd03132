using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Tests.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace CustomerSuccess.Functions.Tests.Alerts;

[Collection(AzuriteCollection.Name)]
public sealed class AlertDispatcherTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly BatchOutagePolicy _outage = new();
    private readonly Mock<IHealthTransitionFeed> _feed = new();
    private readonly Mock<IMessagePublisher> _publisher = new();
    private readonly List<(string Queue, OutgoingMessage Message)> _sent = [];
    private readonly Queue<HealthTransitionEnvelope> _pending = new();
    private readonly List<HealthTransitionEnvelope> _acknowledged = [];
    private AlertStore _store = null!;
    private readonly MetricCapture _metrics = new();
    private AlertDispatcher _dispatcher = null!;

    public async Task InitializeAsync()
    {
        _store = new AlertStore(await AppTablesTestKit.FreshAsync(azurite.ConnectionString, _outage, AlertStore.DefaultTable, AlertStore.OpenIndexTable));
        _feed.Setup(f => f.ReadPendingAsync(It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => { var all = _pending.ToList(); _pending.Clear(); return all; });
        _feed.Setup(f => f.AcknowledgeAsync(It.IsAny<IReadOnlyList<HealthTransitionEnvelope>>(), It.IsAny<CancellationToken>()))
            .Callback<IReadOnlyList<HealthTransitionEnvelope>, CancellationToken>((e, _) => _acknowledged.AddRange(e))
            .Returns(Task.CompletedTask);
        _publisher.Setup(p => p.SendBatchAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<OutgoingMessage>>(), It.IsAny<CancellationToken>()))
            .Callback<string, IReadOnlyList<OutgoingMessage>, CancellationToken>((q, m, _) => _sent.AddRange(m.Select(message => (q, message))))
            .Returns(Task.CompletedTask);
        var options = Options.Create(new AlertsOptions { EscalationContact = "vp@example.com", DashboardBaseUrl = "https://cs.example.com" });
        _dispatcher = new AlertDispatcher(_feed.Object, _store, _publisher.Object, options, _clock, NullLogger<AlertDispatcher>.Instance, _metrics.Metrics);
    }

    public Task DisposeAsync()
    {
        _metrics.Dispose();
        return Task.CompletedTask;
    }

    private void Push(HealthBand band, int daysInBand = 0, HealthBand? previous = null, string accountId = "acc-7") => _pending.Enqueue(new HealthTransitionEnvelope(new HealthTransition
    {
        AccountId = accountId,
        RunId = "run-" + _pending.Count,
        ScoredAt = _clock.GetUtcNow(),
        Score = 50,
        Band = band,
        PreviousBand = previous ?? (daysInBand == 0 ? HealthBand.Green : band),
        DaysInBand = daysInBand,
        CsmEmail = "csm@example.com",
    }, "h" + Guid.NewGuid().ToString("N")));

    [Fact]
    public async Task Run_ScoredBeforeItsChurnWasApplied_RaisesNothingAndClosesWhatIsOpen()
    {
        // The Red score was taken while the account was live; by the time alerting reads it, billing says it churned.
        var options = Options.Create(new AlertsOptions { EscalationContact = "vp@example.com", DashboardBaseUrl = "https://cs.example.com" });
        var churned = new Health.FakeSignalSource([new CustomerSuccess.Functions.Accounts.AccountSignals { AccountId = "acc-7", SubscriptionStatus = "canceled", ChurnedAt = Start.AddHours(-1) }]);
        var live = new Health.FakeSignalSource([new CustomerSuccess.Functions.Accounts.AccountSignals { AccountId = "acc-7", SubscriptionStatus = "active" }]);
        Push(HealthBand.Yellow);
        await new AlertDispatcher(_feed.Object, _store, _publisher.Object, options, _clock, NullLogger<AlertDispatcher>.Instance, _metrics.Metrics, live).RunAsync(CancellationToken.None);
        var watch = Assert.Single(await _store.GetForAccountAsync("acc-7", default));
        Assert.True(watch.IsActive);
        _sent.Clear();
        _clock.Advance(TimeSpan.FromDays(9));

        Push(HealthBand.Red);
        await new AlertDispatcher(_feed.Object, _store, _publisher.Object, options, _clock, NullLogger<AlertDispatcher>.Instance, _metrics.Metrics, churned).RunAsync(CancellationToken.None);

        var closed = Assert.Single(await _store.GetForAccountAsync("acc-7", default));
        Assert.Equal((AlertStatus.Resolved, "churned"), (closed.Status, closed.ResolutionNote));
        var told = Assert.Single(_sent);
        Assert.Equal("alerts-watch", told.Queue);
    }

    [Fact]
    public async Task Run_PageOfSeveralAccounts_EachAccountsTransitionsInOrderAndThePageAcknowledgedInOneCall()
    {
        // Accounts are evaluated side by side; within one account a Yellow then a Red must end Critical, never the other way round.
        var accounts = Enumerable.Range(1, 12).Select(i => "acc-" + i).ToList();
        foreach (var account in accounts)
        {
            Push(HealthBand.Yellow, accountId: account);
        }

        foreach (var account in accounts)
        {
            Push(HealthBand.Red, previous: HealthBand.Yellow, accountId: account);
        }

        var result = await _dispatcher.RunAsync(CancellationToken.None);

        Assert.Equal(24, result.TransitionsTaken);
        Assert.Equal(24, _acknowledged.Count);
        _feed.Verify(f => f.AcknowledgeAsync(It.IsAny<IReadOnlyList<HealthTransitionEnvelope>>(), It.IsAny<CancellationToken>()), Times.Once);
        foreach (var account in accounts)
        {
            var alert = Assert.Single(await _store.GetForAccountAsync(account, default));
            Assert.Equal(AlertTier.Critical, alert.Tier);
        }
    }

    [Fact]
    public async Task Run_GreenToYellowToRed_SendsOneWatchThenOneCriticalToTheirQueues()
    {
        Push(HealthBand.Yellow);
        await _dispatcher.RunAsync(CancellationToken.None);
        Push(HealthBand.Yellow, 1);
        await _dispatcher.RunAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromDays(1));
        Push(HealthBand.Red);
        await _dispatcher.RunAsync(CancellationToken.None);
        await _dispatcher.RunAsync(CancellationToken.None);

        Assert.Collection(
            _sent,
            s =>
            {
                Assert.Equal("alerts-watch", s.Queue);
                Assert.Equal("acc-7-health-band-1-watch-1", s.Message.MessageId);
                Assert.Equal("Watch", s.Message.ApplicationProperties["tier"]);
                Assert.Equal("acc-7", s.Message.ApplicationProperties["accountId"]);
                Assert.Equal("health-band", s.Message.ApplicationProperties["ruleId"]);
                Assert.Equal("2026-03-09T10:00:00.0000000Z", s.Message.ApplicationProperties["dueBy"]);
            },
            s =>
            {
                Assert.Equal("alerts-critical", s.Queue);
                Assert.Equal("acc-7-health-band-1-critical-2", s.Message.MessageId);
            });
        Assert.Equal(3, _acknowledged.Count);
        Assert.Empty(await _store.ListOutboxAsync(CancellationToken.None).ToListAsync());
        var alert = Assert.Single(await _store.GetForAccountAsync("acc-7", CancellationToken.None));
        Assert.Equal(AlertTier.Critical, alert.Tier);
        Assert.Equal((1, 1, 0), (_metrics.Sum("customer_success.alerts.raised", ("tier", "Watch")), _metrics.Sum("customer_success.alerts.raised", ("tier", "Critical")), _metrics.Sum("customer_success.alerts.sla.breaches")));
    }

    [Fact]
    public async Task Run_SendFails_AlertStaysInOutboxAndNextRunSendsItOnce()
    {
        _publisher.SetupSequence(p => p.SendBatchAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<OutgoingMessage>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new MessagePublishException("broker unavailable"))
            .Returns(Task.CompletedTask)
            .Returns(Task.CompletedTask);
        Push(HealthBand.Red);

        var first = await _dispatcher.RunAsync(CancellationToken.None);

        Assert.Equal(0, first.Sent);
        Assert.Equal(1, first.SendFailures);
        Assert.Single(_acknowledged);
        var waiting = Assert.Single(await _store.ListOutboxAsync(CancellationToken.None).ToListAsync());
        Assert.Equal("acc-7-health-band-1-critical-1", waiting.MessageId);

        var second = await _dispatcher.RunAsync(CancellationToken.None);
        var third = await _dispatcher.RunAsync(CancellationToken.None);

        Assert.Equal(1, second.Sent);
        Assert.Equal(0, third.Sent);
        _publisher.Verify(p => p.SendBatchAsync("alerts-critical", It.Is<IReadOnlyList<OutgoingMessage>>(m => m.Single().MessageId == "acc-7-health-band-1-critical-1"), It.IsAny<CancellationToken>()), Times.Exactly(2));
        Assert.Empty(await _store.ListOutboxAsync(CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task Run_StorageWriteFails_DoesNotAcknowledgeTheTransition()
    {
        _outage.FailBatchesAfter = 0; // the alert change and its outbox row are one batch: refused with a 503
        Push(HealthBand.Red);

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => _dispatcher.RunAsync(CancellationToken.None));

        Assert.Empty(_acknowledged);
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task Run_WarningNotAcknowledgedByDueTime_EscalatesToCritical()
    {
        Push(HealthBand.Yellow, 21);
        await _dispatcher.RunAsync(CancellationToken.None);

        _clock.Advance(TimeSpan.FromDays(3));
        await _dispatcher.RunAsync(CancellationToken.None);

        Assert.Equal(["alerts-warning", "alerts-critical"], _sent.Select(s => s.Queue));
        Assert.Equal("acc-7-health-band-1-critical-2", _sent[1].Message.MessageId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Run_BetweenScans_EscalatesWhatTheOpenIndexHolds_AndAnAlertItLostAtTheNextScan(bool indexRowLost)
    {
        await _store.RebuildOpenIndexAsync(CancellationToken.None); // the index is complete, so readers use it
        Push(HealthBand.Yellow, 21);
        await _dispatcher.RunAsync(CancellationToken.None);
        var warning = Assert.Single(await _store.GetForAccountAsync("acc-7", default));
        _clock.SetUtcNow(warning.DueBy.AddMinutes(-1));
        await _dispatcher.RunAsync(CancellationToken.None); // scans (days since the last): nothing is due yet
        if (indexRowLost)
        {
            // What a failed index write after the alert's own write leaves: the alert, and no index row for it.
            await AppTablesTestKit.Create(azurite.ConnectionString, AlertStore.OpenIndexTable)[AlertStore.OpenIndexTable].DeleteAsync("open", "acc-7|" + warning.RuleId, Azure.ETag.All, CancellationToken.None);
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        await _dispatcher.RunAsync(CancellationToken.None); // past due, a scan two minutes ago: the index is read
        var betweenScans = _sent.Count(s => s.Queue == "alerts-critical");
        _clock.Advance(AlertDispatcher.EscalationScanInterval);
        await _dispatcher.RunAsync(CancellationToken.None); // the next scan
        var afterScan = _sent.Count(s => s.Queue == "alerts-critical");

        Assert.Equal(indexRowLost ? (0, 1) : (1, 1), (betweenScans, afterScan));
        Assert.Equal(AlertTier.Critical, Assert.Single(await _store.GetForAccountAsync("acc-7", default)).Tier);
    }

    [Fact]
    public async Task Run_ManyAlertsForOneTier_SentInOneBatchAndEveryOutboxRowCleared()
    {
        foreach (var account in new[] { "acc-1", "acc-2", "acc-3" })
        {
            _pending.Enqueue(new HealthTransitionEnvelope(new HealthTransition { AccountId = account, RunId = "run", ScoredAt = _clock.GetUtcNow(), Score = 30, Band = HealthBand.Red, PreviousBand = HealthBand.Green }, account));
        }

        var result = await _dispatcher.RunAsync(CancellationToken.None);

        Assert.Equal(3, result.Sent);
        _publisher.Verify(p => p.SendBatchAsync("alerts-critical", It.Is<IReadOnlyList<OutgoingMessage>>(m => m.Count == 3), It.IsAny<CancellationToken>()), Times.Once);
        Assert.Equal(["acc-1-health-band-1-critical-1", "acc-2-health-band-1-critical-1", "acc-3-health-band-1-critical-1"], _sent.Select(s => s.Message.MessageId).Order(StringComparer.Ordinal));
        Assert.Empty(await _store.ListOutboxAsync(CancellationToken.None).ToListAsync());
    }
}
