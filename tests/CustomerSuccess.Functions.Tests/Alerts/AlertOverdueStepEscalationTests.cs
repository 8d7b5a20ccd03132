using CustomerSuccess.Functions.Alerts;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>An overdue playbook step escalates its alert as an unacknowledged alert past its due time does. Pure.</summary>
public sealed class AlertOverdueStepEscalationTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 5, 9, 0, 0, TimeSpan.Zero);
    private readonly AlertsOptions _options = new() { EscalationContact = "vp@example.com", DashboardBaseUrl = "https://cs.example.com" };

    private static Alert Alert(AlertTier tier, AlertStatus status = AlertStatus.Acknowledged) => new()
    {
        AccountId = "acc-1",
        RuleId = AlertRules.NpsDetractor,
        Occurrence = 2,
        Tier = tier,
        RuleTier = tier,
        Status = status,
        RaisedAt = Now.AddDays(-3),
        DueBy = Now.AddDays(2),
        Version = 3,
        Reason = "NPS detractor (3)",
        AcknowledgedAt = Now.AddDays(-2),
        AcknowledgedBy = "csm@example.com",
    };

    [Fact]
    public void EscalateForOverdueStep_AcknowledgedWarning_CriticalReopenedWithItsDueTimeAndTheStepNamed()
    {
        var change = AlertRuleEngine.EscalateForOverdueStep(Alert(AlertTier.Warning), "Close the loop", _options, Now)!;

        Assert.Equal(AlertChangeKind.Escalate, change.Kind);
        var a = change.Alert;
        Assert.Equal((AlertTier.Critical, AlertStatus.Open, Now + _options.CriticalDue, 4), (a.Tier, a.Status, a.DueBy, a.Version));
        Assert.Equal((AlertTier?)AlertTier.Warning, a.RuleTier);
        Assert.Null(a.AcknowledgedAt);
        Assert.Equal("NPS detractor (3) (playbook step overdue: Close the loop)", a.Reason);
        Assert.Equal("acc-1-nps-detractor-2-critical-4", a.MessageId);
    }

    [Fact]
    public void EscalateForOverdueStep_AgainLater_ReasonNamesTheLatestStepOnly()
    {
        var once = AlertRuleEngine.EscalateForOverdueStep(Alert(AlertTier.Watch), "Call", _options, Now)!.Alert;

        var twice = AlertRuleEngine.EscalateForOverdueStep(once, "Close the loop", _options, Now.AddDays(1))!.Alert;

        Assert.Equal(AlertTier.Critical, twice.Tier);
        Assert.Equal("NPS detractor (3) (playbook step overdue: Close the loop)", twice.Reason);
    }

    [Fact]
    public void EscalateForOverdueStep_Critical_ToTheEscalationContactOnce()
    {
        var change = AlertRuleEngine.EscalateForOverdueStep(Alert(AlertTier.Critical), "Root cause analysis", _options, Now)!;

        Assert.Equal(AlertChangeKind.EscalateToContact, change.Kind);
        Assert.True(change.Alert.EscalatedToContact);
        Assert.Null(AlertRuleEngine.EscalateForOverdueStep(change.Alert, "Executive alignment", _options, Now.AddDays(1)));
    }

    [Fact]
    public void EscalateForOverdueStep_OpportunityOrResolved_Nothing()
    {
        Assert.Null(AlertRuleEngine.EscalateForOverdueStep(Alert(AlertTier.Opportunity, AlertStatus.Open), "Validate", _options, Now));
        Assert.Null(AlertRuleEngine.EscalateForOverdueStep(Alert(AlertTier.Warning, AlertStatus.Resolved), "Call", _options, Now));
    }
}
