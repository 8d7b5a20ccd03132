using System.Text.Json;

namespace CustomerSuccess.Functions.Webhooks.Stripe;

/// <summary>Reads the envelope of a Stripe event: <c>{"id":"evt_...","object":"event","type":...,"created":unix,"data":{"object":{...}}}</c>.</summary>
internal static class StripeEventParser
{
    public static WebhookParseResult Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return WebhookParseResult.Invalid("expected a Stripe event object");
            }

            if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
            {
                return WebhookParseResult.Invalid("missing event id");
            }

            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
            {
                return WebhookParseResult.Invalid("missing event type");
            }

            if (!root.TryGetProperty("created", out var created) || !created.TryGetInt64(out var createdUnix))
            {
                return WebhookParseResult.Invalid("missing event created");
            }

            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object ||
                !data.TryGetProperty("object", out var obj) || obj.ValueKind != JsonValueKind.Object)
            {
                return WebhookParseResult.Invalid("missing data.object");
            }

            var json = System.Text.Encoding.UTF8.GetString(body.Span);
            return WebhookParseResult.Of([new WebhookEvent(id.GetString()!, type.GetString()!, DateTimeOffset.FromUnixTimeSeconds(createdUnix), json)]);
        }
        catch (JsonException)
        {
            return WebhookParseResult.Invalid("body is not valid JSON");
        }
        catch (ArgumentOutOfRangeException)
        {
            return WebhookParseResult.Invalid("created is out of range");
        }
    }
}
