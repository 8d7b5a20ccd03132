using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Alerts;

public sealed class AlertRuleEngineTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly AlertsOptions _options = new() { EscalationContact = "vp@example.com", DashboardBaseUrl = "https://cs.example.com" };

    // Unless a test says otherwise, the account was Green at its previous score.
    private static HealthTransition State(HealthBand band, int daysInBand = 0, HealthBand? previous = HealthBand.Green) => new()
    {
        AccountId = "acc-1",
        RunId = "run",
        ScoredAt = Start,
        Score = band switch { HealthBand.Green => 80, HealthBand.Yellow => 55, _ => 30 },
        Band = band,
        PreviousBand = previous,
        DaysInBand = daysInBand,
        CsmEmail = "csm@example.com",
    };

    private IReadOnlyList<AlertChange> Run(HealthTransition state, params Alert[] existing) =>
        AlertRuleEngine.Evaluate(state, existing, _options, _clock.GetUtcNow());

    private static AlertChange Single(IReadOnlyList<AlertChange> changes, string rule) => Assert.Single(changes, c => c.Alert.RuleId == rule);

    [Fact]
    public void Evaluate_GreenAccount_RaisesNothing() => Assert.Empty(Run(State(HealthBand.Green)));

    [Fact]
    public void Evaluate_GreenToYellow_RaisesWatchDueInSevenDays()
    {
        var change = Assert.Single(Run(State(HealthBand.Yellow, 0, HealthBand.Green)));

        Assert.Equal(AlertChangeKind.Raise, change.Kind);
        Assert.Equal(AlertTier.Watch, change.Alert.Tier);
        Assert.Equal(AlertRules.HealthBand, change.Alert.RuleId);
        Assert.Equal(Start.AddDays(7), change.Alert.DueBy);
        Assert.Equal("acc-1-health-band-1-watch-1", change.Alert.MessageId);
    }

    [Theory]
    [InlineData(null)] // first scored Yellow: no drop to report
    [InlineData(HealthBand.Red)] // climbing out of Red: better, not news
    [InlineData(HealthBand.Yellow)] // still Yellow, with no Watch open
    public void Evaluate_YellowNotComingFromGreen_RaisesNoWatch(HealthBand? previous) =>
        Assert.Empty(Run(State(HealthBand.Yellow, 3, previous)));

    [Fact]
    public void Evaluate_OpenWatch_StaysOpenWhileYellow()
    {
        var watch = Assert.Single(Run(State(HealthBand.Yellow, 0, HealthBand.Green))).Alert;

        Assert.Empty(Run(State(HealthBand.Yellow, 1, HealthBand.Yellow), watch));
    }

    [Theory]
    [InlineData(20, AlertTier.Watch)]
    [InlineData(21, AlertTier.Warning)]
    public void Evaluate_YellowForDays_WarningFromTwentyOneDays(int days, AlertTier expected)
    {
        var change = Assert.Single(Run(State(HealthBand.Yellow, days)));
        Assert.Equal(expected, change.Alert.Tier);
        Assert.Equal(Start + _options.DueFor(expected), change.Alert.DueBy);
    }

    [Fact]
    public void Evaluate_DimensionAtZero_RaisesWarningDueInThreeDays()
    {
        var state = State(HealthBand.Green) with { Segment = AccountSegment.MidMarket, Dimensions = new Dictionary<HealthDimension, int> { [HealthDimension.Engagement] = 0, [HealthDimension.Payment] = 90 } };

        var change = Single(Run(state), AlertRules.DimensionZero);

        Assert.Equal(AlertTier.Warning, change.Alert.Tier);
        Assert.Contains("Engagement", change.Alert.Reason, StringComparison.Ordinal);
        Assert.Equal(Start.AddDays(3), change.Alert.DueBy);
    }

    [Fact]
    public void Evaluate_DimensionZeroFlag_RaisesWarning()
    {
        var state = State(HealthBand.Green) with { Flags = new HashSet<string> { HealthFlags.DimensionZeroPrefix + "Outcomes" } };
        Assert.Equal(AlertTier.Warning, Single(Run(state), AlertRules.DimensionZero).Alert.Tier);
    }

    [Theory]
    [InlineData(HealthBand.Green, AlertTier.Watch)]
    [InlineData(HealthBand.Yellow, AlertTier.Warning)]
    public void Evaluate_LoginDecline_WatchWhileGreenWarningOnceOutOfGreen(HealthBand band, AlertTier expected)
    {
        var changes = Run(State(band, previous: band) with { Flags = new HashSet<string> { HealthFlags.LoginsDownWeekOverWeek } });

        var change = Single(changes, AlertRules.LoginDecline);
        Assert.Equal(expected, change.Alert.Tier);
        Assert.DoesNotContain(changes, c => c.Alert.RuleId == AlertRules.UsageDecline);
    }

    [Fact]
    public void Evaluate_LoginsAndEventsDown_OneUsageDeclineAlertNamingBoth()
    {
        var changes = Run(State(HealthBand.Yellow, previous: HealthBand.Yellow) with { Flags = new HashSet<string> { HealthFlags.LoginsDownWeekOverWeek, HealthFlags.UsageDown4Weeks } });

        var change = Single(changes, AlertRules.UsageDecline);
        Assert.Equal(AlertTier.Warning, change.Alert.Tier);
        Assert.Contains("logins down", change.Alert.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(changes, c => c.Alert.RuleId == AlertRules.LoginDecline);
    }

    [Theory]
    [InlineData(AccountSegment.Smb, HealthDimension.Payment, false)]
    [InlineData(AccountSegment.Enterprise, HealthDimension.Payment, false)]
    [InlineData(AccountSegment.Smb, HealthDimension.Relationship, false)]
    [InlineData(AccountSegment.Smb, HealthDimension.Engagement, false)]
    [InlineData(AccountSegment.Smb, HealthDimension.Outcomes, true)]
    [InlineData(AccountSegment.MidMarket, HealthDimension.Relationship, true)]
    [InlineData(AccountSegment.Enterprise, HealthDimension.Engagement, true)]
    public void Evaluate_DimensionAtZero_OnlyWhereNoOtherRuleSpeaksAndTheSegmentManagesIt(AccountSegment segment, HealthDimension dimension, bool raised)
    {
        var state = State(HealthBand.Green) with { Segment = segment, Dimensions = new Dictionary<HealthDimension, int> { [dimension] = 0 } };

        Assert.Equal(raised, Run(state).Any(c => c.Alert.RuleId == AlertRules.DimensionZero));
    }

    [Fact]
    public void Evaluate_RelationshipAtZeroAfterTheChampionLeft_OnlyTheRelationshipLossAlert()
    {
        var state = State(HealthBand.Green) with
        {
            Segment = AccountSegment.Enterprise,
            ChampionLeftAt = Start.AddDays(-2),
            Dimensions = new Dictionary<HealthDimension, int> { [HealthDimension.Relationship] = 0 },
        };

        var change = Assert.Single(Run(state));
        Assert.Equal((AlertRules.RelationshipLoss, AlertTier.Critical), (change.Alert.RuleId, change.Alert.Tier));
    }

    [Theory]
    [InlineData(HealthFlags.UsageDown2Weeks, HealthBand.Green, AlertTier.Watch)]
    [InlineData(HealthFlags.UsageDown4Weeks, HealthBand.Green, AlertTier.Watch)]
    [InlineData(HealthFlags.UsageDown2Weeks, HealthBand.Yellow, AlertTier.Warning)]
    [InlineData(HealthFlags.UsageDown4Weeks, HealthBand.Red, AlertTier.Warning)]
    public void Evaluate_UsageDecline_WatchWhileGreenWarningOnceOutOfGreen(string flag, HealthBand band, AlertTier expected)
    {
        var change = Single(Run(State(band) with { Flags = new HashSet<string> { flag } }), AlertRules.UsageDecline);
        Assert.Equal(AlertChangeKind.Raise, change.Kind);
        Assert.Equal(expected, change.Alert.Tier);
        Assert.Equal(Start + _options.DueFor(expected), change.Alert.DueBy);
    }

    [Fact]
    public void Evaluate_UsageDeclineWatch_EscalatesToWarningWhenTheBandLeavesGreen()
    {
        var flags = new HashSet<string> { HealthFlags.UsageDown2Weeks };
        var watch = Single(Run(State(HealthBand.Green) with { Flags = flags }), AlertRules.UsageDecline).Alert;

        var change = Single(Run(State(HealthBand.Yellow, daysInBand: 3) with { Flags = flags }, watch), AlertRules.UsageDecline);

        Assert.Equal((AlertChangeKind.Escalate, AlertTier.Warning), (change.Kind, change.Alert.Tier));
    }

    [Fact]
    public void Evaluate_Red_RaisesCriticalDueInTwentyFourHours()
    {
        var change = Assert.Single(Run(State(HealthBand.Red)));
        Assert.Equal(AlertTier.Critical, change.Alert.Tier);
        Assert.Equal(Start.AddHours(24), change.Alert.DueBy);
    }

    [Fact]
    public void Evaluate_ChampionLeft_RaisesCritical()
    {
        var change = Assert.Single(Run(State(HealthBand.Green) with { ChampionLeftAt = Start.AddDays(-2) }));
        Assert.Equal(AlertRules.RelationshipLoss, change.Alert.RuleId);
        Assert.Equal(AlertTier.Critical, change.Alert.Tier);
        Assert.Equal("Champion left", change.Alert.Reason);
    }

    [Fact]
    public void Evaluate_ExecutiveSponsorLeft_RaisesCritical()
    {
        var change = Assert.Single(Run(State(HealthBand.Green) with { ExecutiveSponsorLeftAt = Start.AddDays(-1) }));
        Assert.Equal("Executive sponsor left", change.Alert.Reason);
    }

    [Fact]
    public void Evaluate_DepartureOutsideLookback_RaisesNothing() =>
        Assert.Empty(Run(State(HealthBand.Green) with { ChampionLeftAt = Start.AddDays(-31) }));

    [Theory]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    public void Evaluate_UrgentTicketOrComplaint_RaisesCritical(int urgent, int complaints)
    {
        var change = Assert.Single(Run(State(HealthBand.Green) with { OpenUrgentTickets = urgent, OpenComplaints = complaints }));
        Assert.Equal(AlertRules.SupportEscalation, change.Alert.RuleId);
        Assert.Equal(AlertTier.Critical, change.Alert.Tier);
    }

    [Fact]
    public void Evaluate_PaymentFailedOrDispute_RaisesCritical()
    {
        Assert.Equal("Payment failed", Assert.Single(Run(State(HealthBand.Green) with { LastPaymentFailedAt = Start.AddHours(-3) })).Alert.Reason);
        Assert.Equal("Payment dispute opened", Assert.Single(Run(State(HealthBand.Green) with { LastDisputeOpenedAt = Start.AddHours(-3) })).Alert.Reason);
    }

    [Theory]
    [InlineData(89, true)]
    [InlineData(91, false)]
    public void Evaluate_RenewalWithinNinetyDaysWhileRed_RaisesCritical(int daysToRenewal, bool expected)
    {
        var changes = Run(State(HealthBand.Red) with { RenewalDate = Start.AddDays(daysToRenewal) });
        Assert.Equal(expected, changes.Any(c => c.Alert.RuleId == AlertRules.RenewalAtRisk && c.Alert.Tier == AlertTier.Critical));
    }

    [Fact]
    public void Evaluate_RenewalSoonButGreen_RaisesNothing() =>
        Assert.Empty(Run(State(HealthBand.Green) with { RenewalDate = Start.AddDays(10) }));

    [Fact]
    public void Evaluate_DisabledRule_RaisesNothing()
    {
        _options.DisabledRules.Add(AlertRules.HealthBand);
        Assert.Empty(Run(State(HealthBand.Red)));
    }

    [Fact]
    public void Evaluate_SameConditionWhileOpen_DoesNotRaiseAgain()
    {
        var open = Assert.Single(Run(State(HealthBand.Yellow))).Alert;
        _clock.Advance(TimeSpan.FromDays(1));

        Assert.Empty(Run(State(HealthBand.Yellow, 1), open));
        Assert.Empty(Run(State(HealthBand.Yellow, 1), open with { Status = AlertStatus.Acknowledged }));
    }

    [Fact]
    public void Evaluate_WorseTier_EscalatesTheOpenAlertInsteadOfAddingOne()
    {
        var watch = Assert.Single(Run(State(HealthBand.Yellow))).Alert with { Status = AlertStatus.Acknowledged, AcknowledgedAt = Start };
        _clock.Advance(TimeSpan.FromDays(2));

        var change = Assert.Single(Run(State(HealthBand.Red), watch));

        Assert.Equal(AlertChangeKind.Escalate, change.Kind);
        Assert.Equal(AlertTier.Critical, change.Alert.Tier);
        Assert.Equal(AlertStatus.Open, change.Alert.Status);
        Assert.Null(change.Alert.AcknowledgedAt);
        Assert.Equal(watch.AlertId, change.Alert.AlertId);
        Assert.Equal(2, change.Alert.Version);
        Assert.Equal(_clock.GetUtcNow().AddHours(24), change.Alert.DueBy);
        Assert.Equal("acc-1-health-band-1-critical-2", change.Alert.MessageId);
    }

    [Fact]
    public void Evaluate_MilderTierWhileOpen_StepsTheAlertDownAndTellsTheCsm()
    {
        var critical = Assert.Single(Run(State(HealthBand.Red))).Alert;
        _clock.Advance(TimeSpan.FromHours(5));

        var change = Assert.Single(Run(State(HealthBand.Yellow, previous: HealthBand.Red), critical));

        Assert.Equal(AlertChangeKind.StepDown, change.Kind);
        Assert.True(change.Notifies);
        Assert.True(change.IsEasing);
        Assert.Equal(AlertTier.Watch, change.Alert.Tier);
        Assert.Equal(AlertStatus.Open, change.Alert.Status);
        Assert.Equal(_clock.GetUtcNow() + _options.WatchDue, change.Alert.DueBy);
        Assert.Equal(critical.Occurrence, change.Alert.Occurrence);
        Assert.Equal("acc-1-health-band-1-watch-2", change.Alert.MessageId);
    }

    [Fact]
    public void Evaluate_SameTierAfterOverdueEscalation_DoesNotStepDown()
    {
        var warning = Assert.Single(Run(State(HealthBand.Yellow, daysInBand: 30))).Alert;
        _clock.Advance(_options.WarningDue + TimeSpan.FromMinutes(1));
        var overdue = AlertRuleEngine.EscalateIfOverdue(warning, _options, _clock.GetUtcNow())!.Alert;
        Assert.Equal(AlertTier.Critical, overdue.Tier);

        Assert.Empty(Run(State(HealthBand.Yellow, daysInBand: 31), overdue));
    }

    [Fact]
    public void Evaluate_ConditionClears_ResolvesTheAlert()
    {
        var open = Assert.Single(Run(State(HealthBand.Yellow))).Alert;
        _clock.Advance(TimeSpan.FromDays(3));

        var change = Assert.Single(Run(State(HealthBand.Green), open));

        Assert.Equal(AlertChangeKind.Clear, change.Kind);
        Assert.True(change.Notifies);
        Assert.True(change.IsEasing);
        Assert.Equal(AlertStatus.Resolved, change.Alert.Status);
        Assert.Equal(AlertRuleEngine.ClearedNote, change.Alert.ResolutionNote);
        Assert.Equal(open.Version + 1, change.Alert.Version);
        Assert.Equal(_clock.GetUtcNow(), change.Alert.ResolvedAt);
    }

    [Fact]
    public void Evaluate_ReRaiseWithinCooldown_WaitsUntilCooldownPasses()
    {
        var open = Assert.Single(Run(State(HealthBand.Yellow))).Alert;
        _clock.Advance(TimeSpan.FromDays(1));
        var resolved = Assert.Single(Run(State(HealthBand.Green), open)).Alert;

        _clock.Advance(TimeSpan.FromDays(6));
        Assert.Empty(Run(State(HealthBand.Yellow), resolved));

        _clock.Advance(TimeSpan.FromDays(1));
        var again = Assert.Single(Run(State(HealthBand.Yellow), resolved));
        Assert.Equal(AlertChangeKind.Raise, again.Kind);
        Assert.Equal(2, again.Alert.Occurrence);
        Assert.Equal("acc-1-health-band-2-watch-1", again.Alert.MessageId);
    }

    [Fact]
    public void Evaluate_SameEventAfterManualResolve_NeverRaisesAgain()
    {
        var state = State(HealthBand.Green) with { LastPaymentFailedAt = Start.AddHours(-1) };
        var open = Assert.Single(Run(state)).Alert;
        var resolved = open with { Status = AlertStatus.Resolved, ResolvedAt = Start, ResolutionNote = "Card updated" };

        _clock.Advance(TimeSpan.FromDays(8));
        Assert.Empty(Run(state, resolved));

        var newFailure = state with { LastPaymentFailedAt = _clock.GetUtcNow().AddHours(-1) };
        Assert.Equal(AlertChangeKind.Raise, Assert.Single(Run(newFailure, resolved)).Kind);
    }

    [Fact]
    public void EscalateIfOverdue_UnacknowledgedWarningPastDue_BecomesCritical()
    {
        var warning = Assert.Single(Run(State(HealthBand.Yellow, 21))).Alert;

        Assert.Null(AlertRuleEngine.EscalateIfOverdue(warning, _options, Start.AddDays(3).AddTicks(-1)));

        var change = AlertRuleEngine.EscalateIfOverdue(warning, _options, Start.AddDays(3));
        Assert.NotNull(change);
        Assert.Equal(AlertChangeKind.Escalate, change.Kind);
        Assert.Equal(AlertTier.Critical, change.Alert.Tier);
        Assert.Equal(Start.AddDays(4), change.Alert.DueBy);
        Assert.Equal(2, change.Alert.Version);
    }

    [Fact]
    public void EscalateIfOverdue_CriticalPastDue_GoesToEscalationContactOnce()
    {
        var critical = Assert.Single(Run(State(HealthBand.Red))).Alert;

        var change = AlertRuleEngine.EscalateIfOverdue(critical, _options, Start.AddDays(1));

        Assert.NotNull(change);
        Assert.Equal(AlertChangeKind.EscalateToContact, change.Kind);
        Assert.True(change.Alert.EscalatedToContact);
        Assert.Null(AlertRuleEngine.EscalateIfOverdue(change.Alert, _options, Start.AddDays(2)));
        var recipients = AlertRecipientSelector.Select(change.Alert, change.Kind, _options, Start.AddDays(1));
        Assert.Equal("vp@example.com", recipients!.To);
    }

    [Fact]
    public void EscalateIfOverdue_AcknowledgedAlert_DoesNotEscalate()
    {
        var warning = Assert.Single(Run(State(HealthBand.Yellow, 21))).Alert with { Status = AlertStatus.Acknowledged };
        Assert.Null(AlertRuleEngine.EscalateIfOverdue(warning, _options, Start.AddDays(30)));
    }
}
