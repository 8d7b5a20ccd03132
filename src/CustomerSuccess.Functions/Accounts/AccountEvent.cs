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
}

/// <summary>One external id of one kind.</summary>
internal readonly record struct ExternalIdRef(string Kind, string ExternalId);

/// <summary>
/// What one provider event means for one account, independent of storage: which external id names the
/// account, the day it counts on, counters to add, and versioned state rows (a row is written only when the
/// event's version is newer than the stored one, so late deliveries never overwrite newer state).
/// </summary>
internal sealed record AccountEvent
{
    public required string IdKind { get; init; }

    public required string ExternalId { get; init; }

    public required DateOnly Day { get; init; }

    public Dictionary<string, long> Counters { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The user seen using the product (counts once per day toward active users).</summary>
    public string? ActiveUserId { get; init; }

    public List<StateWrite> States { get; init; } = [];

    public SubscriptionSnapshot? Subscription { get; init; }

    /// <summary>
    /// An account id the provider itself names (Stripe metadata.account_id, a Zendesk organization's external_id, a
    /// Segment groupId that is the product's account id): links the id on first sight.
    /// </summary>
    public string? LinkToAccountId { get; init; }

    /// <summary>
    /// Other ids the event says belong to the same account (a user seen in a group, a group's Stripe customer): linked
    /// once the account is known, and whatever was parked under them is applied then.
    /// </summary>
    public IReadOnlyList<ExternalIdRef> AlsoKnownAs { get; init; } = [];
}

/// <summary>A state row keyed within the account's partition; <paramref name="Version"/> orders writes.</summary>
internal sealed record StateWrite(string RowKey, long Version, IReadOnlyDictionary<string, object?> Properties);

/// <summary>A subscription as of one event: what MRR and renewal reads use.</summary>
internal sealed record SubscriptionSnapshot(
    string SubscriptionId,
    long Version,
    long MrrCents,
    string? Plan,
    int Seats,
    string Status,
    bool CancelAtPeriodEnd,
    DateTimeOffset? CurrentPeriodEnd,
    DateTimeOffset? StartedAt,
    int? BillingPeriodDays = null);

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

/// <summary>Net and gross revenue retention over a period from the starting MRR and the movements booked in it.</summary>
internal static class RevenueRetention
{
    public static (double Nrr, double Grr) Compute(long startingMrrCents, long expansionCents, long contractionCents, long churnCents)
    {
        if (startingMrrCents <= 0)
        {
            return (0, 0);
        }

        var lost = Math.Abs(contractionCents) + Math.Abs(churnCents);
        var nrr = (double)(startingMrrCents + expansionCents - lost) / startingMrrCents;
        var grr = (double)Math.Max(0, startingMrrCents - lost) / startingMrrCents;
        return (nrr, grr);
    }
}
