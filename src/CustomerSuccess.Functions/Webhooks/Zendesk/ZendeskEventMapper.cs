using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Zendesk;

/// <summary>
/// Maps Zendesk ticket and organization events; the account is the ticket's organization. Total: any JSON gives
/// an effect, ignored, or a rejection with the reason.
/// </summary>
internal static class ZendeskEventMapper
{
    private const string Prefix = "zen:event-type:";

    public static EventMapping Map(string eventType, string json, SignalsOptions options)
    {
        if (!WebhookJson.TryParse(json, out var document, out var error))
        {
            return EventMapping.Rejected(error);
        }

        using (document)
        {
            return JsonRead.Path(document.RootElement, "detail") is { ValueKind: JsonValueKind.Object } detail
                ? Map(eventType, document.RootElement, detail, options)
                : EventMapping.Rejected("missing detail");
        }
    }

    private static EventMapping Map(string eventType, JsonElement root, JsonElement detail, SignalsOptions options)
    {
        var at = JsonRead.Time(root, "time") ?? JsonRead.Time(detail, "updated_at");
        if (at is not { } occurredAt)
        {
            return EventMapping.Ignored;
        }

        var day = DateOnly.FromDateTime(occurredAt.UtcDateTime);
        var version = occurredAt.ToUnixTimeMilliseconds();
        var type = eventType.StartsWith(Prefix, StringComparison.Ordinal) ? eventType[Prefix.Length..] : eventType;

        if (type.StartsWith("organization.", StringComparison.Ordinal))
        {
            var orgId = JsonRead.String(detail, "id");
            return orgId is null ? EventMapping.Ignored : EventMapping.Apply(new AccountEvent
            {
                IdKind = ExternalIdKinds.ZendeskOrganization,
                ExternalId = orgId,

                // Zendesk's external_id is there to name the organization's record elsewhere: our account id.
                LinkToAccountId = JsonRead.String(detail, "external_id"),
                Day = day,
                States = [new StateWrite("profile|zendesk", version, new Dictionary<string, object?> { ["Name"] = JsonRead.String(detail, "name") })],
            });
        }

        if (!type.StartsWith("ticket.", StringComparison.Ordinal))
        {
            return EventMapping.Ignored;
        }

        var organization = JsonRead.String(detail, "organization_id");
        var ticketId = JsonRead.String(detail, "id");
        if (organization is null or "0" or "" || ticketId is null)
        {
            return EventMapping.Ignored;
        }

        var status = (JsonRead.String(detail, "status") ?? "new").ToLowerInvariant();
        var priority = JsonRead.String(detail, "priority")?.ToLowerInvariant();
        var ticketType = JsonRead.String(detail, "type")?.ToLowerInvariant();
        var tags = JsonRead.Path(detail, "tags") is { ValueKind: JsonValueKind.Array } t
            ? t.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
        var complaint = tags.Any(tag => options.ComplaintTags.Contains(tag, StringComparer.OrdinalIgnoreCase)) ||
                        (ticketType is not null && options.ComplaintTags.Contains(ticketType, StringComparer.OrdinalIgnoreCase));

        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        if (type == "ticket.created")
        {
            counters[nameof(DailySignals.TicketsOpened)] = 1;
            if (priority is "urgent" or "high")
            {
                counters[nameof(DailySignals.UrgentOrHighTicketsOpened)] = 1;
            }
        }
        else if (type == "ticket.status_changed" && status is "solved" or "closed" &&
                 (JsonRead.String(root, "event", "previous") ?? string.Empty).ToLowerInvariant() is not ("solved" or "closed"))
        {
            counters[nameof(DailySignals.TicketsSolved)] = 1;
        }

        var score = (JsonRead.String(detail, "satisfaction_rating", "score") ?? (type.Contains("satisfaction", StringComparison.Ordinal) ? JsonRead.String(root, "event", "current") ?? JsonRead.String(root, "event", "current", "score") : null))?.ToLowerInvariant();
        if (type.Contains("satisfaction", StringComparison.Ordinal) || score is "good" or "bad")
        {
            if (score == "good")
            {
                counters[nameof(DailySignals.SatisfactionGood)] = 1;
            }
            else if (score == "bad")
            {
                counters[nameof(DailySignals.SatisfactionBad)] = 1;
            }
        }

        return EventMapping.Apply(new AccountEvent
        {
            IdKind = ExternalIdKinds.ZendeskOrganization,
            ExternalId = organization,
            Day = day,
            Counters = counters,
            States =
            [
                new StateWrite("ticket|" + ProviderIdKeys.Escape(ticketId), version, new Dictionary<string, object?>
                {
                    ["TicketId"] = ticketId,
                    ["Status"] = status,
                    ["Priority"] = priority,
                    ["Type"] = ticketType,
                    ["Tags"] = string.Join(',', tags),
                    ["Complaint"] = complaint,
                }),
            ],
        });
    }
}
