using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Segment;

/// <summary>
/// Reads Segment spec messages (identify, group, track, page, screen, alias): a single message, a JSON array
/// of messages, or <c>{"batch":[...]}</c>. Every message needs a messageId and a type.
/// </summary>
internal static class SegmentEventParser
{
    public const int MaxBatchSize = 500;

    public static WebhookParseResult Parse(ReadOnlyMemory<byte> body)
    {
        if (!WebhookJson.TryParse(body, out var document, out var parseError))
        {
            return WebhookParseResult.Invalid(parseError);
        }

        using (document)
        {
            var root = document.RootElement;
            JsonElement items;
            if (root.ValueKind == JsonValueKind.Array)
            {
                items = root;
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("batch", out var batch))
            {
                if (batch.ValueKind != JsonValueKind.Array)
                {
                    return WebhookParseResult.Invalid("batch must be an array");
                }

                items = batch;
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                return ParseMessage(root, out var single, out var error) ? WebhookParseResult.Of([single!]) : WebhookParseResult.Invalid(error!);
            }
            else
            {
                return WebhookParseResult.Invalid("expected a Segment message, an array or a batch");
            }

            var count = items.GetArrayLength();
            if (count == 0)
            {
                return WebhookParseResult.Invalid("batch is empty");
            }

            if (count > MaxBatchSize)
            {
                return WebhookParseResult.Invalid("batch is too large");
            }

            var events = new List<WebhookEvent>(count);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in items.EnumerateArray())
            {
                if (!ParseMessage(item, out var message, out var error))
                {
                    return WebhookParseResult.Invalid($"message {index}: {error}");
                }

                index++;

                // A batch repeating a messageId carries one event, not two.
                if (seen.Add(message!.EventId))
                {
                    events.Add(message);
                }
            }

            return WebhookParseResult.Of(events);
        }
    }

    private static bool ParseMessage(JsonElement message, out WebhookEvent? parsed, out string? error)
    {
        parsed = null;
        if (message.ValueKind != JsonValueKind.Object)
        {
            error = "each message must be an object";
            return false;
        }

        if (!message.TryGetProperty("messageId", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
        {
            error = "missing messageId";
            return false;
        }

        if (!message.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
        {
            error = "missing type";
            return false;
        }

        if (AccountEventLimits.EnvelopeProblem(id.GetString()!, type.GetString()!) is { } problem)
        {
            error = problem;
            return false;
        }

        DateTimeOffset? occurredAt = null;
        foreach (var name in (string[])["timestamp", "originalTimestamp", "sentAt", "receivedAt"])
        {
            if (message.TryGetProperty(name, out var ts) && ts.ValueKind == JsonValueKind.String &&
                DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                occurredAt = at;
                break;
            }
        }

        error = null;
        parsed = new WebhookEvent(id.GetString()!, type.GetString()!, occurredAt, message.GetRawText());
        return true;
    }
}
