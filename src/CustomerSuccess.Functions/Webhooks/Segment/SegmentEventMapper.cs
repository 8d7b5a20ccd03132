using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Segment;

/// <summary>
/// Maps Segment messages: group → account traits, identify → user traits, track/page → usage. The account is
/// the message's groupId (top level, context or properties); an identify without one falls back to the
/// email's domain, which an admin can link to an account. Total: any JSON gives an effect, ignored, or a
/// rejection with the reason. Ids in row keys go through <see cref="ProviderIdKeys"/>; the rows keep them as sent.
/// </summary>
internal static class SegmentEventMapper
{
    public static EventMapping Map(string json, SignalsOptions options)
    {
        if (!WebhookJson.TryParse(json, out var document, out var error))
        {
            return EventMapping.Rejected(error);
        }

        using (document)
        {
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? Map(document.RootElement, options)
                : EventMapping.Rejected("a Segment message must be a JSON object");
        }
    }

    private static EventMapping Map(JsonElement m, SignalsOptions options)
    {
        var type = JsonRead.String(m, "type");
        var at = JsonRead.Time(m, "timestamp") ?? JsonRead.Time(m, "originalTimestamp") ?? JsonRead.Time(m, "sentAt") ?? JsonRead.Time(m, "receivedAt");
        if (at is not { } occurredAt)
        {
            return EventMapping.Ignored;
        }

        var day = DateOnly.FromDateTime(occurredAt.UtcDateTime);
        var version = occurredAt.ToUnixTimeMilliseconds();
        var userId = JsonRead.String(m, "userId") ?? JsonRead.String(m, "anonymousId");
        var groupId = JsonRead.String(m, "groupId") ?? JsonRead.String(m, "context", "groupId") ?? JsonRead.String(m, "properties", "groupId") ?? JsonRead.String(m, "context", "traits", "groupId");

        switch (type)
        {
            case "group" when groupId is not null:
                return EventMapping.Apply(new AccountEvent
                {
                    IdKind = ExternalIdKinds.SegmentGroup,
                    ExternalId = groupId,
                    LinkToAccountId = options.SegmentGroupIdIsAccountId ? groupId : null,
                    AlsoKnownAs = GroupAliases(m, userId, options),
                    Day = day,
                    States =
                    [
                        new StateWrite("profile|segment", version, new Dictionary<string, object?>
                        {
                            ["Name"] = JsonRead.String(m, "traits", "name") ?? JsonRead.String(m, "traits", "company"),
                            ["Plan"] = JsonRead.String(m, "traits", "plan"),
                            ["Seats"] = JsonRead.Int64(m, "traits", "seats") ?? JsonRead.Int64(m, "traits", "employees"),
                        }),
                    ],
                });

            case "identify" when userId is not null:
                var email = JsonRead.String(m, "traits", "email") ?? JsonRead.String(m, "context", "traits", "email");
                var domain = email is not null && email.IndexOf('@', StringComparison.Ordinal) is var i and > 0 ? email[(i + 1)..].ToLowerInvariant() : null;
                if (groupId is null && domain is null)
                {
                    return EventMapping.Ignored;
                }

                return EventMapping.Apply(new AccountEvent
                {
                    IdKind = groupId is not null ? ExternalIdKinds.SegmentGroup : ExternalIdKinds.EmailDomain,
                    ExternalId = groupId ?? domain!,
                    LinkToAccountId = groupId is not null && options.SegmentGroupIdIsAccountId ? groupId : null,
                    AlsoKnownAs = [new ExternalIdRef(ExternalIdKinds.SegmentUser, userId)],
                    Day = day,
                    States = UserStates(m, userId, email, version),
                });

            case "track" or "page" or "screen" when groupId is not null || userId is not null:
                var counters = new Dictionary<string, long>(StringComparer.Ordinal) { [nameof(DailySignals.Events)] = 1 };
                var states = new List<StateWrite>();
                if (userId is not null)
                {
                    states.Add(new StateWrite("seen|" + ProviderIdKeys.Escape(userId), version, new Dictionary<string, object?> { ["UserId"] = userId, ["LastSeen"] = occurredAt }));
                }

                if (type == "track" && JsonRead.String(m, "event") is { } name)
                {
                    AddIfNamed(counters, options.LoginEvents, name, nameof(DailySignals.Logins));
                    AddIfNamed(counters, options.MeetingEvents, name, nameof(DailySignals.Meetings));
                    AddIfNamed(counters, options.QbrEvents, name, nameof(DailySignals.Qbrs));
                    AddIfNamed(counters, options.EmailReplyEvents, name, nameof(DailySignals.EmailReplies));
                    if (options.FirstValueMilestones.Contains(name, StringComparer.OrdinalIgnoreCase))
                    {
                        // Earliest occurrence wins: a negated time makes an earlier event the newer version.
                        states.Add(new StateWrite("milestone|" + ProviderIdKeys.Escape(name), -version, new Dictionary<string, object?> { ["Name"] = name, ["ReachedAt"] = occurredAt }));
                    }

                    if (options.KeyFeatures.Contains(name, StringComparer.OrdinalIgnoreCase))
                    {
                        states.Add(new StateWrite("feature|" + ProviderIdKeys.Escape(name), version, new Dictionary<string, object?> { ["Name"] = name, ["LastUsed"] = occurredAt }));
                        counters["Feature_" + PropertyName(name)] = 1;
                    }
                }

                // Without a group the user's own id names the account: parked until an identify or group call
                // puts the user in one.
                return EventMapping.Apply(new AccountEvent
                {
                    IdKind = groupId is not null ? ExternalIdKinds.SegmentGroup : ExternalIdKinds.SegmentUser,
                    ExternalId = groupId ?? userId!,
                    LinkToAccountId = groupId is not null && options.SegmentGroupIdIsAccountId ? groupId : null,
                    Day = day,
                    Counters = counters,
                    ActiveUserId = userId,
                    States = states,
                });

            default:
                return EventMapping.Ignored;
        }
    }

