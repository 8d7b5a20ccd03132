namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Everything the health model reads about one account as of a day: the account's profile (from Stripe and
/// Segment group traits), its people (from Segment identify), and per-day aggregates of usage, support and
/// billing signals. Projected from the account's state (never from raw events), so the cost of scoring grows
/// with accounts and days, not with event count. Pure data: no I/O.
/// </summary>
public sealed record AccountSignals
{
    public required string AccountId { get; init; }

    public string? Name { get; init; }

    /// <summary>The W3C traceparent of the work that last changed the account's state, when traces are recorded.</summary>
    public string? LastChangeTrace { get; init; }

    /// <summary>Assigned CSM's email, when account data names one.</summary>
    public string? CsmEmail { get; init; }

    public string? Plan { get; init; }

    /// <summary>Monthly recurring revenue in the smallest currency unit (cents).</summary>
    public long MrrCents { get; init; }

    public int LicensedSeats { get; init; }

    /// <summary>Stripe subscription status: active, trialing, past_due, unpaid, canceled, paused, incomplete; null when unknown.</summary>
    public string? SubscriptionStatus { get; init; }

    public bool CancelAtPeriodEnd { get; init; }

    /// <summary>Stripe's <c>cancel_at</c> on the main subscription: notice given to end it at this instant.</summary>
    public DateTimeOffset? CancelAt { get; init; }

    /// <summary>When the account last came back: a subscription restarted after churn, or a cancellation notice withdrawn.</summary>
    public DateTimeOffset? ReactivatedAt { get; init; }

    /// <summary>Renewal date = the subscription's current period end.</summary>
    public DateTimeOffset? RenewalDate { get; init; }

    /// <summary>Length of the main subscription's billing period in days (30 monthly, 365 annual); null when unknown.</summary>
    public int? BillingPeriodDays { get; init; }

    /// <summary>When the first subscription started (onboarding clock).</summary>
    public DateTimeOffset? CustomerSince { get; init; }

    public DateTimeOffset? ChurnedAt { get; init; }

    /// <summary>When this app first linked the account: signals from before it were never seen.</summary>
    public DateTimeOffset? ObservedSince { get; init; }

    /// <summary>Distinct users seen in the last 30 and 7 days.</summary>
    public int ActiveUsers30d { get; init; }

    public int ActiveUsers7d { get; init; }

    /// <summary>Daily aggregates, oldest first, covering at least the last 60 days where data exists (missing days are absent, not zero rows).</summary>
    public IReadOnlyList<DailySignals> Days { get; init; } = [];

    /// <summary>Milestones reached (configured names from Segment track events) and when.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Milestones { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>Key features (configured) this account has used at least once in the last 30 days.</summary>
    public IReadOnlySet<string> KeyFeaturesUsed30d { get; init; } = new HashSet<string>();

    /// <summary>Configured higher-tier features (<see cref="ProductOptions.HigherTierFeatures"/>) tried, and when last.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> HigherTierFeaturesTried { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>Each team or department named by the people's identify traits, with its active people in the last
    /// <see cref="DepartmentActivity.WindowDays"/> days and in the same span before them.</summary>
    public IReadOnlyList<DepartmentActivity> Departments { get; init; } = [];

    public RelationshipSignals Relationship { get; init; } = new();

    /// <summary>The account's known people (Segment identify), departed ones included and marked.</summary>
    public IReadOnlyList<AccountUser> Users { get; init; } = [];

    /// <summary>The most recent NPS response (0-10) and when it was given; null when none.</summary>
    public int? LastNpsScore { get; init; }

    public DateTimeOffset? LastNpsAt { get; init; }

    /// <summary>When the customer last asked for a data export; null when never.</summary>
    public DateTimeOffset? DataExportRequestedAt { get; init; }

    /// <summary>When the last renewal meeting or QBR was held; null when never.</summary>
    public DateTimeOffset? LastRenewalConversationAt { get; init; }

    /// <summary>
    /// Booked CSM meetings missed in a row, latest first (a no-show, or a booking neither held nor marked within a day
    /// of its start); null when no meeting was ever booked, held or missed, so attendance is unknown.
    /// </summary>
    public int? MissedMeetingsInRow { get; init; }

