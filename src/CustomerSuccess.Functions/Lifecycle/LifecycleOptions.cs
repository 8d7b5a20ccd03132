using System.ComponentModel.DataAnnotations;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>Settings of section "Lifecycle". Sequences default to <see cref="LifecycleSequences.Defaults"/>.</summary>
public sealed class LifecycleOptions : IValidatableObject
{
    public const string SectionName = "Lifecycle";

    public List<AccountSegment> TechTouchSegments { get; set; } = [AccountSegment.Smb];

    /// <summary>At most one lifecycle email per contact per this many days, across all sequences.</summary>
    [Range(0, 60)]
    public int CapWindowDays { get; set; } = 3;

    /// <summary>Send rate of the whole fleet (every instance together), kept at or under the ACS quota.</summary>
    [Range(1, 100_000)]
    public int RatePerMinute { get; set; } = 30;

    [Range(1, 1_000_000)]
    public int RatePerHour { get; set; } = 100;

    /// <summary>Instances with the same scope and storage account share one send quota (one row of LifecycleSendQuota).</summary>
    public string SendQuotaScope { get; set; } = "email";

    public QuietHoursOptions QuietHours { get; set; } = new();

    /// <summary>Public URL of the unsubscribe endpoint, e.g. https://app.example.com/api/lifecycle/unsubscribe.</summary>
    public Uri? UnsubscribeBaseUrl { get; set; }

    /// <summary>Optional mailbox for mailto unsubscribe (added to List-Unsubscribe after the https link).</summary>
    public string? UnsubscribeMailto { get; set; }

    /// <summary>HMAC key of unsubscribe links (Key Vault in Azure); at least 32 characters.</summary>
    public string? UnsubscribeSigningKey { get; set; }

    public double AdoptionThreshold { get; set; } = 0.30;

    /// <summary>Accounts that started longer ago than this are not enrolled in onboarding (e.g. on first deployment).</summary>
    public int OnboardingEnrollWithinDays { get; set; } = 14;

    /// <summary>Folder of the Handlebars templates ({sequence}/{step}.subject|html|txt.hbs); empty = the app's Lifecycle/Templates.</summary>
    public string? TemplatesPath { get; set; }

    /// <summary>Empty = the built-in defaults.</summary>
    public List<LifecycleSequenceDefinition> Sequences { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UnsubscribeBaseUrl is null || !UnsubscribeBaseUrl.IsAbsoluteUri)
        {
            yield return new ValidationResult("Lifecycle__UnsubscribeBaseUrl must be an absolute URL (every lifecycle email carries an unsubscribe link).", [nameof(UnsubscribeBaseUrl)]);
        }

        if (string.IsNullOrEmpty(UnsubscribeSigningKey) || UnsubscribeSigningKey.Length < 32)
        {
            yield return new ValidationResult("Lifecycle__UnsubscribeSigningKey is required (at least 32 characters; from Key Vault in Azure).", [nameof(UnsubscribeSigningKey)]);
        }

        if (!string.IsNullOrEmpty(UnsubscribeMailto) && !LifecycleContactId.LooksLikeEmail(UnsubscribeMailto))
        {
            yield return new ValidationResult("Lifecycle__UnsubscribeMailto must be an email address (or empty).", [nameof(UnsubscribeMailto)]);
        }

        if (RatePerMinute > RatePerHour)
        {
            yield return new ValidationResult("Lifecycle__RatePerMinute cannot exceed Lifecycle__RatePerHour.", [nameof(RatePerMinute)]);
        }

        if (string.IsNullOrWhiteSpace(SendQuotaScope) || SendQuotaScope.Length > 100 || SendQuotaScope.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c)))
        {
            yield return new ValidationResult("Lifecycle__SendQuotaScope must be 1-100 characters without / \\ # ? or control characters (it keys a table row).", [nameof(SendQuotaScope)]);
        }

        if (AdoptionThreshold is < 0 or > 1)
        {
            yield return new ValidationResult("Lifecycle__AdoptionThreshold is a share between 0 and 1.", [nameof(AdoptionThreshold)]);
        }

        foreach (var sequence in Sequences)
        {
            if (string.IsNullOrWhiteSpace(sequence.Name) || sequence.Steps.Count == 0 || sequence.Steps.Any(s => string.IsNullOrWhiteSpace(s.Name)))
            {
                yield return new ValidationResult("Each Lifecycle__Sequences entry needs a Name and named Steps.", [nameof(Sequences)]);
            }
        }
    }
}

/// <summary>Local-time window in which no lifecycle email is sent (wraps past midnight when Start &gt; End).</summary>
public sealed class QuietHoursOptions
{
    public TimeOnly Start { get; set; } = new(21, 0);

    public TimeOnly End { get; set; } = new(8, 0);

    /// <summary>Time zone for contacts that have none.</summary>
    public string DefaultTimeZone { get; set; } = "UTC";
}
