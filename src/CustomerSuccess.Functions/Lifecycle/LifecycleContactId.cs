using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// A contact is an email address: the cap, the unsubscribe and a hard bounce all apply to the address, whichever
/// account or user id it came from. The id is a hash of the normalized address so links and table keys carry no
/// personal data and no character the Table service refuses.
/// </summary>
public static class LifecycleContactId
{
    public static string For(string email)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(email)));
        return "c" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    /// <summary>A plausible address: one @ with something on both sides, no spaces or line breaks.</summary>
    public static bool LooksLikeEmail(string? email) =>
        !string.IsNullOrWhiteSpace(email)
        && email.Trim() is var e
        && e.IndexOf('@', StringComparison.Ordinal) is var at and > 0
        && at == e.LastIndexOf('@')
        && at < e.Length - 1
        && e.Length <= 320
        && !e.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
}