    /// <summary>When the latest missed meeting was (its start, or the no-show); null when the last meeting was held.</summary>
    public DateTimeOffset? LastMeetingMissedAt { get; init; }

    /// <summary>Tickets currently open with priority urgent.</summary>
    public int OpenUrgentTickets { get; init; }

    /// <summary>Open tickets tagged or typed as a formal complaint.</summary>
    public int OpenComplaints { get; init; }
}

/// <summary>
/// One day of aggregated signals for an account (UTC day). A value type: an account's days sit in one contiguous
/// array the scorer reads front to back, instead of one heap object per day to chase (the scorer's hot loop).
/// </summary>
public readonly record struct DailySignals
{
    public required DateOnly Day { get; init; }

    public int ActiveUsers { get; init; }

    public int Logins { get; init; }

    public int Events { get; init; }

    public int TicketsOpened { get; init; }

    public int UrgentOrHighTicketsOpened { get; init; }

    public int TicketsSolved { get; init; }

    public int SatisfactionGood { get; init; }

    public int SatisfactionBad { get; init; }

    public int PaymentsFailed { get; init; }

    public int PaymentsSucceeded { get; init; }

    public int DisputesOpened { get; init; }

    public int Refunds { get; init; }

    /// <summary>Two-way contact: meetings held, QBRs attended, email replies (Segment track events named in configuration).</summary>
    public int Meetings { get; init; }

    public int Qbrs { get; init; }

    public int EmailReplies { get; init; }

    /// <summary>MRR change booked that day (cents; negative for contraction/churn).</summary>
    public long MrrDeltaCents { get; init; }
}

/// <summary>A person at the account as Segment identified them; <see cref="TimeZone"/> is an IANA id when the source sent one.</summary>
/// <remarks><see cref="Role"/> and <see cref="Title"/> are the identify traits; <see cref="Stakeholder"/> = champion or
/// executive sponsor now; <see cref="LastSeen"/> = last seen using the product; <see cref="Champion"/> = the champion
/// now; <see cref="PreviousTitle"/> and <see cref="TitleChangedAt"/> = the title before the latest change and when it
/// changed (null when never seen to change); <see cref="Department"/> = the team or department trait.</remarks>
public sealed record AccountUser(
    string UserId,
    string? Email,
    string? FirstName = null,
    string? TimeZone = null,
    bool Departed = false,
    string? Role = null,
    string? Title = null,
    bool Stakeholder = false,
    DateTimeOffset? LastSeen = null,
    bool Champion = false,
    string? PreviousTitle = null,
    DateTimeOffset? TitleChangedAt = null,
    string? Department = null);

/// <summary>
/// One team or department (compared case-insensitively) and its distinct active people in the last
/// <see cref="WindowDays"/> days up to the day read and in the <see cref="WindowDays"/> days before those.
/// </summary>
public sealed record DepartmentActivity(string Name, int ActiveRecent, int ActiveBefore)
{
    /// <summary>The span of each window: four weeks, so two of them fit the 64 days of activity kept per person.</summary>
    public const int WindowDays = 28;
}

public sealed record RelationshipSignals
{
    public bool HasChampion { get; init; }

    /// <summary>The champion was seen using the product in the last 30 days.</summary>
    public bool ChampionActive { get; init; }

    public bool HasExecutiveSponsor { get; init; }

    public bool ExecutiveSponsorActive { get; init; }

    /// <summary>When a champion or sponsor left (flag removed, or user deactivated); null if never.</summary>
    public DateTimeOffset? ChampionLeftAt { get; init; }

    public DateTimeOffset? ExecutiveSponsorLeftAt { get; init; }
}

/// <summary>
/// Reads accounts' signals for scoring, a page at a time, so a shard can checkpoint between pages and memory
/// stays bounded whatever the account count; and one account's, for what concerns one account.
/// </summary>
public interface IAccountSignalSource
{
    Task<AccountSignalPage> ReadPageAsync(int shard, int shardCount, DateOnly asOf, string? continuation, int pageSize, CancellationToken cancellationToken);

    /// <summary>One account's signals, or null when no account has that id.</summary>
    Task<AccountSignals?> ReadAccountAsync(string accountId, DateOnly asOf, CancellationToken cancellationToken);
}

public sealed record AccountSignalPage(IReadOnlyList<AccountSignals> Accounts, string? Continuation);
