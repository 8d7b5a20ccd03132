using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Webhooks.Stripe;

/// <summary>
/// Checks a Stripe-Signature header (<c>t=&lt;unix&gt;,v1=&lt;hex&gt;[,v1=...]</c>): the expected signature is
/// the HMAC-SHA256, keyed by an endpoint secret, of <c>"{t}.{raw body}"</c>. Any v1 matching any configured
/// secret passes; v0 and unknown schemes are ignored; the timestamp must be within the tolerance of now
/// either way, which bounds replays of captured deliveries.
/// </summary>
internal static class StripeSignatureVerifier
{
    public const string HeaderName = "Stripe-Signature";

    public static SignatureCheck Verify(ReadOnlySpan<byte> body, string? header, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.MissingHeader;
        }

        if (secrets.Count == 0)
        {
            return SignatureCheck.NoSecretConfigured;
        }

        string? timestamp = null;
        var candidates = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = part[..eq];
            var value = part[(eq + 1)..];
            if (key == "t")
            {
                if (timestamp is not null)
                {
                    return SignatureCheck.Malformed;
                }

                timestamp = value;
            }
            else if (key == "v1" && SignatureEncoding.TryDecodeHex(value, 32) is { } signature)
            {
                candidates.Add(signature);
            }
        }

        if (timestamp is null || candidates.Count == 0 ||
            !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var unixSeconds))
        {
            return SignatureCheck.Malformed;
        }

        var prefix = Encoding.ASCII.GetBytes(timestamp + ".");
        var signedPayload = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signedPayload, 0);
        body.CopyTo(signedPayload.AsSpan(prefix.Length));

        var matched = false;
        Span<byte> expected = stackalloc byte[32];
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signedPayload, expected);
            foreach (var candidate in candidates)
            {
                // Non-short-circuiting so the time taken does not depend on which secret or candidate matched.
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }

        if (!matched)
        {
            return SignatureCheck.Mismatch;
        }

        if (unixSeconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return SignatureCheck.TimestampOutOfTolerance;
        }

        var age = now - DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        return age.Duration() > tolerance ? SignatureCheck.TimestampOutOfTolerance : SignatureCheck.Valid;
    }
}
