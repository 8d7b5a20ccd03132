using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>Settings of section "Signals": which product events mean what to the health model.</summary>
internal sealed class SignalsOptions
{
    public const string SectionName = "Signals";

    /// <summary>Segment track event names that mark first value (the first occurrence is kept).</summary>
    public List<string> FirstValueMilestones { get; set; } = [];

    /// <summary>Segment track event names of the features that matter for adoption.</summary>
    public List<string> KeyFeatures { get; set; } = [];

    public List<string> LoginEvents { get; set; } = ["Signed In", "Logged In"];

    public List<string> MeetingEvents { get; set; } = ["Meeting Held"];

    public List<string> QbrEvents { get; set; } = ["QBR Attended"];

    public List<string> EmailReplyEvents { get; set; } = ["Email Replied"];

    /// <summary>Zendesk tags (or ticket type) that mark a formal complaint.</summary>
    public List<string> ComplaintTags { get; set; } = ["complaint"];

    /// <summary>
    /// Whether the product sends its own account id as the Segment groupId (the usual B2B set-up). Then a group
    /// becomes its account on first sight; otherwise groups wait for a link (admin endpoint or a trait below).
    /// </summary>
    public bool SegmentGroupIdIsAccountId { get; set; } = true;

    /// <summary>
    /// Segment group traits that carry another provider's id for the same account, by trait name → id kind
    /// (stripe-customer, zendesk-org, email-domain); a group call with them links those ids.
    /// </summary>
    public Dictionary<string, string> SegmentGroupLinkTraits { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["stripe_customer_id"] = ExternalIdKinds.StripeCustomer,
        ["zendesk_organization_id"] = ExternalIdKinds.ZendeskOrganization,
    };

    /// <summary>
    /// The health model names its milestones and key features in section "Health"; ingestion records those too,
    /// so CS operations name a product event once and the model sees it.
    /// </summary>
    public void IncludeWhatTheModelReads(HealthOptions health)
    {
        ArgumentNullException.ThrowIfNull(health);
        AddMissing(FirstValueMilestones, [health.FirstValueMilestone, .. health.SuccessMilestones, .. health.OnboardingMilestones]);
        AddMissing(KeyFeatures, health.KeyFeatures);
    }

    private static void AddMissing(List<string> target, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (!string.IsNullOrWhiteSpace(name) && !target.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                target.Add(name);
            }
        }
    }
}
