using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// A fixed bucket for a key, for spreading rows over a bounded number of partitions. SHA-256 over the value's UTF-16
/// code units: the same on every process and release (unlike string.GetHashCode), defined for any string a provider
/// may send (lone surrogates included), and evenly spread whatever the ids look like.
/// </summary>
internal static class StableBucket
{
    /// <summary>The bucket of <paramref name="value"/> in [0, <paramref name="buckets"/>), for up to 65,536 buckets.</summary>
    public static int Of(string value, int buckets)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(buckets, 65_536);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(MemoryMarshal.AsBytes(value.AsSpan()), hash);
        return ((hash[0] << 8) | hash[1]) % buckets;
    }
}
