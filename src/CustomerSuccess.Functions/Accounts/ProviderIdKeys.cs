using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Maps any string a provider may send as an id to a valid Table key fragment, one-to-one, so an id can never
/// make a write fail and two ids never share a row. Rows keep the original id in a property; the key is only
/// an address.
/// <list type="bullet">
/// <item>Characters the Table service refuses in keys (<c>/ \ # ?</c>, U+0000-U+001F, U+007F-U+009F) and the escape
/// character <c>%</c> itself become <c>%XX</c>; a UTF-16 surrogate without its pair becomes <c>%uXXXX</c> (it has no
/// UTF-8 form, so the wire would otherwise turn two different ids into the same U+FFFD). Everything else, valid
/// pairs included, stays as it is, so ordinary ids keep the keys they always had.</item>
/// <item>An id whose escaped form is longer than <see cref="MaxLength"/> keeps a readable head and ends in
/// <c>%H</c> plus the SHA-256 (hex) of the whole id. <c>%H</c> cannot occur in an escaped id (an escape is <c>%</c>
/// followed by a hex digit or <c>u</c>), so hashed and escaped keys never collide, and two hashed keys are equal
/// only if the ids' hashes are.</item>
/// </list>
/// </summary>
internal static class ProviderIdKeys
{
    /// <summary>
    /// Longest fragment: the longest prefix an id is put behind (an id kind and '|', e.g. <c>stripe-customer|</c>, 16
    /// characters) plus this stays within <see cref="TableKeys.MaxKeyLength"/>.
    /// </summary>
    public const int MaxLength = 480;

    private const string HashMarker = "%H";
    private const int HashHexLength = 64;

    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var escaped = NeedsEscaping(value) ? EscapeAll(value) : value;
        return escaped.Length <= MaxLength ? escaped : Hashed(value, escaped);
    }

    /// <summary>Whether <paramref name="key"/> is one the Table service accepts: length and characters (the rules <see cref="TableKeys"/> enforces before a request).</summary>
    public static bool IsValidKey(string key)
    {
        if (key.Length > TableKeys.MaxKeyLength)
        {
            return false;
        }

        for (var i = 0; i < key.Length; i++)
        {
            if (IsForbidden(key[i]) || IsLoneSurrogate(key, i))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsForbidden(char c) => c is '/' or '\\' or '#' or '?' || char.IsControl(c);

    private static bool IsLoneSurrogate(string s, int i) =>
        (char.IsHighSurrogate(s[i]) && (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))) ||
        (char.IsLowSurrogate(s[i]) && (i == 0 || !char.IsHighSurrogate(s[i - 1])));

    private static bool NeedsEscaping(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' || IsForbidden(value[i]) || (char.IsSurrogate(value[i]) && IsLoneSurrogate(value, i)))
            {
                return true;
            }
        }

        return false;
    }

    private static string EscapeAll(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' || IsForbidden(c))
            {
                // Every character escaped here is below U+0100: two hex digits always suffice.
                builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else if (char.IsSurrogate(c) && IsLoneSurrogate(value, i))
            {
                builder.Append("%u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string Hashed(string value, string escaped)
    {
        // The hash covers the id's UTF-16 code units, so ids that differ only in lone surrogates hash apart too.
        var hash = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(value.AsSpan())));
        var head = MaxLength - HashMarker.Length - HashHexLength;

        // Cut before an escape sequence or a surrogate pair that would otherwise be split.
        var percent = escaped.LastIndexOf('%', head - 1, Math.Min(head, 6));
        if (percent >= 0)
        {
            head = Math.Min(head, percent);
        }

        if (char.IsHighSurrogate(escaped[head - 1]))
        {
            head--;
        }

        return string.Concat(escaped.AsSpan(0, head), HashMarker, hash);
    }
}
