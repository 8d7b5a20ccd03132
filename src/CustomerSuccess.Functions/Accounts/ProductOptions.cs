using System.Collections.ObjectModel;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// The product's vocabulary, section "Product" (e.g. <c>Product__KeyFeatures__0=Report Created</c>): which product
/// events, tags and traits mean what. Named once here and injected wherever they are read: the provider mappers
/// record exactly these, the health model scores them, lifecycle keys its steps on them.
/// </summary>
public sealed class ProductOptions
{
    public const string SectionName = "Product";

    /// <summary>The Segment track event that marks first value (ends onboarding in the health model, a lifecycle step).</summary>
    public string FirstValueMilestone { get; set; } = "first_value";

    /// <summary>Further success milestones the health model's Outcomes dimension counts.</summary>
    public NameList SuccessMilestones { get; set; } = [];

    /// <summary>Steps expected during onboarding, in order; empty = onboarding is measured by first value alone.</summary>
    public NameList OnboardingMilestones { get; set; } = [];

    /// <summary>The event after which lifecycle's onboarding stops nudging setup.</summary>
    public string ActivationMilestone { get; set; } = "activated";

    /// <summary>The event that ends lifecycle's onboarding sequence.</summary>
    public string OnboardingCompletedMilestone { get; set; } = "onboarding-completed";

    /// <summary>Features whose adoption the health model's breadth and lifecycle's adoption sequence measure.</summary>
    public NameList KeyFeatures { get; set; } = [];

    /// <summary>Track events of capabilities sold on a higher plan than most accounts have: trying one is an expansion
    /// signal ("Customer asking about features on higher tier"). None by default.</summary>
    public NameList HigherTierFeatures { get; set; } = [];

    public NameList LoginEvents { get; set; } = new("Signed In", "Logged In");

    public NameList MeetingEvents { get; set; } = new("Meeting Held");

    public NameList QbrEvents { get; set; } = new("QBR Attended");

    /// <summary>
    /// Segment track events of a renewal meeting held with the customer. With a QBR (<see cref="QbrEvents"/>) it starts
    /// the renewal conversation the health model expects in the 90 days before a renewal ("Renewal conversation not
    /// started within 90-day window").
    /// </summary>
    public NameList RenewalMeetingEvents { get; set; } = new("Renewal Meeting Held");

    /// <summary>
    /// Segment track events of a CSM meeting booked with the customer; the meeting's start is the
    /// <see cref="MeetingStartProperty"/> property. A booked meeting that is neither held (<see cref="MeetingEvents"/>,
    /// <see cref="QbrEvents"/>, <see cref="RenewalMeetingEvents"/>) nor marked a no-show within a day of its start is missed.
    /// </summary>
    public NameList MeetingScheduledEvents { get; set; } = new("Meeting Scheduled");

    /// <summary>The property of a <see cref="MeetingScheduledEvents"/> event that holds the meeting's start (ISO 8601).</summary>
    public string MeetingStartProperty { get; set; } = "starts_at";

    /// <summary>Segment track events of a CSM meeting the customer did not attend ("misses two consecutive scheduled CSM touchpoints").</summary>
    public NameList MeetingNoShowEvents { get; set; } = new("Meeting No-Show");

    /// <summary>
    /// Values of the identify trait <c>role</c> that mark a decision maker at the customer (matched whole, case-insensitively).
    /// With champions and executive sponsors they are the account's stakeholders ("Stakeholder coverage: # of relationships at org").
    /// </summary>
    public NameList DecisionMakerRoles { get; set; } = new("decision_maker", "economic_buyer", "executive_sponsor");

    /// <summary>Words in the identify trait <c>title</c> that mark a decision maker (a whole word of the title, case-insensitively).</summary>
    public NameList DecisionMakerTitles { get; set; } = new("Chief", "CEO", "CFO", "COO", "CTO", "CIO", "VP", "Vice President", "Head", "Director", "Owner", "Founder");

    public NameList EmailReplyEvents { get; set; } = new("Email Replied");

    /// <summary>Zendesk tags (or ticket type) that mark a formal complaint.</summary>
    public NameList ComplaintTags { get; set; } = new("complaint");

    /// <summary>The Segment track event of an NPS survey response ("NPS/CSAT: most recent survey response").</summary>
    public string NpsEvent { get; set; } = "NPS Survey Responded";

    /// <summary>The property of <see cref="NpsEvent"/> that holds the 0-10 score.</summary>
    public string NpsScoreProperty { get; set; } = "score";

    /// <summary>Segment track events of a customer asking for its data ("Customer requests data export": a lagging churn signal).</summary>
    public NameList DataExportEvents { get; set; } = new("Data Export Requested");

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

