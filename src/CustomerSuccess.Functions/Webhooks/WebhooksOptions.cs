using System.ComponentModel.DataAnnotations;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Settings of section "Webhooks". Secrets are lists so a rotation can add the new secret before the provider
/// switches and remove the old one after: both verify in between. A provider with no secret configured rejects
/// every delivery (401) rather than accepting unsigned ones.
/// </summary>
internal sealed class WebhooksOptions : IValidatableObject
{
    public const string SectionName = "Webhooks";

    /// <summary>Largest accepted body; larger ones get 413 without being read in full.</summary>
    [Range(1024, 4 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Kick the in-process applier right after a delivery is stored (the sweeper catches anything missed).</summary>
    public bool ApplyInProcess { get; set; } = true;

    /// <summary>Seconds between sweeps for stored but unapplied deliveries when running standalone (a sweep that finds a full batch goes on at once).</summary>
    [Range(1, 3600)]
    public int SweepIntervalSeconds { get; set; } = 30;

    /// <summary>
    /// Sweeps leave deliveries younger than this to the in-process applier, which is on them already: sweeping
    /// them too applies each twice (the second finds it applied, after the same reads).
    /// </summary>
    [Range(0, 3600)]
    public int SweepGraceSeconds { get; set; } = 60;

    /// <summary>Accounts a page of deliveries writes at once (each account's events are folded into one write).</summary>
    [Range(1, 128)]
    public int ApplyConcurrency { get; set; } = 32;

    /// <summary>Most deliveries one page of the applier takes (in-process hints, a sweep, a replay).</summary>
    [Range(1, 5000)]
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>
    /// Inbox partitions a second's deliveries spread over (<see cref="InboxKey"/>). One groups the most inserts into
    /// each transaction. An Azure table partition serves up to about 2,000 entities a second: raise it when sustained
    /// webhook traffic comes near that.
    /// </summary>
    [Range(1, InboxKey.MaxPartitionsPerSecond)]
    public int InboxPartitionsPerSecond { get; set; } = 1;

    /// <summary>Days an applied event stays in the archive (replayable); the WebhookRetention timer removes older ones.</summary>
    [Range(1, 3650)]
    public int ArchiveRetentionDays { get; set; } = 30;

    /// <summary>
    /// Attempts to apply a stored delivery before it is quarantined (dead-letter queue "webhooks"). Failures of
    /// storage itself count none; an event its mapper rejects is quarantined at the first.
    /// </summary>
    [Range(1, 100)]
    public int MaxApplyAttempts { get; set; } = 5;

    /// <summary>Readiness fails (GET /api/readyz, check "applier-lag") while a delivery has waited longer than this to be applied.</summary>
    [Range(10, 86_400)]
    public int ReadinessMaxLagSeconds { get; set; } = 300;

    /// <summary>What a sweep at <paramref name="now"/> takes: deliveries received before the grace, all of them while hints are off.</summary>
    public DateTimeOffset? SweepCutoff(DateTimeOffset now) => ApplyInProcess ? now.AddSeconds(-SweepGraceSeconds) : null;

    public StripeWebhookOptions Stripe { get; set; } = new();

    public SegmentWebhookOptions Segment { get; set; } = new();

    public ZendeskWebhookOptions Zendesk { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, secrets) in new[]
        {
            ("Webhooks:Stripe:SigningSecrets", Stripe.SigningSecrets),
            ("Webhooks:Segment:SharedSecrets", Segment.SharedSecrets),
            ("Webhooks:Zendesk:SigningSecrets", Zendesk.SigningSecrets),
        })
        {
            if (secrets.Any(string.IsNullOrWhiteSpace))
            {
                yield return new ValidationResult($"{name} contains an empty entry.", [name]);
            }
        }

        if (Stripe.ToleranceSeconds is < 1 or > 86400)
        {
            yield return new ValidationResult("Webhooks:Stripe:ToleranceSeconds must be between 1 and 86400.", ["Webhooks:Stripe:ToleranceSeconds"]);
        }

        if (Zendesk.ToleranceSeconds is < 1 or > 86400)
        {
            yield return new ValidationResult("Webhooks:Zendesk:ToleranceSeconds must be between 1 and 86400.", ["Webhooks:Zendesk:ToleranceSeconds"]);
        }
    }
}

internal sealed class StripeWebhookOptions
{
    /// <summary>Endpoint signing secrets (whsec_...), any of which may have signed a delivery.</summary>
    public List<string> SigningSecrets { get; set; } = [];

    public int ToleranceSeconds { get; set; } = 300;
}

internal sealed class SegmentWebhookOptions
{
    public List<string> SharedSecrets { get; set; } = [];
}

internal sealed class ZendeskWebhookOptions
{
    public List<string> SigningSecrets { get; set; } = [];

    public int ToleranceSeconds { get; set; } = 300;
}
