using System.Globalization;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// One event in words for the account page: its kind (the most telling of its facts: money first, then support, then
/// product use, then profile changes) and a one-line summary of every fact it carries, at most
/// <see cref="MaxSummaryLength"/> characters. Pure: the words come from the facts alone.
/// </summary>
internal static class AccountEventSummary
{
    /// <summary>Longest summary kept: one line on a phone, two at most.</summary>
    public const int MaxSummaryLength = 160;

    public static (string Kind, string Summary) Of(AccountEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Facts.Count == 0)
        {
            return ("event", "no facts");
        }

        var ranked = e.Facts.Select(f => (Rank: Rank(f), Fact: f)).OrderBy(f => f.Rank).ToList();
        var kind = Kind(ranked[0].Fact);
        var phrases = ranked.Select(f => Phrase(f.Fact)).Distinct(StringComparer.Ordinal).ToList();
        return (kind, Shorten(string.Join("; ", phrases)));
    }

    private static string Shorten(string text) =>
        text.Length <= MaxSummaryLength ? text : string.Concat(text.AsSpan(0, MaxSummaryLength - 1), "…");

    // Lower ranks name the event: what a CSM would call it first.
    private static int Rank(AccountFact fact) => fact switch
    {
        PaymentFailed or DisputeOpened or RefundIssued => 0,
        PaymentSucceeded => 1,
        SubscriptionChanged => 2,
        InvoiceUpcoming => 3,
        TicketOpened or TicketSolved or SatisfactionRated => 4,
        TicketChanged => 5,
        NpsResponded or DataExportRequested or RenewalConversationHeld or MeetingLogged or MeetingHeld or QbrHeld or EmailReplied => 6,
        MilestoneReached => 7,
        FeatureUsed or HigherTierFeatureTried => 8,
        LoggedIn => 9,
        ProductEventCounted => 10,
        UserSeen => 11,
        ProfileUpdated => 12,
        _ => 13,
    };

    private static string Kind(AccountFact fact) => fact switch
    {
        PaymentFailed => "payment failed",
        DisputeOpened => "dispute opened",
        RefundIssued => "refund issued",
        PaymentSucceeded => "invoice paid",
        SubscriptionChanged => "subscription changed",
        InvoiceUpcoming => "invoice upcoming",
        TicketOpened => "ticket opened",
        TicketSolved => "ticket solved",
        SatisfactionRated => "satisfaction rated",
        TicketChanged => "ticket updated",
        NpsResponded => "NPS response",
        DataExportRequested => "data export requested",
        RenewalConversationHeld => "renewal conversation",
        MeetingLogged m => m.Outcome switch { MeetingOutcome.Scheduled => "meeting booked", MeetingOutcome.NoShow => "meeting missed", _ => "meeting held" },
        MeetingHeld => "meeting held",
        QbrHeld => "QBR held",
        EmailReplied => "email replied",
        MilestoneReached => "milestone reached",
        FeatureUsed => "feature used",
        HigherTierFeatureTried => "higher-tier feature tried",
        LoggedIn => "logged in",
        ProductEventCounted => "product used",
        UserSeen => "user identified",
        UserActive => "user active",
        ProfileUpdated => "profile updated",
        _ => "event",
    };

    private static string Phrase(AccountFact fact) => fact switch
    {
        SubscriptionChanged s => Invariant($"subscription {s.SubscriptionId} {s.Status}{(s.Plan is null ? string.Empty : " on " + s.Plan)}, MRR {s.MrrCents / 100m:N2}, {s.Seats} seats{(s.NoticeGiven ? ", cancellation notice given" : string.Empty)}"),
        InvoiceUpcoming i => i.AmountDueCents is { } due ? Invariant($"invoice of {due / 100m:N2} upcoming") : "invoice upcoming",
        TicketOpened t => t.UrgentOrHigh ? "ticket opened (urgent or high)" : "ticket opened",
        SatisfactionRated r => r.Good ? "satisfaction rated good" : "satisfaction rated bad",
        TicketChanged t => $"ticket {t.TicketId} {t.Status}{(t.Priority is null ? string.Empty : ", " + t.Priority)}{(t.Complaint ? ", complaint" : string.Empty)}",
        NpsResponded n => Invariant($"NPS {n.Score}"),
        MilestoneReached m => "milestone " + m.Name,
        FeatureUsed f => "feature " + f.Name,
        HigherTierFeatureTried h => "higher-tier feature " + h.Name + " tried",
        UserSeen u => $"user {u.UserId} identified{(u.Title is null ? string.Empty : " (" + u.Title + ")")}{(u.Champion ? ", champion" : string.Empty)}{(u.ExecutiveSponsor ? ", executive sponsor" : string.Empty)}{(u.Departed ? ", departed" : string.Empty)}",
        UserActive a => $"user {a.UserId} active",
        ProfileUpdated p => p.Name is null ? "profile updated" : "profile: " + p.Name,
        MeetingLogged { StartsAt: { } starts } m when m.Outcome == MeetingOutcome.Scheduled => Invariant($"meeting booked for {starts.UtcDateTime:yyyy-MM-dd HH:mm} UTC"),
        _ => Kind(fact),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
