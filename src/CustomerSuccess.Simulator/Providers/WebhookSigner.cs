using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Simulator.Providers;

internal enum Provider
{
    Stripe,
    Segment,
    Zendesk,
}

/// <summary>The per-run signing secrets, as the app is configured with them (from the environment, never the repo).</summary>
internal sealed record WebhookSecrets(string Stripe, string Segment, string Zendesk)
{
    public static WebhookSecrets? FromEnvironment()
    {
        var stripe = Environment.GetEnvironmentVariable("Webhooks__Stripe__SigningSecrets__0");
        var segment = Environment.GetEnvironmentVariable("Webhooks__Segment__SharedSecrets__0");
        var zendesk = Environment.GetEnvironmentVariable("Webhooks__Zendesk__SigningSecrets__0");
        return string.IsNullOrEmpty(stripe) || string.IsNullOrEmpty(segment) || string.IsNullOrEmpty(zendesk) ? null : new WebhookSecrets(stripe, segment, zendesk);
    }
}

/// <summary>
/// Signs a body exactly as each provider does, with the timestamp taken from the (simulated) app clock:
/// Stripe-Signature "t=&lt;unix&gt;,v1=&lt;hex HMAC-SHA256(secret, "{t}.{body}")&gt;"; Segment X-Signature = hex
/// HMAC-SHA1(secret, body); Zendesk X-Zendesk-Webhook-Signature = base64 HMAC-SHA256(secret, timestamp + body)
/// with the ISO-8601 timestamp in X-Zendesk-Webhook-Signature-Timestamp.
/// </summary>
internal static class WebhookSigner
{
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(Provider provider, byte[] body, DateTimeOffset now, WebhookSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secrets);
        switch (provider)
        {
            case Provider.Stripe:
            {
                var t = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                var signed = Concat(Encoding.UTF8.GetBytes(t + "."), body);
                var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secrets.Stripe), signed));
                return [new("Stripe-Signature", $"t={t},v1={v1}")];
            }

            case Provider.Segment:
            {
#pragma warning disable CA5350 // Segment's webhook signature is defined as HMAC-SHA1; the receiver must match it.
                var signature = Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secrets.Segment), body));
#pragma warning restore CA5350
                return [new("X-Signature", signature)];
            }

            default:
            {
                var timestamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                var signed = Concat(Encoding.UTF8.GetBytes(timestamp), body);
                var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secrets.Zendesk), signed));
                return [new("X-Zendesk-Webhook-Signature", signature), new("X-Zendesk-Webhook-Signature-Timestamp", timestamp)];
            }
        }
    }

    private static byte[] Concat(byte[] a, byte[] b)
    {
        var result = new byte[a.Length + b.Length];
        a.CopyTo(result, 0);
        b.CopyTo(result, a.Length);
        return result;
    }
}
