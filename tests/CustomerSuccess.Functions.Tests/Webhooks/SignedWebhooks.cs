using System.Globalization;
using System.Net.Http.Headers;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Posts raw bytes to a webhook route the way the provider does, signed with the provider's scheme over exactly
/// those bytes (or not signed at all), and hands back the response: the black-box way into the app.
/// </summary>
internal sealed class SignedWebhooks(HttpClient http, WebhookAppFactory app, TimeProvider clock)
{
    public async Task<HttpResponseMessage> PostAsync(WebhookProvider provider, byte[] body, bool signed = true)
    {
        var now = clock.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/" + WebhookProviderNames.Of(provider)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        if (signed)
        {
            switch (provider)
            {
                case WebhookProvider.Stripe:
                    request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigning.StripeHeader(app.StripeSecret, now.ToUnixTimeSeconds(), body));
                    break;
                case WebhookProvider.Segment:
                    request.Headers.TryAddWithoutValidation("X-Signature", WebhookSigning.SegmentSignature(app.SegmentSecret, body));
                    break;
                default:
                    var timestamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    request.Headers.TryAddWithoutValidation("X-Zendesk-Webhook-Signature", WebhookSigning.ZendeskSignature(app.ZendeskSecret, timestamp, body));
                    request.Headers.TryAddWithoutValidation("X-Zendesk-Webhook-Signature-Timestamp", timestamp);
                    break;
            }
        }

        return await http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostAsync(WebhookProvider provider, string json, bool signed = true) =>
        PostAsync(provider, System.Text.Encoding.UTF8.GetBytes(json), signed);
}
