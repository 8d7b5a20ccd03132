using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Zendesk;

/// <summary>
/// Maps Zendesk ticket and organization events; the account is the ticket's organization. Total: any JSON gives an
/// event, ignored, or a rejection with the reason.
/// </summary>
internal static class ZendeskEventMapper
{
    private const string Prefix = "zen:event-type:";

    public static EventMapping Map(string eventType, string json, ProductOptions product)
    {
        if (!WebhookJson.TryParse(json, out var document, out var error))
        {
            return EventMapping.Rejected(error);
        }

        using (document)
        {
            var root = document.RootElement;
            if (JsonRead.Path(root, "detail") is not { ValueKind: JsonValueKind.Object } detail)
            {
                return EventMapping.Rejected("missing detail");
            }

            if ((JsonRead.Time(root, "time") ?? JsonRead.Time(detail, "updated_at")) is not { } occurredAt)
            {
                return EventMapping.Ignored;
            }

            var type = eventType.StartsWith(Prefix, StringComparison.Ordinal) ? eventType[Prefix.Length..] : eventType;
            if (type.StartsWith("organization.", StringComparison.Ordinal))
            {
                return JsonRead.String(detail, "id") is { Length: > 0 } orgId
                    ? EventMapping.Apply(new AccountEvent
                    {
                        Account = new ExternalIdRef(ExternalIdKinds.ZendeskOrganization, orgId),

                        // Zendesk's external_id is there to name the organization's record elsewhere: our account id.
                        NamedAccountId = JsonRead.String(detail, "external_id"),
                        OccurredAt = occurredAt,
                        Facts = [new ProfileUpdated("zendesk", JsonRead.String(detail, "name"))],
                    })
                    : EventMapping.Ignored;
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

            return EventMapping.Apply(new AccountEvent
            {
                Account = new ExternalIdRef(ExternalIdKinds.ZendeskOrganization, organization),
                OccurredAt = occurredAt,
                Facts = TicketFacts(root, detail, type, ticketId, product),
            });
        }
    }

    private static List<AccountFact> TicketFacts(JsonElement root, JsonElement detail, string type, string ticketId, ProductOptions product)
    {
        var status = (JsonRead.String(detail, "status") ?? "new").ToLowerInvariant();
        var priority = JsonRead.String(detail, "priority")?.ToLowerInvariant();
        var ticketType = JsonRead.String(detail, "type")?.ToLowerInvariant();
        var tags = JsonRead.Path(detail, "tags") is { ValueKind: JsonValueKind.Array } t
            ? t.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
        var complaint = tags.Any(tag => ProductOptions.Match(product.ComplaintTags, tag) is not null) ||
                        (ticketType is not null && ProductOptions.Match(product.ComplaintTags, ticketType) is not null);

        var facts = new List<AccountFact> { new TicketChanged(ticketId, status, priority, ticketType, string.Join(',', tags), complaint) };
        if (type == "ticket.created")
        {
            facts.Add(new TicketOpened(priority is "urgent" or "high"));
        }
        else if (type == "ticket.status_changed" && status is "solved" or "closed" &&
                 (JsonRead.String(root, "event", "previous") ?? string.Empty).ToLowerInvariant() is not ("solved" or "closed"))
        {
            facts.Add(new TicketSolved());
        }

        var score = (JsonRead.String(detail, "satisfaction_rating", "score") ?? (type.Contains("satisfaction", StringComparison.Ordinal) ? JsonRead.String(root, "event", "current") ?? JsonRead.String(root, "event", "current", "score") : null))?.ToLowerInvariant();
        if (score is "good" or "bad")
        {
            facts.Add(new SatisfactionRated(score == "good"));
        }

        return facts;
    }
}
