using System.Globalization;
using System.Text.Json.Nodes;

namespace CustomerSuccess.Simulator.Providers;

/// <summary>A support ticket as the simulator tracks it between its events.</summary>
internal sealed class SimulatedTicket
{
    public required long Id { get; init; }

    public required string AccountId { get; init; }

    public required long OrganizationId { get; init; }

    public required long RequesterId { get; init; }

    public required string Subject { get; init; }

    public required string Type { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string[] Tags { get; init; }

    public string Priority { get; set; } = "normal";

    public string Status { get; set; } = "new";

    public DateTimeOffset UpdatedAt { get; set; }

    public int SolveDay { get; set; }

    public int? EscalateDay { get; set; }

    /// <summary>"good", "bad" or null when the requester did not answer the survey.</summary>
    public string? Rating { get; set; }
}

/// <summary>
/// Zendesk event webhooks as documented: top-level type ("zen:event-type:..."), account_id, id, time,
/// zendesk_event_version, subject, detail (the ticket or organization) and event (current/previous for changes).
/// </summary>
internal static class ZendeskPayloads
{
    public const long ZendeskAccountId = 24_681_357;

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Envelope(string id, string type, string subject, DateTimeOffset time, JsonObject detail, JsonObject @event) => new()
    {
        ["account_id"] = ZendeskAccountId,
        ["detail"] = detail,
        ["event"] = @event,
        ["id"] = id,
        ["subject"] = subject,
        ["time"] = Iso(time),
        ["type"] = type,
        ["zendesk_event_version"] = "2022-11-06",
    };

    private static JsonObject TicketDetail(SimulatedTicket t) => new()
    {
        ["actor_id"] = t.RequesterId.ToString(CultureInfo.InvariantCulture),
        ["assignee_id"] = null,
        ["brand_id"] = "360000111222",
        ["created_at"] = Iso(t.CreatedAt),
        ["custom_status"] = "1",
        ["description"] = t.Subject,
        ["external_id"] = null,
        ["form_id"] = "360000333444",
        ["group_id"] = "360000555666",
        ["id"] = t.Id.ToString(CultureInfo.InvariantCulture),
        ["is_public"] = true,
        ["organization_id"] = t.OrganizationId.ToString(CultureInfo.InvariantCulture),
        ["priority"] = t.Priority.ToUpperInvariant(),
        ["requester_id"] = t.RequesterId.ToString(CultureInfo.InvariantCulture),
        ["status"] = t.Status.ToUpperInvariant(),
        ["subject"] = t.Subject,
        ["submitter_id"] = t.RequesterId.ToString(CultureInfo.InvariantCulture),
        ["tags"] = new JsonArray([.. t.Tags.Select(x => (JsonNode?)JsonValue.Create(x))]),
        ["type"] = t.Type.ToUpperInvariant(),
        ["updated_at"] = Iso(t.UpdatedAt),
        ["via"] = new JsonObject { ["channel"] = "email" },
    };

    public static JsonObject TicketCreated(string id, SimulatedTicket t, DateTimeOffset time) =>
        Envelope(id, "zen:event-type:ticket.created", "zen:ticket:" + t.Id.ToString(CultureInfo.InvariantCulture), time, TicketDetail(t), new JsonObject
        {
            ["meta"] = new JsonObject { ["sequence"] = new JsonObject { ["id"] = id, ["position"] = 1, ["total"] = 1 } },
        });

    public static JsonObject TicketChanged(string id, string change, SimulatedTicket t, string previous, string current, DateTimeOffset time) =>
        Envelope(id, "zen:event-type:ticket." + change, "zen:ticket:" + t.Id.ToString(CultureInfo.InvariantCulture), time, TicketDetail(t), new JsonObject
        {
            ["current"] = current.ToUpperInvariant(),
            ["previous"] = previous.ToUpperInvariant(),
            ["meta"] = new JsonObject { ["sequence"] = new JsonObject { ["id"] = id, ["position"] = 1, ["total"] = 1 } },
        });

    /// <summary>A CSAT answer. Assumed event type "ticket.satisfaction_rating_changed" with score in event.current (good/bad) and the survey state in event.previous.</summary>
    public static JsonObject SatisfactionRated(string id, SimulatedTicket t, string score, DateTimeOffset time) =>
        Envelope(id, "zen:event-type:ticket.satisfaction_rating_changed", "zen:ticket:" + t.Id.ToString(CultureInfo.InvariantCulture), time, TicketDetail(t), new JsonObject
        {
            ["current"] = new JsonObject { ["score"] = score, ["comment"] = score == "good" ? "Thanks, quick and helpful." : "Took far too long and the issue is back." },
            ["previous"] = new JsonObject { ["score"] = "offered" },
        });

    public static JsonObject OrganizationCreated(string id, long organizationId, string accountId, string name, string domain, DateTimeOffset time) =>
        Envelope(id, "zen:event-type:organization.created", "zen:organization:" + organizationId.ToString(CultureInfo.InvariantCulture), time, new JsonObject
        {
            ["created_at"] = Iso(time),
            ["external_id"] = accountId,
            ["group_id"] = null,
            ["id"] = organizationId.ToString(CultureInfo.InvariantCulture),
            ["name"] = name,
            ["domain_names"] = new JsonArray(domain),
            ["shared_comments"] = false,
            ["shared_tickets"] = false,
            ["updated_at"] = Iso(time),
        }, new JsonObject());
}
