using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Tests.Webhooks;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>
/// Sends webhooks to the app the way Stripe, Segment and Zendesk do: their event shapes (as in Fixtures/), raw UTF-8
/// bytes, and each provider's signature over exactly those bytes, timestamped with the app's (simulated) clock.
/// </summary>
internal sealed class ProviderWebhooks(HttpClient http, string stripeSecret, string segmentSecret, string zendeskSecret)
{
    private int _sequence;

    public Task StripeAsync(string type, JsonObject resource, DateTimeOffset created, DateTimeOffset now)
    {
        var body = new JsonObject
        {
            ["id"] = "evt_" + Id(),
            ["object"] = "event",
            ["api_version"] = "2024-06-20",
            ["created"] = created.ToUnixTimeSeconds(),
            ["data"] = new JsonObject { ["object"] = resource },
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = type,
        };
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        return PostAsync("/api/webhooks/stripe", bytes, ("Stripe-Signature", WebhookSigning.StripeHeader(stripeSecret, now.ToUnixTimeSeconds(), bytes)));
    }

    /// <summary>One Segment batch request, as Segment's webhook destination delivers several messages at once.</summary>
    public Task SegmentBatchAsync(IReadOnlyList<JsonObject> messages, DateTimeOffset now)
    {
        var body = new JsonObject
        {
            ["batch"] = new JsonArray([.. messages]),
            ["sentAt"] = Iso(now),
        };
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        return PostAsync("/api/webhooks/segment", bytes, ("X-Signature", WebhookSigning.SegmentSignature(segmentSecret, bytes)));
    }

    public JsonObject SegmentIdentify(string userId, string groupId, DateTimeOffset at, JsonObject traits) => new()
    {
        ["type"] = "identify",
        ["messageId"] = "ajs-" + Id(),
        ["userId"] = userId,
        ["timestamp"] = Iso(at),
        ["traits"] = traits,
        ["context"] = new JsonObject { ["groupId"] = groupId, ["library"] = new JsonObject { ["name"] = "analytics-node", ["version"] = "6.2.0" } },
    };

    public JsonObject SegmentTrack(string userId, string groupId, string eventName, DateTimeOffset at) => new()
    {
        ["type"] = "track",
        ["messageId"] = "ajs-" + Id(),
        ["userId"] = userId,
        ["event"] = eventName,
        ["timestamp"] = Iso(at),
        ["properties"] = new JsonObject(),
        ["context"] = new JsonObject { ["groupId"] = groupId, ["library"] = new JsonObject { ["name"] = "analytics-node", ["version"] = "6.2.0" } },
    };

    public Task ZendeskAsync(string type, JsonObject detail, DateTimeOffset at, DateTimeOffset now, JsonObject? change = null)
    {
        var body = new JsonObject
        {
            ["type"] = "zen:event-type:" + type,
            ["account_id"] = 22129848,
            ["id"] = Guid.NewGuid().ToString(),
            ["time"] = Iso(at),
            ["zendesk_event_version"] = "2022-11-06",
            ["subject"] = "zen:ticket:" + (string?)detail["id"],
            ["detail"] = detail,
            ["event"] = change ?? new JsonObject(),
        };
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var timestamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return PostAsync("/api/webhooks/zendesk", bytes, ("X-Zendesk-Webhook-Signature", WebhookSigning.ZendeskSignature(zendeskSecret, timestamp, bytes)), ("X-Zendesk-Webhook-Signature-Timestamp", timestamp));
    }

    private async Task PostAsync(string path, byte[] body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private string Id() => Interlocked.Increment(ref _sequence).ToString("D6", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..10];

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
