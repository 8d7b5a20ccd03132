using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;

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
}
