using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Webhooks.Zendesk;

/// <summary>
/// Checks Zendesk's webhook signature: X-Zendesk-Webhook-Signature is the base64 HMAC-SHA256, keyed by the
/// webhook's signing secret, of the X-Zendesk-Webhook-Signature-Timestamp value followed directly (no
/// separator) by the raw body. The ISO-8601 timestamp must lie within the tolerance of now.
/// </summary>
internal static class ZendeskSignatureVerifier
{
    public const string SignatureHeader = "X-Zendesk-Webhook-Signature";
    public const string TimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp";

    public static SignatureCheck Verify(ReadOnlySpan<byte> body, string? signature, string? timestamp, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrWhiteSpace(signature) || string.IsNullOrWhiteSpace(timestamp))
        {
            return SignatureCheck.MissingHeader;
        }

        if (secrets.Count == 0)
        {
            return SignatureCheck.NoSecretConfigured;
        }

        if (SignatureEncoding.TryDecodeBase64(signature.Trim(), 32) is not { } presented ||
            !DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return SignatureCheck.Malformed;
        }

        var prefix = Encoding.UTF8.GetBytes(timestamp);
        var signedPayload = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signedPayload, 0);
        body.CopyTo(signedPayload.AsSpan(prefix.Length));

        var matched = false;
        Span<byte> expected = stackalloc byte[32];
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signedPayload, expected);
            matched |= CryptographicOperations.FixedTimeEquals(expected, presented);
        }

        if (!matched)
        {
            return SignatureCheck.Mismatch;
        }

        return (now - signedAt).Duration() > tolerance ? SignatureCheck.TimestampOutOfTolerance : SignatureCheck.Valid;
    }
}
