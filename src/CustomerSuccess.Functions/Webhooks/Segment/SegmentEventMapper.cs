using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Segment;

/// <summary>
/// Maps Segment messages: group → account traits, identify → a person's traits, track/page/screen → usage. The account
/// is the message's groupId (top level, context or properties); an identify without one falls back to the email's
/// domain, which an admin can link to an account; usage without one waits under the user's id until the user is seen
/// in a group. Total: any JSON gives an event, ignored, or a rejection with the reason.
/// </summary>
internal static class SegmentEventMapper
{
    private static readonly HashSet<string> DepartedStatuses = new(["deactivated", "removed", "inactive", "left", "churned"], StringComparer.OrdinalIgnoreCase);

    public static EventMapping Map(string json, ProductOptions product)
    {
        if (!WebhookJson.TryParse(json, out var document, out var error))
        {
            return EventMapping.Rejected(error);
        }

        using (document)
        {
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? Map(document.RootElement, product)
                : EventMapping.Rejected("a Segment message must be a JSON object");
        }
    }

    private static EventMapping Map(JsonElement m, ProductOptions product)
    {
        var type = JsonRead.String(m, "type");
        var at = JsonRead.Time(m, "timestamp") ?? JsonRead.Time(m, "originalTimestamp") ?? JsonRead.Time(m, "sentAt") ?? JsonRead.Time(m, "receivedAt");
        if (at is not { } occurredAt)
        {
            return EventMapping.Ignored;
        }

        var userId = JsonRead.String(m, "userId") ?? JsonRead.String(m, "anonymousId");
        var groupId = JsonRead.String(m, "groupId") ?? JsonRead.String(m, "context", "groupId") ?? JsonRead.String(m, "properties", "groupId") ?? JsonRead.String(m, "context", "traits", "groupId");
        var named = groupId is not null && product.SegmentGroupIdIsAccountId ? groupId : null;
        switch (type)
        {
            case "group" when groupId is not null:
                return EventMapping.Apply(new AccountEvent
                {
                    Account = new ExternalIdRef(ExternalIdKinds.SegmentGroup, groupId),
                    NamedAccountId = named,
                    AlsoKnownAs = GroupAliases(m, userId, product),
                    OccurredAt = occurredAt,
                    Facts =
                    [
                        new ProfileUpdated(
                            "segment",
                            JsonRead.String(m, "traits", "name") ?? JsonRead.String(m, "traits", "company"),
                            Plan: JsonRead.String(m, "traits", "plan"),
                            Seats: JsonRead.Int64(m, "traits", "seats") ?? JsonRead.Int64(m, "traits", "employees")),
                    ],
                });

            case "identify" when userId is not null:
                var email = JsonRead.String(m, "traits", "email") ?? JsonRead.String(m, "context", "traits", "email");
                var domain = email is not null && email.IndexOf('@', StringComparison.Ordinal) is var i and > 0 && i < email.Length - 1 ? email[(i + 1)..].ToLowerInvariant() : null;
                if (groupId is null && domain is null)
                {
                    return EventMapping.Ignored;
                }

                return EventMapping.Apply(new AccountEvent
                {
                    Account = groupId is not null ? new ExternalIdRef(ExternalIdKinds.SegmentGroup, groupId) : new ExternalIdRef(ExternalIdKinds.EmailDomain, domain!),
                    NamedAccountId = named,
                    AlsoKnownAs = [new ExternalIdRef(ExternalIdKinds.SegmentUser, userId)],
                    OccurredAt = occurredAt,
                    Facts = [Person(m, userId, email)],
                });

            case "track" or "page" or "screen" when groupId is not null || userId is not null:
                var facts = new List<AccountFact> { new ProductEventCounted() };
                if (userId is not null)
                {
                    facts.Add(new UserActive(userId));
                }

                if (type == "track" && JsonRead.String(m, "event") is { } name)
                {
                    facts.AddRange(Named(name, product));
                    if (ProductOptions.Match(product.MeetingScheduledEvents, name) is not null
                        && JsonRead.String(m, "properties", product.MeetingStartProperty) is { } startsText
                        && DateTimeOffset.TryParse(startsText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var startsAt))
                    {
                        // A booking without a readable start cannot be missed: it still counts as product use.
                        facts.Add(new MeetingLogged(MeetingOutcome.Scheduled, startsAt.ToUniversalTime()));
                    }

                    if (string.Equals(name, product.NpsEvent, StringComparison.OrdinalIgnoreCase)
                        && JsonRead.Path(m, "properties", product.NpsScoreProperty) is { ValueKind: JsonValueKind.Number } score
                        && score.TryGetInt32(out var nps) && nps is >= 0 and <= 10)
                    {
                        // A score outside 0-10, or none, is not an NPS answer: the event still counts as product use.
                        facts.Add(new NpsResponded(nps));
                    }
                }

                // Without a group the user's own id names the account: parked until an identify or group call puts the
                // user in one.
                return EventMapping.Apply(new AccountEvent
                {
                    Account = groupId is not null ? new ExternalIdRef(ExternalIdKinds.SegmentGroup, groupId) : new ExternalIdRef(ExternalIdKinds.SegmentUser, userId!),
                    NamedAccountId = named,
                    OccurredAt = occurredAt,
                    Facts = facts,
                });

            default:
                return EventMapping.Ignored;
        }
    }

