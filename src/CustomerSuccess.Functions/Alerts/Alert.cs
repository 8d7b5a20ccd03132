using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>
/// Alert tiers, in order of severity (a higher value is worse). <see cref="Opportunity"/> is no risk at all, so it sits
/// below every risk tier: an expansion opportunity for the account's CSM, on a queue of its own, never escalated, never
/// counted as risk (<see cref="AlertTiers.IsRisk"/>).
/// </summary>
public enum AlertTier
{
    Opportunity = -1,
    Watch = 0,
    Warning = 1,
    Critical = 2,
}

/// <summary>What readers of alerts ask of a tier.</summary>
public static class AlertTiers
{
    /// <summary>The risk tiers, most severe first: what at-risk lists, SLA figures and escalation read.</summary>
    public static IReadOnlyList<AlertTier> Risk { get; } = [AlertTier.Critical, AlertTier.Warning, AlertTier.Watch];

    /// <summary>Watch, Warning and Critical are risk; an Opportunity is not.</summary>
    public static bool IsRisk(this AlertTier tier) => tier != AlertTier.Opportunity;
}

public enum AlertStatus
{
    Open,
    Acknowledged,
    Resolved,
}

/// <summary>Stable ids of the alert rules. One alert per account and rule at a time; a rule may raise at several tiers.</summary>
public static class AlertRules
{
    /// <summary>The health band: Yellow = Watch, Yellow for N days = Warning, Red = Critical.</summary>
    public const string HealthBand = "health-band";

    public const string DimensionZero = "dimension-zero";

    public const string UsageDecline = "usage-decline";

    public const string LoginDecline = "login-decline";

    /// <summary>The champion or executive sponsor left.</summary>
    public const string RelationshipLoss = "relationship-loss";

    /// <summary>An urgent ticket or a formal complaint is open.</summary>
    public const string SupportEscalation = "support-escalation";

    /// <summary>A payment failed or a dispute was opened.</summary>
    public const string PaymentRisk = "payment-risk";

    /// <summary>Renewal within the window while the account is Red.</summary>
    public const string RenewalAtRisk = "renewal-at-risk";

    /// <summary>Notice of cancellation given and the period not ended: save the account before it ends (Critical).</summary>
    public const string Cancellation = "cancellation";

    /// <summary>An NPS detractor (0-6): a Warning due within 5 business days, to close the loop.</summary>
    public const string NpsDetractor = "nps-detractor";

    /// <summary>The customer asked for a data export (a lagging churn signal): a Warning.</summary>
    public const string DataExport = "data-export";

    /// <summary>A Mid-Market or Enterprise renewal inside its window with no renewal meeting or QBR held yet: a Warning.</summary>
    public const string RenewalNotStarted = "renewal-not-started";

    /// <summary>Two or more booked CSM meetings missed in a row: a Warning.</summary>
    public const string MissedTouchpoints = "missed-touchpoints";

    /// <summary>Expansion signals that passed the value gate (Expansion): an Opportunity for the account's CSM.</summary>
    public const string ExpansionOpportunity = "expansion-opportunity";

    public static IReadOnlyList<string> All { get; } =
        [HealthBand, DimensionZero, UsageDecline, LoginDecline, RelationshipLoss, SupportEscalation, PaymentRisk, RenewalAtRisk, Cancellation, NpsDetractor, DataExport, RenewalNotStarted, MissedTouchpoints, ExpansionOpportunity];

    /// <summary>Rules that stand on a critical fact (a failed payment, a dispute, a cancellation notice): they raise even while an account warms up.</summary>
    public static bool IsCriticalFact(string ruleId) => ruleId is PaymentRisk or Cancellation;
}

/// <summary>
/// The state of one account's alert for one rule: open, acknowledged, or resolved (kept for the cooldown).
/// <see cref="Occurrence"/> counts raises of this rule for the account; <see cref="Version"/> counts changes
/// that notify someone (raise, escalation), so "{AlertId}-{Tier}-{Version}" names each notification once.
/// </summary>
public sealed record Alert
{
    public required string AccountId { get; init; }

    public required string RuleId { get; init; }

    public required int Occurrence { get; init; }

    public required AlertTier Tier { get; init; }

    public required AlertStatus Status { get; init; }

    public required DateTimeOffset RaisedAt { get; init; }

    public required DateTimeOffset DueBy { get; init; }

    public int Version { get; init; } = 1;

    /// <summary>The tier the rule itself last warranted (null = <see cref="Tier"/>); an alert raised a tier for being overdue keeps its rule's tier here, so only a milder condition steps it down.</summary>
    public AlertTier? RuleTier { get; init; }

    /// <summary>Identifies the event behind an event-based rule (e.g. when the payment failed), so the same
    /// event never raises twice; empty for rules about a continuing state.</summary>
    public string ConditionKey { get; init; } = string.Empty;

    public string Reason { get; init; } = string.Empty;

    public string? AccountName { get; init; }

    public string? CsmEmail { get; init; }

    public IReadOnlyList<HealthDriver> Drivers { get; init; } = [];

    /// <summary>An Opportunity's signals, figures and estimated expansion MRR as raised; null for risk alerts.</summary>
    public ExpansionOpportunity? Opportunity { get; init; }

    public DateTimeOffset? AcknowledgedAt { get; init; }

    public string? AcknowledgedBy { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    public string? ResolutionNote { get; init; }

    /// <summary>Who resolved it by hand (null when a rule cleared it).</summary>
    public string? ResolvedBy { get; init; }

    /// <summary>Set once a Critical alert passed its due time unacknowledged and went to the escalation contact.</summary>
    public bool EscalatedToContact { get; init; }

    public string? ETag { get; init; }

    public string AlertId => $"{AccountId}-{RuleId}-{Occurrence}";

    public bool IsActive => Status != AlertStatus.Resolved;

    /// <summary>The Service Bus message id of this version of the alert: duplicate detection drops a resend.</summary>
    public string MessageId => $"{AlertId}-{Tier.ToString().ToLowerInvariant()}-{Version}";
}

public enum AlertChangeKind
{
    Raise,
    Escalate,

    /// <summary>A Critical alert passed its due time: the escalation contact is told.</summary>
    EscalateToContact,
    Resolve,

    /// <summary>Someone acknowledged the alert: it stops escalating on its due time.</summary>
    Acknowledge,

    /// <summary>The condition eased to a milder tier: the alert steps down and the CSM is told (daily digest).</summary>
    StepDown,

    /// <summary>The rules resolved the alert (the condition cleared, or the account churned): the CSM is told (daily digest).</summary>
    Clear,
}

/// <summary>What the rules decided for one alert; <see cref="Alert"/> is the new state. Raise, the escalations, step-down and clear notify; a CSM's resolve and acknowledge do not.</summary>
public sealed record AlertChange(AlertChangeKind Kind, Alert Alert)
{
    public bool Notifies => Kind is AlertChangeKind.Raise or AlertChangeKind.Escalate or AlertChangeKind.EscalateToContact or AlertChangeKind.StepDown or AlertChangeKind.Clear;

    /// <summary>News that the condition eased: told in the recipient's daily digest, never as an urgent email.</summary>
    public bool IsEasing => Kind is AlertChangeKind.StepDown or AlertChangeKind.Clear;
}
