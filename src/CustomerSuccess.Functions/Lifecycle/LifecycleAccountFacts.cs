using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>A person at the account who receives lifecycle email.</summary>
public sealed record LifecycleContact(string ContactId, string Email, string? FirstName = null, string? TimeZoneId = null);

/// <summary>What the sequences key on for one account, from its signals and its latest health transition. Pure data.</summary>
public sealed record LifecycleAccountFacts
{
    public required string AccountId { get; init; }

    public string? Name { get; init; }

    public AccountSegment Segment { get; init; }

    public string? SubscriptionStatus { get; init; }

    public bool CancelAtPeriodEnd { get; init; }

    public DateTimeOffset? CustomerSince { get; init; }

    public DateTimeOffset? RenewalDate { get; init; }

    /// <summary>Billing period of the subscription in days (null = unknown): a monthly renewal is not a renewal conversation.</summary>
    public int? BillingPeriodDays { get; init; }

    public DateTimeOffset? ChurnedAt { get; init; }

    public int ActiveUsers30d { get; init; }

    public bool Activated { get; init; }

    public DateTimeOffset? FirstValueAt { get; init; }

    public bool OnboardingCompleted { get; init; }

    /// <summary>Share of the configured key features used in the last 30 days (0..1).</summary>
    public double KeyFeatureAdoption { get; init; }

    public HealthBand? Band { get; init; }

    public HealthBand? PreviousBand { get; init; }

    /// <summary>When the account entered <see cref="Band"/>.</summary>
    public DateTimeOffset? BandSince { get; init; }

    public IReadOnlyList<LifecycleContact> Contacts { get; init; } = [];

    /// <summary>Usage figures for templates (e.g. the renewal value recap).</summary>
    public int Logins30d { get; init; }

    public int Events30d { get; init; }

    public bool IsCancelled => SubscriptionStatus is "canceled" or "cancelled" || ChurnedAt is not null;

    public static LifecycleAccountFacts From(AccountSignals signals, HealthTransition? health, AccountSegment segment, IReadOnlyList<LifecycleContact> contacts, ProductOptions product, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(signals);
        ArgumentNullException.ThrowIfNull(product);
        var since = asOf.AddDays(-30);
        var recent = signals.Days.Where(d => d.Day > since).ToList();
        var adoption = product.KeyFeatures.Count == 0
            ? 1.0
            : (double)product.KeyFeatures.Count(signals.KeyFeaturesUsed30d.Contains) / product.KeyFeatures.Count;
        return new LifecycleAccountFacts
        {
            AccountId = signals.AccountId,
            Name = signals.Name,
            // From the same signals as the subscription status, not the latest score's: a score computed before the
            // subscription was known carries MRR 0's segment (the smallest tier), and read beside a status that is
            // known now it would make any account look tech-touch.
            Segment = segment,
            SubscriptionStatus = signals.SubscriptionStatus,
            CancelAtPeriodEnd = signals.CancelAtPeriodEnd,
            CustomerSince = signals.CustomerSince,
            RenewalDate = signals.RenewalDate,
            BillingPeriodDays = signals.BillingPeriodDays,
            ChurnedAt = signals.ChurnedAt,
            ActiveUsers30d = signals.ActiveUsers30d,
            Activated = signals.Milestones.ContainsKey(product.ActivationMilestone),
            FirstValueAt = signals.Milestones.TryGetValue(product.FirstValueMilestone, out var fv) ? fv : null,
            OnboardingCompleted = signals.Milestones.ContainsKey(product.OnboardingCompletedMilestone),
            KeyFeatureAdoption = adoption,
            Band = health?.Band,
            PreviousBand = health?.PreviousBand,
            BandSince = health is null ? null : health.ScoredAt.AddDays(-health.DaysInBand),
            Contacts = contacts,
            Logins30d = recent.Sum(d => d.Logins),
            Events30d = recent.Sum(d => d.Events),
        };
    }
}

/// <summary>One contact's membership of one sequence (per-recipient state), keyed so a new subscription, renewal or churn is a new enrollment.</summary>
public sealed record LifecycleEnrollment
{
    public required string AccountId { get; init; }

    public required string ContactId { get; init; }

    public required string Sequence { get; init; }

    /// <summary>Stable key of this enrollment (e.g. the start, renewal or churn date), part of every send id.</summary>
    public required string EnrollmentKey { get; init; }

    public required DateTimeOffset EnrolledAt { get; init; }

    /// <summary>Renewal date the enrollment counts down to (renewal sequence only).</summary>
    public DateTimeOffset? RenewalDate { get; init; }

    public DateTimeOffset? ExitedAt { get; init; }

    public string? ExitReason { get; init; }

    /// <summary>Occurrences per step already taken (queued, sent or skipped), from the send ledger.</summary>
    public IReadOnlyDictionary<string, int> StepOccurrences { get; init; } = new Dictionary<string, int>(StringComparer.Ordinal);

    public bool Active => ExitedAt is null;
}

/// <summary>A step occurrence that is due for an account (before caps, quiet hours and rate limits).</summary>
public sealed record LifecycleDueStep(string AccountId, string ContactId, string Sequence, string Step, string EnrollmentKey, int Occurrence, DateTimeOffset DueAt, int Priority);

public sealed record LifecycleExit(LifecycleEnrollment Enrollment, string Reason);

public sealed record LifecycleEvaluation(IReadOnlyList<LifecycleEnrollment> NewEnrollments, IReadOnlyList<LifecycleExit> Exits, IReadOnlyList<LifecycleDueStep> Due, IReadOnlyList<LifecycleDueStep> Skipped);
