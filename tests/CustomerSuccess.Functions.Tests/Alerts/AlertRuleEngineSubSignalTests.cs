using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Health;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>The renewal-not-started and missed-touchpoints rules: Warnings with their reason in words, raised once per condition.</summary>
public sealed class AlertRuleEngineSubSignalTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly AlertsOptions _options = new() { EscalationContact = "vp@example.com", DashboardBaseUrl = "https://cs.example.com" };

    private static HealthTransition State(params string[] flags) => new()
    {
        AccountId = "acc-1",
        RunId = "run",
        ScoredAt = Now,
        Score = 80,
        Band = HealthBand.Green,
        PreviousBand = HealthBand.Green,
        Segment = AccountSegment.Enterprise,
        CsmEmail = "csm@example.com",
        Flags = new HashSet<string>(flags, StringComparer.Ordinal),
        RenewalDate = Now.AddDays(60),
        LastRenewalConversationAt = Now.AddDays(-200),
        MissedMeetingsInRow = 2,
        LastMeetingMissedAt = Now.AddDays(-3),
    };

    private IReadOnlyList<AlertChange> Run(HealthTransition state, params Alert[] existing) => AlertRuleEngine.Evaluate(state, existing, _options, Now);

    [Fact]
    public void Evaluate_RenewalNotStarted_RaisesWarningWithDateAndLastConversation()
    {
        var change = Assert.Single(Run(State(HealthFlags.RenewalNotStarted)));

        Assert.Equal((AlertChangeKind.Raise, AlertRules.RenewalNotStarted, AlertTier.Warning), (change.Kind, change.Alert.RuleId, change.Alert.Tier));
        Assert.Equal("Renewal on 2026-05-01 (60 days away) and no renewal meeting or QBR held since 2025-08-14: start the renewal conversation", change.Alert.Reason);
    }

    [Fact]
    public void Evaluate_MissedTouchpoints_RaisesWarningWithCountAndDate()
    {
        var change = Assert.Single(Run(State(HealthFlags.MissedTouchpoints)));

        Assert.Equal((AlertRules.MissedTouchpoints, AlertTier.Warning), (change.Alert.RuleId, change.Alert.Tier));
        Assert.Equal("Missed 2 booked CSM meetings in a row, the latest on 2026-02-27", change.Alert.Reason);
    }

    [Fact]
    public void Evaluate_WithoutTheFlags_RaisesNothing() => Assert.Empty(Run(State()));

    [Fact]
    public void Evaluate_ConditionCleared_ResolvesTheAlert()
    {
        var raised = Assert.Single(Run(State(HealthFlags.RenewalNotStarted))).Alert;

        var change = Assert.Single(Run(State(), raised));

        Assert.Equal(AlertChangeKind.Clear, change.Kind);
        Assert.Equal(AlertStatus.Resolved, change.Alert.Status);
    }

    [Fact]
    public void Evaluate_SameRenewalAfterResolution_DoesNotRaiseAgain()
    {
        var raised = Assert.Single(Run(State(HealthFlags.RenewalNotStarted))).Alert;
        var resolved = raised with { Status = AlertStatus.Resolved, ResolvedAt = Now.AddDays(-30) };

        Assert.Empty(Run(State(HealthFlags.RenewalNotStarted), resolved));
    }

    [Fact]
    public void Evaluate_WarmingUp_RaisesNeitherRule()
    {
        var state = State(HealthFlags.RenewalNotStarted, HealthFlags.MissedTouchpoints) with { FirstScoredOn = DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-1) };

        Assert.Empty(Run(state));
    }

    [Fact]
    public void Evaluate_FromTheModel_EnterpriseSilentOnRenewalAndMissingMeetings_RaisesBothWarnings()
    {
        // Scored ten days ago (past the warm-up), and today: renewal in 60 days with no renewal meeting or QBR since the
        // window opened, and the last two booked meetings missed.
        var asOf = HealthTestData.AsOf;
        var signals = HealthTestData.Healthy() with
        {
            MrrCents = 1_000_000,
            BillingPeriodDays = 365,
            RenewalDate = asOf.AddDays(60),
            MissedMeetingsInRow = 2,
            LastMeetingMissedAt = asOf.AddDays(-2),
        };
        var calculator = HealthTestData.Calculator();
        var earlier = calculator.Score(signals with { MissedMeetingsInRow = 0, LastMeetingMissedAt = null, RenewalDate = asOf.AddDays(120) }, null, null, asOf.AddDays(-10));
        var score = calculator.Score(signals, earlier, null, asOf);

        var transition = HealthTransitions.For(score, earlier, signals, "run")!;
        var changes = AlertRuleEngine.Evaluate(transition, [], _options, asOf);

        var renewal = Assert.Single(changes, c => c.Alert.RuleId == AlertRules.RenewalNotStarted).Alert;
        var missed = Assert.Single(changes, c => c.Alert.RuleId == AlertRules.MissedTouchpoints).Alert;
        Assert.Equal((AlertTier.Warning, AlertTier.Warning), (renewal.Tier, missed.Tier));
        Assert.StartsWith("Renewal on 2026-08-29 (60 days away) and no renewal meeting or QBR held since records began", renewal.Reason, StringComparison.Ordinal);
        Assert.Equal("Missed 2 booked CSM meetings in a row, the latest on 2026-06-28", missed.Reason);
    }
}