    /// <summary>What a track event's name means in the product's vocabulary (any number of things, or nothing).</summary>
    private static IEnumerable<AccountFact> Named(string eventName, ProductOptions product)
    {
        if (ProductOptions.Match(product.LoginEvents, eventName) is not null)
        {
            yield return new LoggedIn();
        }

        var meeting = ProductOptions.Match(product.MeetingEvents, eventName) is not null;
        var qbr = ProductOptions.Match(product.QbrEvents, eventName) is not null;
        var renewal = ProductOptions.Match(product.RenewalMeetingEvents, eventName) is not null;
        if (meeting || renewal)
        {
            yield return new MeetingHeld();
        }

        if (qbr)
        {
            yield return new QbrHeld();
        }

        if (qbr || renewal)
        {
            yield return new RenewalConversationHeld();
        }

        if (meeting || qbr || renewal)
        {
            yield return new MeetingLogged(MeetingOutcome.Held);
        }

        if (ProductOptions.Match(product.MeetingNoShowEvents, eventName) is not null)
        {
            yield return new MeetingLogged(MeetingOutcome.NoShow);
        }

        if (ProductOptions.Match(product.EmailReplyEvents, eventName) is not null)
        {
            yield return new EmailReplied();
        }

        if (ProductOptions.Match(product.Milestones(), eventName) is { } milestone)
        {
            yield return new MilestoneReached(milestone);
        }

        if (ProductOptions.Match(product.KeyFeatures, eventName) is { } feature)
        {
            yield return new FeatureUsed(feature);
        }

        if (ProductOptions.Match(product.HigherTierFeatures, eventName) is { } higherTier)
        {
            yield return new HigherTierFeatureTried(higherTier);
        }

        if (ProductOptions.Match(product.DataExportEvents, eventName) is not null)
        {
            yield return new DataExportRequested();
        }
    }

    private static List<ExternalIdRef> GroupAliases(JsonElement m, string? userId, ProductOptions product)
    {
        var aliases = new List<ExternalIdRef>();
        if (userId is not null)
        {
            aliases.Add(new ExternalIdRef(ExternalIdKinds.SegmentUser, userId));
        }

        foreach (var (trait, kind) in product.SegmentGroupLinkTraits)
        {
            if (JsonRead.String(m, "traits", trait) is { Length: > 0 } id)
            {
                aliases.Add(new ExternalIdRef(kind, id));
            }
        }

        return aliases;
    }

    // Champion and sponsor flags go by several trait names in practice; a person whose status says they left is no
    // longer either. Without a first name, the first word of the full name stands in (what a greeting needs).
    private static UserSeen Person(JsonElement m, string userId, string? email)
    {
        var status = JsonRead.String(m, "traits", "status");
        var firstName = JsonRead.String(m, "traits", "firstName") ?? JsonRead.String(m, "traits", "first_name")
            ?? JsonRead.String(m, "traits", "name")?.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return new UserSeen(
            userId,
            email,
            firstName,
            JsonRead.String(m, "context", "timezone") ?? JsonRead.String(m, "traits", "timezone"),
            JsonRead.String(m, "traits", "role"),
            JsonRead.String(m, "traits", "title"),
            Champion: JsonRead.Bool(m, "traits", "champion") ?? JsonRead.Bool(m, "traits", "is_champion") ?? false,
            ExecutiveSponsor: JsonRead.Bool(m, "traits", "executive_sponsor") ?? JsonRead.Bool(m, "traits", "executiveSponsor") ?? JsonRead.Bool(m, "traits", "is_executive_sponsor") ?? false,
            Departed: status is not null && DepartedStatuses.Contains(status),
            Department: JsonRead.String(m, "traits", "department") ?? JsonRead.String(m, "traits", "team"));
    }
}
