using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Zendesk;

/// <summary>
/// Reads the envelope of a Zendesk event-subscribed webhook:
/// <c>{"id":...,"type":"zen:event-type:ticket.created","time":ISO-8601,"account_id":...,"subject":"zen:ticket:123","detail":{...},"event":{...}}</c>.
/// </summary>
internal static class ZendeskEventParser
{
    public static WebhookParseResult Parse(ReadOnlyMemory<byte> body)
    {
        if (!WebhookJson.TryParse(body, out var document, out var error))
        {
            return WebhookParseResult.Invalid(error);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return WebhookParseResult.Invalid("expected a Zendesk event object");
            }

            if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
            {
                return WebhookParseResult.Invalid("missing event id");
            }

            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
            {
                return WebhookParseResult.Invalid("missing event type");
            }

            if (!root.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.Object)
            {
                return WebhookParseResult.Invalid("missing detail");
            }

            if (AccountEventLimits.EnvelopeProblem(id.GetString()!, type.GetString()!) is { } problem)
            {
                return WebhookParseResult.Invalid(problem);
            }

            DateTimeOffset? occurredAt = null;
            if (root.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String &&
                DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                occurredAt = at;
            }

            var json = System.Text.Encoding.UTF8.GetString(body.Span);
            return WebhookParseResult.Of([new WebhookEvent(id.GetString()!, type.GetString()!, occurredAt, json)]);
        }
    }
}
