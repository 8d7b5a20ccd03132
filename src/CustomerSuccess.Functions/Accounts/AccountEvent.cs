namespace CustomerSuccess.Functions.Accounts;

/// <summary>Kinds of external id an account can be known by.</summary>
internal static class ExternalIdKinds
{
    public const string StripeCustomer = "stripe-customer";
    public const string SegmentGroup = "segment-group";
    public const string ZendeskOrganization = "zendesk-org";
    public const string EmailDomain = "email-domain";

    /// <summary>A Segment user id: product events sent without a group are parked under it until the user is seen in one.</summary>
    public const string SegmentUser = "segment-user";

    public static readonly string[] All = [StripeCustomer, SegmentGroup, ZendeskOrganization, EmailDomain, SegmentUser];

    /// <summary>The provider whose events name ids of <paramref name="kind"/> (an email domain comes from Segment's identify calls).</summary>
    public static string ProviderOf(string kind) => kind switch
    {
        StripeCustomer => "stripe",
        SegmentGroup or SegmentUser or EmailDomain => "segment",
        ZendeskOrganization => "zendesk",
        _ => "unknown",
    };
}

/// <summary>One external id of one kind.</summary>
internal readonly record struct ExternalIdRef(string Kind, string ExternalId);

/// <summary>
/// What one provider event says about one account, in the account model's terms and nothing about storage: which
/// external id names the account, an account id the provider itself names, other ids it vouches for, when it
/// happened, and its facts. <see cref="Version"/> orders the state facts of one source (milliseconds since the epoch
/// of the provider's own timestamp): a fact older than the state it would replace is not applied.
/// </summary>
internal sealed record AccountEvent
{
    public required ExternalIdRef Account { get; init; }

    /// <summary>
    /// An account id the provider itself names (Stripe metadata.account_id, a Zendesk organization's external_id, a
    /// Segment groupId that is the product's account id): links <see cref="Account"/> on first sight.
    /// </summary>
    public string? NamedAccountId { get; init; }

    /// <summary>
    /// Other ids the event says belong to the same account (a user seen in a group, a group's Stripe customer): linked
    /// once the account is known, and whatever was parked under them is applied then.
    /// </summary>
    public IReadOnlyList<ExternalIdRef> AlsoKnownAs { get; init; } = [];

    public required DateTimeOffset OccurredAt { get; init; }

    public long Version => OccurredAt.ToUnixTimeMilliseconds();

    /// <summary>The UTC day the event counts on.</summary>
    public DateOnly Day => DateOnly.FromDateTime(OccurredAt.UtcDateTime);

    public IReadOnlyList<AccountFact> Facts { get; init; } = [];
}

/// <summary>
/// One thing an event says about an account. Three kinds fold differently (see <see cref="AccountState.Apply"/>):
/// counted facts add to a day's counters once per event; versioned facts replace state when newer; the rest
/// (first reached, last used, active on a day) are the same however often they are folded.
/// </summary>
internal abstract record AccountFact
{
    /// <summary>Adds to a counter: folded at most once per event.</summary>
    public virtual bool IsCounted => false;
}

internal abstract record CountedFact : AccountFact
{
    public sealed override bool IsCounted => true;
}

/// <summary>An account's name and people as one source sees them (source: stripe, segment, zendesk).</summary>
internal sealed record ProfileUpdated(string Source, string? Name, string? CsmEmail = null, string? BillingEmail = null, string? Plan = null, long? Seats = null) : AccountFact;

/// <summary>A subscription as of one event: what MRR, renewal, cancellation notice and churn read. MRR in cents per month.</summary>
internal sealed record SubscriptionChanged(
    string SubscriptionId,
    long MrrCents,
    string? Plan,
    int Seats,
    string Status,
    bool CancelAtPeriodEnd,
    DateTimeOffset? CurrentPeriodEnd,
    DateTimeOffset? StartedAt,
    int? BillingPeriodDays,
    DateTimeOffset? CancelAt = null) : AccountFact
{
    /// <summary>Notice of cancellation is on the subscription: at the period's end, or at a set instant (Stripe's <c>cancel_at</c>).</summary>
    public bool NoticeGiven => CancelAtPeriodEnd || CancelAt is not null;
}

