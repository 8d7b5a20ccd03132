using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Playbooks;
using Microsoft.Extensions.Configuration;

namespace CustomerSuccess.Functions.Tests.Playbooks;

/// <summary>Playbook tasks, pure: creation from an alert, due dates, the tech-touch threshold, closing, completion and overdue steps.</summary>
public sealed class PlaybookPlannerTests
{
    private static readonly DateTimeOffset Raised = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly PlaybookAccount MidMarket = new(ArrDollars: 60_000, Onboarding: false);
    private readonly PlaybooksOptions _options = new();
    private readonly PlaybookCatalog _catalog = PlaybookCatalog.From(new PlaybooksOptions());

    private static Alert Alert(string ruleId = AlertRules.HealthBand, int occurrence = 1, AlertStatus status = AlertStatus.Open, AlertTier tier = AlertTier.Critical) => new()
    {
        AccountId = "acc-1",
        RuleId = ruleId,
        Occurrence = occurrence,
        Tier = tier,
        Status = status,
        RaisedAt = Raised,
        DueBy = Raised.AddDays(1),
        Reason = "Health band is Red",
        CsmEmail = "csm@example.com",
    };

    [Fact]
    public void Open_RedHealthAlert_SavePlanWithTheSeedsStepsDueFromTheRaise()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket);

        Assert.NotNull(task);
        Assert.Equal((PlaybookCatalog.AtRiskSavePlan, "At-risk save plan", "csm@example.com", "health-band-1"), (task.PlaybookId, task.Title, task.Owner, task.TaskId));
        Assert.Equal(PlaybookTaskStatus.Open, task.Status);
        Assert.Equal(Raised, task.TriggeredAt);
        Assert.Equal([1, 2, 3, 4, 5], task.Steps.Select(s => s.Number));
        Assert.StartsWith("Root cause analysis", task.Steps[0].Name, StringComparison.Ordinal);
        Assert.StartsWith("Go/no-go checkpoint", task.Steps[4].Name, StringComparison.Ordinal);
        // 24 hours for the save plan's root cause, 48 for executive alignment, 90 days to the go/no-go checkpoint.
        Assert.Equal([Raised.AddDays(1), Raised.AddDays(2), Raised.AddDays(7), Raised.AddDays(7), Raised.AddDays(90)], task.Steps.Select(s => s.DueBy));
        Assert.All(task.Steps, s => Assert.False(s.IsDone));
    }

    [Theory]
    [InlineData(AlertRules.NpsDetractor, false, PlaybookCatalog.DetractorFollowUp)]
    [InlineData(AlertRules.ExpansionOpportunity, false, PlaybookCatalog.Expansion)]
    [InlineData(AlertRules.RenewalAtRisk, false, PlaybookCatalog.RenewalAtRisk)]
    [InlineData(AlertRules.RenewalNotStarted, false, PlaybookCatalog.RenewalAtRisk)]
    [InlineData(AlertRules.RelationshipLoss, false, PlaybookCatalog.AtRiskSavePlan)]
    [InlineData(AlertRules.HealthBand, true, PlaybookCatalog.OnboardingStalled)]
    [InlineData(AlertRules.UsageDecline, true, PlaybookCatalog.OnboardingStalled)]
    [InlineData(AlertRules.Cancellation, true, PlaybookCatalog.AtRiskSavePlan)]
    public void Open_EachAlertKind_OpensItsPlaybook(string ruleId, bool onboarding, string playbook)
    {
        var task = PlaybookPlanner.Open(Alert(ruleId), _catalog, _options, MidMarket with { Onboarding = onboarding });

        Assert.Equal(playbook, task?.PlaybookId);
    }

    [Fact]
    public void Open_DetractorFollowUp_StepsDueWithinTheWeekThatHoldsFiveBusinessDays()
    {
        var task = PlaybookPlanner.Open(Alert(AlertRules.NpsDetractor), _catalog, _options, MidMarket)!;

        Assert.Equal([Raised.AddDays(2), Raised.AddDays(7), Raised.AddDays(30)], task.Steps.Select(s => s.DueBy));
    }

    [Theory]
    [InlineData(19_999L, false)]
    [InlineData(20_000L, true)]
    [InlineData(0L, false)]
    [InlineData(250_000L, true)]
    public void Open_TechTouchThreshold_NoHumanTasksBelowTheArr(long arr, bool expectTask)
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, new PlaybookAccount(arr, false));

        Assert.Equal(expectTask, task is not null);
    }

    [Fact]
    public void Open_RevenueNotKnown_TasksAsForAnyAccount()
    {
        Assert.NotNull(PlaybookPlanner.Open(Alert(), _catalog, _options, new PlaybookAccount(null, false)));
    }

    [Fact]
    public void Open_ThresholdZero_EveryAccountGetsTasks()
    {
        var options = new PlaybooksOptions { TechTouchMaxArr = 0 };

        Assert.NotNull(PlaybookPlanner.Open(Alert(), _catalog, options, new PlaybookAccount(1_200, false)));
    }

    [Fact]
    public void Open_RuleNoPlaybookTakes_NoTask()
    {
        var options = new PlaybooksOptions();
        options.Playbooks[PlaybookCatalog.AtRiskSavePlan] = new PlaybookOptions { Title = "Save", Rules = [AlertRules.HealthBand], Steps = [new() { Name = "Call", DueAfter = TimeSpan.FromHours(4) }] };
        var catalog = PlaybookCatalog.From(options);

        Assert.Null(PlaybookPlanner.Open(Alert(AlertRules.DataExport), catalog, options, MidMarket));
        var task = PlaybookPlanner.Open(Alert(), catalog, options, MidMarket)!;
        Assert.Equal([("Call", Raised.AddHours(4))], task.Steps.Select(s => (s.Name, s.DueBy)));
    }

    [Fact]
    public void Catalog_ConfiguredPlaybook_ReplacesTheDefaultWholeNotMergedStepByStep()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Playbooks:TechTouchMaxArr"] = "5000",
            ["Playbooks:Playbooks:expansion:Title"] = "Upsell",
            ["Playbooks:Playbooks:expansion:Rules:0"] = "expansion-opportunity",
            ["Playbooks:Playbooks:expansion:Steps:0:Name"] = "Qualify",
            ["Playbooks:Playbooks:expansion:Steps:0:DueAfter"] = "3.00:00:00",
        }).Build();
        var options = configuration.GetSection(PlaybooksOptions.SectionName).Get<PlaybooksOptions>()!;

        var expansion = PlaybookCatalog.From(options).All.Single(p => p.Id == PlaybookCatalog.Expansion);

        Assert.Equal(5000, options.TechTouchMaxArr);
        Assert.Equal("Upsell", expansion.Title);
        Assert.Equal([("Qualify", TimeSpan.FromDays(3))], expansion.Steps.Select(s => (s.Name, s.DueAfter)));
        Assert.Equal(5, PlaybookCatalog.From(options).All.Count);
    }

    [Fact]
    public void Reconcile_AlertRaised_OpensOneTaskAndAgainNothing()
    {
        var alerts = new[] { Alert(), Alert(AlertRules.NpsDetractor, tier: AlertTier.Warning) };

        var first = PlaybookPlanner.Reconcile(alerts, [], _catalog, _options, MidMarket, Raised);
        var again = PlaybookPlanner.Reconcile(alerts, [.. first.Select(c => c.Task)], _catalog, _options, MidMarket, Raised.AddHours(1));

        Assert.Equal([(PlaybookTaskChangeKind.Open, "health-band-1"), (PlaybookTaskChangeKind.Open, "nps-detractor-1")], first.Select(c => (c.Kind, c.Task.TaskId)));
        Assert.Empty(again);
    }

    [Fact]
    public void Reconcile_AlertResolved_ClosesItsTaskWithTheResolutionNote()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)!;
        var resolvedAt = Raised.AddDays(12);
        var resolved = Alert() with { Status = AlertStatus.Resolved, ResolvedAt = resolvedAt, ResolutionNote = AlertRuleEngine.ClearedNote };

        var change = Assert.Single(PlaybookPlanner.Reconcile([resolved], [task], _catalog, _options, MidMarket, resolvedAt.AddMinutes(5)));

        Assert.Equal(PlaybookTaskChangeKind.Close, change.Kind);
        Assert.Equal((PlaybookTaskStatus.Closed, resolvedAt, "Alert resolved: Condition cleared"), (change.Task.Status, change.Task.ClosedAt, change.Task.CloseNote));
    }

    [Fact]
    public void Reconcile_AcknowledgedAlert_KeepsItsTaskOpen()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)!;

        Assert.Empty(PlaybookPlanner.Reconcile([Alert(status: AlertStatus.Acknowledged)], [task], _catalog, _options, MidMarket, Raised.AddDays(1)));
    }

    [Fact]
    public void Reconcile_NextEpisodeOfTheRule_ClosesTheOldTaskAndOpensANewOne()
    {
        var old = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)!;
        var now = Raised.AddDays(30);
        var next = Alert(occurrence: 2) with { RaisedAt = now };

        var changes = PlaybookPlanner.Reconcile([next], [old], _catalog, _options, MidMarket, now);

        Assert.Equal([(PlaybookTaskChangeKind.Open, "health-band-2"), (PlaybookTaskChangeKind.Close, "health-band-1")], changes.Select(c => (c.Kind, c.Task.TaskId)));
        Assert.Equal(now.AddDays(1), changes[0].Task.Steps[0].DueBy);
        Assert.Equal(now, changes[1].Task.ClosedAt);
    }

    [Fact]
    public void Reconcile_TechTouchAccount_OpensNothingButStillClosesWhatIsOpen()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)!;
        var smb = new PlaybookAccount(6_000, false);

        Assert.Empty(PlaybookPlanner.Reconcile([Alert(AlertRules.NpsDetractor)], [], _catalog, _options, smb, Raised));
        Assert.Equal(PlaybookTaskChangeKind.Close, Assert.Single(PlaybookPlanner.Reconcile([], [task], _catalog, _options, smb, Raised)).Kind);
    }

    [Fact]
    public void CompleteStep_OpenTask_MarksOnlyThatStepWithWhoAndWhen()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)!;
        var at = Raised.AddHours(20);

        var (status, done) = PlaybookPlanner.CompleteStep(task, 2, " csm@example.com ", at);

        Assert.Equal(StepCompletionStatus.Done, status);
        Assert.Equal((at, "csm@example.com"), (done.Steps[1].CompletedAt, done.Steps[1].CompletedBy));
        Assert.Equal(1, done.Steps.Count(s => s.IsDone));
        Assert.Equal(StepCompletionStatus.AlreadyDone, PlaybookPlanner.CompleteStep(done, 2, "other", at.AddHours(1)).Status);
        Assert.Equal(StepCompletionStatus.NoSuchStep, PlaybookPlanner.CompleteStep(done, 6, null, at).Status);
        Assert.Equal(StepCompletionStatus.NoSuchStep, PlaybookPlanner.CompleteStep(done, 0, null, at).Status);
    }

    [Fact]
    public void CompleteStep_ClosedTask_Refused()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)! with { Status = PlaybookTaskStatus.Closed, ClosedAt = Raised.AddDays(3) };

        var (status, unchanged) = PlaybookPlanner.CompleteStep(task, 1, null, Raised.AddDays(4));

        Assert.Equal(StepCompletionStatus.TaskClosed, status);
        Assert.Same(task, unchanged);
    }

    [Fact]
    public void OverdueSteps_PastDueAndNotDone_EarliestFirst()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)!;
        task = PlaybookPlanner.CompleteStep(task, 1, null, Raised.AddHours(5)).Task;

        Assert.Empty(PlaybookPlanner.OverdueSteps(task, Raised.AddHours(23)));
        Assert.Empty(PlaybookPlanner.OverdueSteps(task, Raised.AddDays(1).AddHours(1)));
        Assert.Equal([2], PlaybookPlanner.OverdueSteps(task, Raised.AddDays(2)).Select(s => s.Number));
        Assert.Equal([2, 3, 4], PlaybookPlanner.OverdueSteps(task, Raised.AddDays(8)).Select(s => s.Number));
        Assert.Empty(PlaybookPlanner.OverdueSteps(task with { Status = PlaybookTaskStatus.Closed }, Raised.AddDays(8)));
    }

    [Fact]
    public void EscalateOverdue_EachStepOnceAndOnlyOnceOverdue()
    {
        var task = PlaybookPlanner.Open(Alert(), _catalog, _options, MidMarket)!;
        task = PlaybookPlanner.CompleteStep(task, 1, null, Raised.AddHours(5)).Task;

        Assert.Null(PlaybookPlanner.EscalateOverdue(task, Raised.AddDays(1.5)));
        var first = PlaybookPlanner.EscalateOverdue(task, Raised.AddDays(2))!.Value;
        var again = PlaybookPlanner.EscalateOverdue(first.Task, Raised.AddDays(3));
        var later = PlaybookPlanner.EscalateOverdue(first.Task, Raised.AddDays(7))!.Value;

        Assert.Equal(2, first.Step.Number);
        Assert.Equal([null, Raised.AddDays(2), null, null, null], first.Task.Steps.Select(s => s.EscalatedAt));
        Assert.Null(again);
        Assert.Equal(3, later.Step.Number);
        Assert.Equal([null, Raised.AddDays(2), Raised.AddDays(7), Raised.AddDays(7), null], later.Task.Steps.Select(s => s.EscalatedAt));
        Assert.Null(PlaybookPlanner.EscalateOverdue(later.Task with { Status = PlaybookTaskStatus.Closed }, Raised.AddDays(100)));
    }
}