    /// <summary>Every milestone any feature reads, each once: what ingestion records as reached.</summary>
    public IReadOnlyList<string> Milestones() =>
        [.. new[] { FirstValueMilestone, ActivationMilestone, OnboardingCompletedMilestone }
            .Concat(SuccessMilestones).Concat(OnboardingMilestones)
            .Where(n => !string.IsNullOrWhiteSpace(n))
            .Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>Whether a person's role or title marks a decision maker (<see cref="DecisionMakerRoles"/>, <see cref="DecisionMakerTitles"/>).</summary>
    public bool IsDecisionMaker(string? role, string? title)
    {
        if (role is not null && Match(DecisionMakerRoles, role.Trim()) is not null)
        {
            return true;
        }

        if (string.IsNullOrWhiteSpace(title))
        {
            return false;
        }

        foreach (var word in DecisionMakerTitles)
        {
            var at = title.IndexOf(word, StringComparison.OrdinalIgnoreCase);
            while (at >= 0)
            {
                var end = at + word.Length;
                if ((at == 0 || !char.IsLetterOrDigit(title[at - 1])) && (end == title.Length || !char.IsLetterOrDigit(title[end])))
                {
                    return true;
                }

                at = title.IndexOf(word, end, StringComparison.OrdinalIgnoreCase);
            }
        }

        return false;
    }

    /// <summary>The configured name <paramref name="eventName"/> matches (case-insensitively), or null.</summary>
    public static string? Match(IEnumerable<string> names, string eventName)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            if (string.Equals(name, eventName, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return null;
    }
}

/// <summary>
/// A list of names whose defaults give way to configured ones: the configuration binder adds to a list it finds rather
/// than replacing it, so <c>Product__LoginEvents__0=Sign On</c> would otherwise keep the defaults beside it.
/// </summary>
public sealed class NameList : Collection<string>
{
    private bool _defaults;

    public NameList()
    {
    }

    public NameList(params string[] defaults)
        : base([.. defaults])
    {
        _defaults = defaults.Length > 0;
    }

    protected override void InsertItem(int index, string item)
    {
        if (_defaults)
        {
            _defaults = false;
            Clear();
            index = 0;
        }

        base.InsertItem(index, item);
    }
}

/// <summary>Refuses an unusable vocabulary at start, naming the setting.</summary>
public sealed class ProductOptionsValidator : IValidateOptions<ProductOptions>
{
    public ValidateOptionsResult Validate(string? name, ProductOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (setting, value) in new[]
        {
            (nameof(ProductOptions.FirstValueMilestone), options.FirstValueMilestone),
            (nameof(ProductOptions.ActivationMilestone), options.ActivationMilestone),
            (nameof(ProductOptions.OnboardingCompletedMilestone), options.OnboardingCompletedMilestone),
            (nameof(ProductOptions.NpsEvent), options.NpsEvent),
            (nameof(ProductOptions.NpsScoreProperty), options.NpsScoreProperty),
            (nameof(ProductOptions.MeetingStartProperty), options.MeetingStartProperty),
        })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"{ProductOptions.SectionName}:{setting} is empty; name the Segment event that marks it.");
            }
        }

        foreach (var (setting, list) in new[]
        {
            (nameof(ProductOptions.SuccessMilestones), options.SuccessMilestones),
            (nameof(ProductOptions.OnboardingMilestones), options.OnboardingMilestones),
            (nameof(ProductOptions.KeyFeatures), options.KeyFeatures),
            (nameof(ProductOptions.HigherTierFeatures), options.HigherTierFeatures),
            (nameof(ProductOptions.LoginEvents), options.LoginEvents),
            (nameof(ProductOptions.MeetingEvents), options.MeetingEvents),
            (nameof(ProductOptions.QbrEvents), options.QbrEvents),
            (nameof(ProductOptions.RenewalMeetingEvents), options.RenewalMeetingEvents),
            (nameof(ProductOptions.MeetingScheduledEvents), options.MeetingScheduledEvents),
            (nameof(ProductOptions.MeetingNoShowEvents), options.MeetingNoShowEvents),
            (nameof(ProductOptions.DecisionMakerRoles), options.DecisionMakerRoles),
            (nameof(ProductOptions.DecisionMakerTitles), options.DecisionMakerTitles),
            (nameof(ProductOptions.EmailReplyEvents), options.EmailReplyEvents),
            (nameof(ProductOptions.ComplaintTags), options.ComplaintTags),
            (nameof(ProductOptions.DataExportEvents), options.DataExportEvents),
        })
        {
            if (list.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{ProductOptions.SectionName}:{setting} contains an empty entry.");
            }
        }

        foreach (var (trait, kind) in options.SegmentGroupLinkTraits)
        {
            if (!ExternalIdKinds.All.Contains(kind, StringComparer.Ordinal) || kind == ExternalIdKinds.SegmentGroup)
            {
                failures.Add($"{ProductOptions.SectionName}:SegmentGroupLinkTraits:{trait} is '{kind}'; use one of {ExternalIdKinds.StripeCustomer}, {ExternalIdKinds.ZendeskOrganization}, {ExternalIdKinds.EmailDomain}, {ExternalIdKinds.SegmentUser}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