internal sealed record PaymentSucceeded : CountedFact;

/// <summary>A payment failed or needs the customer's action (3-D Secure), which blocks collection as a failure does.</summary>
internal sealed record PaymentFailed : CountedFact;

internal sealed record DisputeOpened : CountedFact;

internal sealed record RefundIssued : CountedFact;

internal sealed record InvoiceUpcoming(long? AmountDueCents, DateTimeOffset? NextPaymentAttempt) : AccountFact;

/// <summary>A person's traits as the product identified them (Segment identify); <paramref name="Department"/> is the
/// team or department trait, when sent.</summary>
internal sealed record UserSeen(
    string UserId,
    string? Email,
    string? FirstName,
    string? TimeZone,
    string? Role,
    string? Title,
    bool Champion,
    bool ExecutiveSponsor,
    bool Departed,
    string? Department = null) : AccountFact;

/// <summary>A person used the product at the event's time (last seen, active that day).</summary>
internal sealed record UserActive(string UserId) : AccountFact;

/// <summary>One product event (track, page, screen).</summary>
internal sealed record ProductEventCounted : CountedFact;

internal sealed record LoggedIn : CountedFact;

internal sealed record MeetingHeld : CountedFact;

internal sealed record QbrHeld : CountedFact;

internal sealed record EmailReplied : CountedFact;

/// <summary>A configured key feature was used (by its configured name).</summary>
internal sealed record FeatureUsed(string Name) : AccountFact;

/// <summary>A configured higher-tier feature was tried (a capability of a plan above the account's, by its configured name).</summary>
internal sealed record HigherTierFeatureTried(string Name) : AccountFact;

/// <summary>A configured milestone was reached (by its configured name); the earliest occurrence is kept.</summary>
internal sealed record MilestoneReached(string Name) : AccountFact;

/// <summary>A support ticket's state as of one event.</summary>
internal sealed record TicketChanged(string TicketId, string Status, string? Priority, string? Type, string Tags, bool Complaint) : AccountFact;

internal sealed record TicketOpened(bool UrgentOrHigh) : CountedFact;

/// <summary>An NPS survey response (0-10); the most recent one is kept.</summary>
internal sealed record NpsResponded(int Score) : AccountFact;

/// <summary>The customer asked for an export of its data; the most recent request is kept.</summary>
internal sealed record DataExportRequested : AccountFact;

/// <summary>A renewal meeting or a QBR was held: the renewal conversation is under way; the most recent is kept.</summary>
internal sealed record RenewalConversationHeld : AccountFact;

internal enum MeetingOutcome
{
    Scheduled,
    Held,
    NoShow,
}

/// <summary>
/// A CSM meeting booked (at <paramref name="StartsAt"/>), held, or missed (no-show) at the event's time; kept in the
/// account's meeting log, from which consecutive missed meetings are read.
/// </summary>
internal sealed record MeetingLogged(MeetingOutcome Outcome, DateTimeOffset? StartsAt = null) : AccountFact;

internal sealed record TicketSolved : CountedFact;

internal sealed record SatisfactionRated(bool Good) : CountedFact;

internal enum MrrMovementKind
{
    None,
    New,
    Expansion,
    Contraction,
    Churn,
    Reactivation,
}

/// <summary>Classifies an MRR change of one subscription, the input to NRR (includes expansion) and GRR (does not).</summary>
internal static class MrrMovementClassifier
{
    public static MrrMovementKind Classify(long? previousMrr, long currentMrr, bool previouslyChurned)
    {
        var before = previousMrr ?? 0;
        if (before == currentMrr)
        {
            return MrrMovementKind.None;
        }

        if (before == 0)
        {
            return previouslyChurned ? MrrMovementKind.Reactivation : MrrMovementKind.New;
        }

        if (currentMrr == 0)
        {
            return MrrMovementKind.Churn;
        }

        return currentMrr > before ? MrrMovementKind.Expansion : MrrMovementKind.Contraction;
    }
}
