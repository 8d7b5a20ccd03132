namespace CustomerSuccess.Functions.Health;

public enum HealthBand
{
    Red,
    Yellow,
    Green,
}

/// <summary>Which ARR tier an account is in; each may have its own weights and treatment (tech-touch = SMB by default).</summary>
public enum AccountSegment
{
    Smb,
    MidMarket,
    Enterprise,
}

public enum HealthDimension
{
    ProductUsage,
    Engagement,
    Outcomes,
    Support,
    Relationship,
    Payment,
}

/// <summary>A named contributor to a score change, e.g. ("ProductUsage", -30, "active seats 62% → 18%").</summary>
public sealed record HealthDriver(string Name, double Delta, string Explanation);

/// <summary>
/// The durable record the recompute writes together with an account's score whenever something alert-worthy may
/// have changed: a band change, a change in flags, and once per account per day (so time-based rules such as
/// "Yellow for 21 days" and "renewal within 90 days" are evaluated daily). It carries the account's whole
/// current health state, so the alert rules need nothing else. Pure data.
/// </summary>
public sealed record HealthTransition
{
    public required string AccountId { get; init; }

    public required string RunId { get; init; }

    public required DateTimeOffset ScoredAt { get; init; }

    public string? AccountName { get; init; }

    public AccountSegment Segment { get; init; }

    public string? CsmEmail { get; init; }

    /// <summary>The W3C traceparent of the work that last changed the account (a webhook applied), when traces are
    /// recorded: the alerts this transition raises continue that trace.</summary>
    public string? CausedBy { get; init; }

    public required int Score { get; init; }

    /// <summary>The band in force: the CSM override when one is active, else the computed band.</summary>
    public required HealthBand Band { get; init; }

    public HealthBand? PreviousBand { get; init; }

    /// <summary>Whole days the account has been in <see cref="Band"/> (from the daily history).</summary>
    public int DaysInBand { get; init; }

    /// <summary>The score's 30-day trend (improving, stable, declining).</summary>
    public HealthTrend Trend { get; init; } = HealthTrend.Stable;

    public bool Onboarding { get; init; }

    /// <summary>Where the account stands as a customer: a churned account raises nothing and its alerts resolve.</summary>
    public AccountLifecycleState Lifecycle { get; init; } = AccountLifecycleState.Active;

    /// <summary>The first day of the account's scores (its baseline); null when not known (scored before this was kept).</summary>
    public DateOnly? FirstScoredOn { get; init; }

    /// <summary>When a cancelling account's subscription ends (Stripe's <c>cancel_at</c>, else the period end).</summary>
    public DateTimeOffset? CancelsAt { get; init; }

    public IReadOnlyDictionary<HealthDimension, int> Dimensions { get; init; } = new Dictionary<HealthDimension, int>();

    /// <summary>Flags the model raised, by stable id: see <see cref="HealthFlags"/>.</summary>
    public IReadOnlySet<string> Flags { get; init; } = new HashSet<string>();

    public IReadOnlyList<HealthDriver> Drivers { get; init; } = [];

    public DateTimeOffset? RenewalDate { get; init; }

    public DateTimeOffset? ChampionLeftAt { get; init; }

    public DateTimeOffset? ExecutiveSponsorLeftAt { get; init; }

    public int OpenUrgentTickets { get; init; }

    public int OpenComplaints { get; init; }

    /// <summary>When the most recent failed payment and opened dispute happened (null if none in the signal window).</summary>
    public DateTimeOffset? LastPaymentFailedAt { get; init; }

    public DateTimeOffset? LastDisputeOpenedAt { get; init; }

    /// <summary>The most recent NPS response (0-10) and when; null when none.</summary>
    public int? LastNpsScore { get; init; }

    public DateTimeOffset? LastNpsAt { get; init; }

    /// <summary>When the customer last asked for a data export.</summary>
    public DateTimeOffset? DataExportRequestedAt { get; init; }

    /// <summary>When the last renewal meeting or QBR was held; null when never.</summary>
    public DateTimeOffset? LastRenewalConversationAt { get; init; }

    /// <summary>Booked CSM meetings missed in a row and when the latest was; null when attendance is unknown.</summary>
    public int? MissedMeetingsInRow { get; init; }

    public DateTimeOffset? LastMeetingMissedAt { get; init; }
}

/// <summary>Stable ids of the flags the health model raises.</summary>
public static class HealthFlags
{
    /// <summary>Logins down more than 30% week over week for 2+ consecutive weeks.</summary>
    public const string LoginsDownWeekOverWeek = "logins-down-wow";

    /// <summary>Usage down at least 20% over the last 4 weeks (compared with the 4 before).</summary>
    public const string UsageDown4Weeks = "usage-down-4w";

    /// <summary>Usage down at least 20% over the last 2 weeks.</summary>
    public const string UsageDown2Weeks = "usage-down-2w";

    /// <summary>A Mid-Market or Enterprise renewal is inside its window and no renewal meeting or QBR has been held in it.</summary>
    public const string RenewalNotStarted = "renewal-not-started";

    /// <summary>Two or more booked CSM meetings missed in a row.</summary>
    public const string MissedTouchpoints = "missed-touchpoints";

    /// <summary>A Mid-Market or Enterprise account with fewer active stakeholders than expected.</summary>
    public const string LowStakeholderCoverage = "low-stakeholder-coverage";

    /// <summary>A dimension scored 0; the dimension name follows the colon, e.g. "dimension-zero:ProductUsage".</summary>
    public const string DimensionZeroPrefix = "dimension-zero:";

    /// <summary>Some signals were missing and scored neutral; the dimension name follows the colon.</summary>
    public const string MissingSignalsPrefix = "missing-signals:";
}

/// <summary>
/// The transition records the recompute wrote and the alerting step has not yet taken. Written by the health
/// recompute in the same batch as the score, read and acknowledged by the alert dispatcher.
/// </summary>
public interface IHealthTransitionFeed
{
    Task<IReadOnlyList<HealthTransitionEnvelope>> ReadPendingAsync(int max, CancellationToken cancellationToken);

    /// <summary>
    /// Marks records as taken (one already taken is fine); the caller does this only after its own durable writes for
    /// them (so nothing is lost).
    /// </summary>
    Task AcknowledgeAsync(IReadOnlyList<HealthTransitionEnvelope> envelopes, CancellationToken cancellationToken);
}

/// <summary>A pending transition and the opaque storage handle needed to acknowledge it.</summary>
public sealed record HealthTransitionEnvelope(HealthTransition Transition, string Handle);
