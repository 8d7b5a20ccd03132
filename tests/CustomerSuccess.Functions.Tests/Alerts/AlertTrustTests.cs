using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>Lifecycle states and the warm-up in the rule engine: churned accounts close, cancelling ones are Critical, baselines raise nothing.</summary>
public sealed class AlertTrustTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly StartDay = DateOnly.FromDateTime(Start.UtcDateTime);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly AlertsOptions _options = new() { EscalationContact = "vp@example.com", DashboardBaseUrl = "https://cs.example.com" };

    private HealthTransition State(HealthBand band, AccountLifecycleState lifecycle = AccountLifecycleState.Active, DateOnly? firstScoredOn = null) => new()
    {
        AccountId = "acc-1",
        RunId = "run",
        ScoredAt = _clock.GetUtcNow(),
        Score = band switch { HealthBand.Green => 80, HealthBand.Yellow => 55, _ => 30 },
        Band = band,
        PreviousBand = HealthBand.Green,
        CsmEmail = "csm@example.com",
        Lifecycle = lifecycle,
        FirstScoredOn = firstScoredOn ?? StartDay.AddDays(-60),
    };

    private IReadOnlyList<AlertChange> Run(HealthTransition state, params Alert[] existing) =>
        AlertRuleEngine.Evaluate(state, existing, _options, _clock.GetUtcNow());

    [Fact]
    public void Evaluate_Churned_ResolvesEveryOpenAlertWithReasonChurnedAndRaisesNothing()
    {
        var open = Run(State(HealthBand.Red) with { OpenUrgentTickets = 1, LastPaymentFailedAt = Start.AddHours(-2) }).Select(c => c.Alert).ToArray();
        Assert.True(open.Length >= 3);
        _clock.Advance(TimeSpan.FromDays(1));

        var changes = Run(State(HealthBand.Red, AccountLifecycleState.Churned) with { OpenUrgentTickets = 1, LastPaymentFailedAt = Start.AddHours(-2) }, open);

        Assert.Equal(open.Length, changes.Count);
        Assert.All(changes, c =>
        {
            Assert.Equal(AlertChangeKind.Clear, c.Kind);
            Assert.Equal(AlertStatus.Resolved, c.Alert.Status);
            Assert.Equal("churned", c.Alert.ResolutionNote);
            Assert.True(c.IsEasing);
        });
    }

    [Fact]
    public void Evaluate_ChurnedWithNothingOpen_RaisesNothing() =>
        Assert.Empty(Run(State(HealthBand.Red, AccountLifecycleState.Churned) with { LastDisputeOpenedAt = Start.AddHours(-1), OpenComplaints = 2 }));

    [Fact]
    public void Evaluate_Cancelling_RaisesItsOwnCriticalOnce()
    {
        var state = State(HealthBand.Green, AccountLifecycleState.Cancelling) with { CancelsAt = Start.AddDays(9) };

        var change = Assert.Single(Run(state));

        Assert.Equal(AlertRules.Cancellation, change.Alert.RuleId);
        Assert.Equal(AlertTier.Critical, change.Alert.Tier);
        Assert.Equal($"Cancellation notice: save the account before the period ends on {Start.AddDays(9):yyyy-MM-dd}", change.Alert.Reason);
        Assert.Equal(Start + _options.CriticalDue, change.Alert.DueBy);
        Assert.Empty(Run(state, change.Alert));
    }

    [Fact]
    public void Evaluate_NoticeWithdrawn_ClearsTheCancellationAlert()
    {
        var raised = Assert.Single(Run(State(HealthBand.Green, AccountLifecycleState.Cancelling) with { CancelsAt = Start.AddDays(9) })).Alert;
        _clock.Advance(TimeSpan.FromDays(2));

        var change = Assert.Single(Run(State(HealthBand.Green, AccountLifecycleState.Reactivated), raised));

        Assert.Equal(AlertChangeKind.Clear, change.Kind);
        Assert.Equal(AlertRuleEngine.ClearedNote, change.Alert.ResolutionNote);
    }

    [Fact]
    public void Evaluate_WarmingUp_FirstScoresRaiseNothing()
    {
        var state = State(HealthBand.Red, firstScoredOn: StartDay.AddDays(-2)) with
        {
            PreviousBand = null,
            OpenUrgentTickets = 1,
            Dimensions = new Dictionary<HealthDimension, int> { [HealthDimension.Relationship] = 0 },
            Flags = new HashSet<string> { HealthFlags.UsageDown2Weeks, HealthFlags.LoginsDownWeekOverWeek },
            RenewalDate = Start.AddDays(30),
        };

        Assert.True(AlertRuleEngine.IsWarmingUp(state, _options));
        Assert.Empty(Run(state));
    }

    [Theory]
    [InlineData("payment")]
    [InlineData("dispute")]
    [InlineData("notice")]
    public void Evaluate_WarmingUp_CriticalFactsStillRaise(string fact)
    {
        var state = State(HealthBand.Red, fact == "notice" ? AccountLifecycleState.Cancelling : AccountLifecycleState.Active, firstScoredOn: StartDay) with
        {
            PreviousBand = null,
            LastPaymentFailedAt = fact == "payment" ? Start.AddHours(-1) : null,
            LastDisputeOpenedAt = fact == "dispute" ? Start.AddHours(-1) : null,
        };

        var change = Assert.Single(Run(state));

        Assert.Equal(fact == "notice" ? AlertRules.Cancellation : AlertRules.PaymentRisk, change.Alert.RuleId);
        Assert.Equal(AlertTier.Critical, change.Alert.Tier);
    }

    [Fact]
    public void Evaluate_AfterWarmUp_RulesApplyAgain()
    {
        var state = State(HealthBand.Red, firstScoredOn: StartDay.AddDays(-_options.WarmUpDays));

        Assert.False(AlertRuleEngine.IsWarmingUp(state, _options));
        Assert.Equal(AlertRules.HealthBand, Assert.Single(Run(state)).Alert.RuleId);
    }

    [Fact]
    public void Evaluate_WarmUpOff_FirstScoreRaises()
    {
        _options.WarmUpDays = 0;

        Assert.Single(Run(State(HealthBand.Red, firstScoredOn: StartDay)));
    }

    [Fact]
    public void Evaluate_UnknownBaseline_IsNotWarmingUp() =>
        Assert.False(AlertRuleEngine.IsWarmingUp(State(HealthBand.Red) with { FirstScoredOn = null }, _options));

    [Theory]
    [InlineData(AlertChangeKind.StepDown, AlertTier.Critical)]
    [InlineData(AlertChangeKind.Clear, AlertTier.Warning)]
    public void Outbox_EasingNews_GoesToTheDigestQueue(AlertChangeKind kind, AlertTier tier)
    {
        var alert = new Alert { AccountId = "acc-1", RuleId = AlertRules.HealthBand, Occurrence = 1, Tier = tier, Status = AlertStatus.Open, RaisedAt = Start, DueBy = Start, Version = 2 };

        var row = AlertOutboxEntity.From(new AlertChange(kind, alert));

        Assert.Equal(AlertTierRouter.QueueFor(AlertTier.Watch), row.Queue);
        Assert.Equal(AlertTierRouter.QueueFor(AlertTier.Critical), AlertOutboxEntity.From(new AlertChange(AlertChangeKind.Raise, alert with { Tier = AlertTier.Critical })).Queue);
    }

    [Fact]
    public void Digest_TellsWhatEased()
    {
        var alert = new Alert { AccountId = "acc-1", AccountName = "Acme", RuleId = AlertRules.HealthBand, Occurrence = 1, Tier = AlertTier.Watch, Status = AlertStatus.Resolved, RaisedAt = Start, DueBy = Start, Reason = "Health band is Red", ResolutionNote = "churned" };

        var email = AlertEmailComposer.ComposeDigest("csm@example.com", StartDay, [new AlertNotification(AlertChangeKind.Clear, alert), new AlertNotification(AlertChangeKind.StepDown, alert with { AccountName = "Beta", Reason = "Health band dropped to Yellow" })], _options);

        Assert.Contains("Acme: resolved, churned", email.PlainText, StringComparison.Ordinal);
        Assert.Contains("Beta: eased to Watch, Health band dropped to Yellow", email.PlainText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6, true)]
    [InlineData(0, true)]
    [InlineData(7, false)]
    public void Evaluate_NpsDetractor_WarningDueInFiveBusinessDays(int score, bool raised)
    {
        // Start is a Monday: five business days later is the next Monday.
        var changes = Run(State(HealthBand.Green) with { LastNpsScore = score, LastNpsAt = Start.AddHours(-2) });

        if (!raised)
        {
            Assert.Empty(changes);
            return;
        }

        var alert = Assert.Single(changes).Alert;
        Assert.Equal((AlertRules.NpsDetractor, AlertTier.Warning), (alert.RuleId, alert.Tier));
        Assert.Equal(Start.AddDays(7), alert.DueBy);
        Assert.Empty(Run(State(HealthBand.Green) with { LastNpsScore = score, LastNpsAt = Start.AddHours(-2) }, alert));
    }

    [Fact]
    public void BusinessDays_FromAThursday_SkipTheWeekend() =>
        Assert.Equal(TimeSpan.FromDays(7), AlertRuleEngine.BusinessDays(Start.AddDays(3), 5));

    [Fact]
    public void Evaluate_DataExportRequested_Warning()
    {
        var alert = Assert.Single(Run(State(HealthBand.Green) with { DataExportRequestedAt = Start.AddHours(-1) })).Alert;

        Assert.Equal((AlertRules.DataExport, AlertTier.Warning, Start + _options.WarningDue), (alert.RuleId, alert.Tier, alert.DueBy));
        Assert.Empty(Run(State(HealthBand.Green) with { DataExportRequestedAt = Start.AddDays(-_options.EventLookbackDays - 1) }));
    }

    [Fact]
    public void Options_WarmUpDefault_IsSevenDays() => Assert.Equal(7, new AlertsOptions().WarmUpDays);
}