    private static List<ExternalIdRef> GroupAliases(JsonElement m, string? userId, SignalsOptions options)
    {
        var aliases = new List<ExternalIdRef>();
        if (userId is not null)
        {
            aliases.Add(new ExternalIdRef(ExternalIdKinds.SegmentUser, userId));
        }

        foreach (var (trait, kind) in options.SegmentGroupLinkTraits)
        {
            if (JsonRead.String(m, "traits", trait) is { Length: > 0 } id && ExternalIdKinds.All.Contains(kind))
            {
                aliases.Add(new ExternalIdRef(kind, id));
            }
        }

        return aliases;
    }

    private static void AddIfNamed(Dictionary<string, long> counters, List<string> names, string eventName, string counter)
    {
        if (names.Contains(eventName, StringComparer.OrdinalIgnoreCase))
        {
            counters[counter] = 1;
        }
    }

    /// <summary>Table property names allow letters, digits and underscore.</summary>
    private static string PropertyName(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);

    // Champion and sponsor flags go by several trait names in practice; a user whose status says they left keeps
    // the role row, so the reader can tell a champion who left from one who never was.
    private static List<StateWrite> UserStates(JsonElement m, string userId, string? email, long version)
    {
        var champion = JsonRead.Bool(m, "traits", "champion") ?? JsonRead.Bool(m, "traits", "is_champion") ?? false;
        var sponsor = JsonRead.Bool(m, "traits", "executive_sponsor") ?? JsonRead.Bool(m, "traits", "executiveSponsor") ?? JsonRead.Bool(m, "traits", "is_executive_sponsor") ?? false;
        var status = JsonRead.String(m, "traits", "status");
        var departed = status is not null && DepartedStatuses.Contains(status);
        var states = new List<StateWrite>
        {
            new("user|" + ProviderIdKeys.Escape(userId), version, new Dictionary<string, object?>
            {
                ["UserId"] = userId,
                ["Email"] = email,
                ["FirstName"] = JsonRead.String(m, "traits", "firstName") ?? JsonRead.String(m, "traits", "first_name"),
                ["TimeZone"] = JsonRead.String(m, "context", "timezone") ?? JsonRead.String(m, "traits", "timezone"),
                ["Role"] = JsonRead.String(m, "traits", "role"),
                ["Title"] = JsonRead.String(m, "traits", "title"),
                ["Champion"] = champion && !departed,
                ["ExecutiveSponsor"] = sponsor && !departed,
                ["Departed"] = departed,
            }),
        };
        if (champion && !departed)
        {
            states.Add(new("role|champion|" + ProviderIdKeys.Escape(userId), version, new Dictionary<string, object?> { ["UserId"] = userId, ["Role"] = "champion" }));
        }

        if (sponsor && !departed)
        {
            states.Add(new("role|sponsor|" + ProviderIdKeys.Escape(userId), version, new Dictionary<string, object?> { ["UserId"] = userId, ["Role"] = "sponsor" }));
        }

        return states;
    }

    private static readonly HashSet<string> DepartedStatuses = new(["deactivated", "removed", "inactive", "left", "churned"], StringComparer.OrdinalIgnoreCase);
}
