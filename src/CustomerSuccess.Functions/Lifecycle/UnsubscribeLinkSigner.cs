using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// Signed one-click unsubscribe links: <c>{base}?c={contact}&amp;s={HMAC-SHA256(key, contact)}</c> (base64url).
/// Anyone holding the link can unsubscribe that contact and no other; no login, nothing to guess.
/// </summary>
public sealed class UnsubscribeLinkSigner
{
    private readonly byte[] _key;
    private readonly Uri _baseUrl;
    private readonly string? _mailto;

    public UnsubscribeLinkSigner(LifecycleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _key = Encoding.UTF8.GetBytes(options.UnsubscribeSigningKey ?? throw new ArgumentException("Lifecycle__UnsubscribeSigningKey is required.", nameof(options)));
        _baseUrl = options.UnsubscribeBaseUrl ?? throw new ArgumentException("Lifecycle__UnsubscribeBaseUrl is required.", nameof(options));
        _mailto = string.IsNullOrWhiteSpace(options.UnsubscribeMailto) ? null : options.UnsubscribeMailto.Trim();
    }

    public Uri LinkFor(string contactId)
    {
        var separator = string.IsNullOrEmpty(_baseUrl.Query) ? "?" : "&";
        return new Uri(_baseUrl.AbsoluteUri + separator + "c=" + Uri.EscapeDataString(contactId) + "&s=" + Sign(contactId));
    }

    /// <summary>The List-Unsubscribe (https link, then the mailto when configured) and List-Unsubscribe-Post (RFC 8058) headers for a contact.</summary>
    public IReadOnlyDictionary<string, string> HeadersFor(string contactId) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["List-Unsubscribe"] = "<" + LinkFor(contactId).AbsoluteUri + ">"
            + (_mailto is null ? string.Empty : ", <mailto:" + _mailto + "?subject=unsubscribe%20" + Uri.EscapeDataString(contactId) + ">"),
        ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
    };

    public bool IsValid(string? contactId, string? signature)
    {
        if (string.IsNullOrEmpty(contactId) || string.IsNullOrEmpty(signature))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(contactId)), Encoding.ASCII.GetBytes(signature));
    }

    private string Sign(string contactId)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("unsubscribe\n" + contactId));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
