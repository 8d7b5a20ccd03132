using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Playbooks;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace CustomerSuccess.Functions.Tests.Playbooks;

/// <summary>
/// Tasks follow alerts on Azurite: the dispatcher raises and clears alerts from health transitions, the CSM resolves
/// one by hand, and the playbook tasks open and close with them.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class PlaybookTaskFlowTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly Mock<IHealthTransitionFeed> _feed = new();
    private readonly Mock<IMessagePublisher> _publisher = new();
    private readonly Queue<HealthTransitionEnvelope> _pending = new();
    private readonly IOptions<AlertsOptions> _alertsOptions = Options.Create(new AlertsOptions { EscalationContact = "vp@example.com", DashboardBaseUrl = "https://cs.example.com", WarmUpDays = 0 });
    private AlertStore _alerts = null!;
    private PlaybookTaskStore _tasks = null!;
    private PlaybookTasks _playbooks = null!;
    private AlertDispatcher _dispatcher = null!;

    public async Task InitializeAsync()
    {
        var tables = await AppTablesTestKit.FreshAsync(azurite.ConnectionString, null, AlertStore.DefaultTable, AlertStore.OpenIndexTable, PlaybookTaskStore.Table, HealthTables.Scores);
        _alerts = new AlertStore(tables);
        _tasks = new PlaybookTaskStore(tables);
        var accounts = new Health.FakeSignalSource(
        [
            new AccountSignals { AccountId = "acc-mm", SubscriptionStatus = "active", MrrCents = 500_000, CsmEmail = "csm@example.com" },
            new AccountSignals { AccountId = "acc-smb", SubscriptionStatus = "active", MrrCents = 90_000, CsmEmail = "csm@example.com" },
        ]);
        _playbooks = new PlaybookTasks(_tasks, Options.Create(new PlaybooksOptions()), accounts, new HealthScoreReader(tables), _clock, NullLogger<PlaybookTasks>.Instance);
        _feed.Setup(f => f.ReadPendingAsync(It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => { var all = _pending.ToList(); _pending.Clear(); return all; });
        _feed.Setup(f => f.AcknowledgeAsync(It.IsAny<IReadOnlyList<HealthTransitionEnvelope>>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        _publisher.Setup(p => p.SendBatchAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<OutgoingMessage>>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        _dispatcher = Dispatcher(_playbooks);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private AlertDispatcher Dispatcher(params IAlertChangeListener[] listeners) => new(
        _feed.Object, _alerts, _publisher.Object, _alertsOptions, _clock, NullLogger<AlertDispatcher>.Instance,
        fanOut: new AlertChangeFanOut(listeners, NullLogger<AlertChangeFanOut>.Instance));

    private void Push(string accountId, HealthBand band, HealthBand previous) => _pending.Enqueue(new HealthTransitionEnvelope(new HealthTransition
    {
        AccountId = accountId,
        RunId = "run-" + Guid.NewGuid().ToString("N")[..6],
        ScoredAt = _clock.GetUtcNow(),
        Score = band == HealthBand.Red ? 30 : 80,
        Band = band,
        PreviousBand = previous,
        CsmEmail = "csm@example.com",
    }, "h" + Guid.NewGuid().ToString("N")));

    [Fact]
    public async Task Dispatch_RedThenGreen_OpensTheSavePlanAtTheRaiseAndClosesItWhenTheAlertClears()
    {
        Push("acc-mm", HealthBand.Red, HealthBand.Green);
        await _dispatcher.RunAsync(CancellationToken.None);

        var opened = Assert.Single(await _tasks.ListForAccountAsync("acc-mm", default));
        Assert.Equal((PlaybookCatalog.AtRiskSavePlan, "health-band-1", PlaybookTaskStatus.Open, "csm@example.com"), (opened.PlaybookId, opened.TaskId, opened.Status, opened.Owner));
        Assert.Equal(Start, opened.TriggeredAt);
        Assert.Equal(Start.AddDays(1), opened.Steps[0].DueBy);

        _clock.Advance(TimeSpan.FromDays(4));
        Push("acc-mm", HealthBand.Green, HealthBand.Red);
        await _dispatcher.RunAsync(CancellationToken.None);

        var closed = Assert.Single(await _tasks.ListForAccountAsync("acc-mm", default));
        Assert.Equal(PlaybookTaskStatus.Closed, closed.Status);
        Assert.Equal(Start.AddDays(4), closed.ClosedAt);
        Assert.Equal("Alert resolved: " + AlertRuleEngine.ClearedNote, closed.CloseNote);
        Assert.Equal(opened.Steps.Select(s => s.Name), closed.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task Dispatch_TechTouchAccount_AlertRaisedButNoTask()
    {
        Push("acc-smb", HealthBand.Red, HealthBand.Green);
        await _dispatcher.RunAsync(CancellationToken.None);

        Assert.True(Assert.Single(await _alerts.GetForAccountAsync("acc-smb", default)).IsActive);
        Assert.Empty(await _tasks.ListForAccountAsync("acc-smb", default));
    }

    [Fact]
    public async Task ResolveByHand_ClosesTheTaskWithTheCsmsNote()
    {
        Push("acc-mm", HealthBand.Red, HealthBand.Green);
        await _dispatcher.RunAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(30));
        var commands = new AlertCommands(_alerts, new OpenAlertsCache(_alerts, _clock), _clock, _alertsOptions, new AlertChangeFanOut([_playbooks], NullLogger<AlertChangeFanOut>.Instance));

        var (status, _) = await commands.ResolveAsync("acc-mm", AlertRules.HealthBand, "Exec sponsor re-engaged", default);

        Assert.Equal(AlertCommandStatus.Done, status);
        var task = Assert.Single(await _tasks.ListForAccountAsync("acc-mm", default));
        Assert.Equal((PlaybookTaskStatus.Closed, "Alert resolved: Exec sponsor re-engaged", Start.AddHours(30)), (task.Status, task.CloseNote, task.ClosedAt));
    }

    [Fact]
    public async Task CompleteStep_TwoWritersOnOneTask_BothStepsKept()
    {
        Push("acc-mm", HealthBand.Red, HealthBand.Green);
        await _dispatcher.RunAsync(CancellationToken.None);

        await Task.WhenAll(
            _playbooks.CompleteStepAsync("acc-mm", "health-band-1", 1, "a@example.com", default),
            _playbooks.CompleteStepAsync("acc-mm", "health-band-1", 2, "b@example.com", default));

        var task = Assert.Single(await _tasks.ListForAccountAsync("acc-mm", default));
        Assert.Equal([("a@example.com", 1), ("b@example.com", 2)], task.Steps.Where(s => s.IsDone).Select(s => (s.CompletedBy!, s.Number)));
    }

    [Fact]
    public async Task Dispatch_ListenerFails_AlertStillWrittenAndQueued()
    {
        var failing = new Mock<IAlertChangeListener>();
        failing.Setup(l => l.AlertsChangedAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<Alert>>(), It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("tasks down"));
        Push("acc-mm", HealthBand.Red, HealthBand.Green);

        var result = await Dispatcher(failing.Object, _playbooks).RunAsync(CancellationToken.None);

        Assert.Equal((1, 1), (result.Changes, result.Sent));
        Assert.Single(await _tasks.ListForAccountAsync("acc-mm", default));
    }

    [Fact]
    public async Task EscalateOverdue_StepsPastDue_AlertOneTierUpThenToTheContactEachStepOnce()
    {
        var commands = new AlertCommands(_alerts, new OpenAlertsCache(_alerts, _clock), _clock, _alertsOptions);
        var playbooks = new PlaybookStepEscalation(_tasks, commands, Options.Create(new PlaybooksOptions()), _clock, NullLogger<PlaybookStepEscalation>.Instance);
        var dispatcher = _dispatcher;
        Push("acc-esc", HealthBand.Yellow, HealthBand.Green);
        await dispatcher.RunAsync(CancellationToken.None);
        await commands.AcknowledgeAsync("acc-esc", AlertRules.HealthBand, "csm@example.com", default);
        Assert.Equal(AlertTier.Watch, (await _alerts.GetAsync("acc-esc", AlertRules.HealthBand, default))!.Tier);

        _clock.Advance(TimeSpan.FromHours(23));
        var early = await playbooks.EscalateOverdueAsync(default);
        _clock.Advance(TimeSpan.FromHours(2));
        var first = await playbooks.EscalateOverdueAsync(default);
        var repeat = await playbooks.EscalateOverdueAsync(default);
        var warning = (await _alerts.GetAsync("acc-esc", AlertRules.HealthBand, default))!;
        var queued = await _alerts.ListOutboxAsync(default).Where(i => i.AccountId == "acc-esc").ToListAsync();
        _clock.Advance(TimeSpan.FromDays(1));
        var second = await playbooks.EscalateOverdueAsync(default);
        _clock.Advance(TimeSpan.FromDays(5));
        var third = await playbooks.EscalateOverdueAsync(default);
        var last = (await _alerts.GetAsync("acc-esc", AlertRules.HealthBand, default))!;

        Assert.Equal((0, 1, 0, 1, 1), (early, first, repeat, second, third));
        Assert.Equal((AlertTier.Warning, AlertStatus.Open), (warning.Tier, warning.Status));
        Assert.EndsWith("(playbook step overdue: Root cause analysis: what drove the score down?)", warning.Reason, StringComparison.Ordinal);
        Assert.Contains(queued, i => i.Notification.Kind == AlertChangeKind.Escalate && i.Notification.Alert.Tier == AlertTier.Warning);
        Assert.Equal((AlertTier.Critical, true), (last.Tier, last.EscalatedToContact));
        var task = Assert.Single(await _tasks.ListForAccountAsync("acc-esc", default));
        Assert.Equal([true, true, true, true, false], task.Steps.Select(s => s.EscalatedAt is not null));
    }

    [Fact]
    public async Task EscalateOverdue_SwitchedOff_Nothing()
    {
        var commands = new AlertCommands(_alerts, new OpenAlertsCache(_alerts, _clock), _clock, _alertsOptions);
        var playbooks = new PlaybookStepEscalation(_tasks, commands, Options.Create(new PlaybooksOptions { EscalateOverdueSteps = false }), _clock, NullLogger<PlaybookStepEscalation>.Instance);
        Push("acc-off", HealthBand.Red, HealthBand.Green);
        await _dispatcher.RunAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromDays(10));

        Assert.Equal(0, await playbooks.EscalateOverdueAsync(default));
        Assert.False((await _alerts.GetAsync("acc-off", AlertRules.HealthBand, default))!.EscalatedToContact);
    }
}
