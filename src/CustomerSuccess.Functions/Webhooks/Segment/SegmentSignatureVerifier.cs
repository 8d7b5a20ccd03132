using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Webhooks.Segment;

/// <summary>
/// Checks Segment's X-Signature header: the hex HMAC-SHA1 of the raw body keyed by the shared secret. A batch
/// is signed as a whole, over the exact bytes sent. Segment signs no timestamp, so replays are bounded by
/// idempotency (messageId) rather than by age.
/// </summary>
internal static class SegmentSignatureVerifier
{
    public const string HeaderName = "X-Signature";

    public static SignatureCheck Verify(ReadOnlySpan<byte> body, string? header, IReadOnlyList<string> secrets)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.MissingHeader;
        }

        if (secrets.Count == 0)
        {
            return SignatureCheck.NoSecretConfigured;
        }

        if (SignatureEncoding.TryDecodeHex(header.Trim(), 20) is not { } presented)
        {
            return SignatureCheck.Malformed;
        }

        var matched = false;
        Span<byte> expected = stackalloc byte[20];
        foreach (var secret in secrets)
        {
#pragma warning disable CA5350 // Segment's signature scheme is HMAC-SHA1; the provider, not this code, chose it.
            HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
#pragma warning restore CA5350
            matched |= CryptographicOperations.FixedTimeEquals(expected, presented);
        }

        return matched ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }
}
