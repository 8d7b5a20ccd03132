using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>Signs payloads the way each provider documents it, written independently of the verifiers under test.</summary>
internal static class WebhookSigning
{
    public static string StripeHeader(string secret, long unixSeconds, byte[] body, params string[] extraSchemes)
    {
        var t = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var payload = Encoding.UTF8.GetBytes(t + ".").Concat(body).ToArray();
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload));
        return string.Join(',', new[] { "t=" + t, "v1=" + v1 }.Concat(extraSchemes));
    }

    public static string SegmentSignature(string secret, byte[] body) =>
#pragma warning disable CA5350 // Segment's documented scheme.
        Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));
#pragma warning restore CA5350

    public static string ZendeskSignature(string secret, string timestamp, byte[] body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp).Concat(body).ToArray()));

    public static string NewSecret(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
