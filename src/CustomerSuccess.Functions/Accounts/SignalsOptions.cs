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
}
