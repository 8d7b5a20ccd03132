using System.Globalization;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Where an account lives. FNV-1a over the account id's UTF-16 code units, modulo <see cref="Buckets"/>, gives the
/// account a fixed bucket: stable across processes and releases (unlike string.GetHashCode) and independent of
/// configuration, so ingestion can store an account's digest under its bucket without knowing the shard count.
/// A recompute shard is a contiguous range of buckets (shard s of n holds buckets b with b·n/1024 = s), so a
/// shard reads its accounts with one range query, in (bucket, account id) order, and the health rows stored
/// under that shard's partition always hold the same accounts.
/// </summary>
public static class AccountShard
{
    /// <summary>The number of buckets; also the largest shard count.</summary>
    public const int Buckets = 1024;

    public static int BucketOf(string accountId)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        var hash = 2166136261u;
        foreach (var c in accountId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Buckets);
    }

    public static int Of(string accountId, int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardCount, Buckets);
        return BucketOf(accountId) * shardCount / Buckets;
    }

    /// <summary>The buckets of one shard: [First, End).</summary>
    public static (int First, int End) BucketRange(int shard, int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardCount, Buckets);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shardCount);
        return (FirstBucket(shard, shardCount), FirstBucket(shard + 1, shardCount));
    }

    /// <summary>The bucket as a fixed-width key part, so keys sort in bucket order.</summary>
    public static string BucketKey(int bucket) => bucket.ToString("D4", CultureInfo.InvariantCulture);

    // The smallest b with b·n/1024 ≥ s, i.e. ceil(s·1024/n).
    private static int FirstBucket(int shard, int shardCount) => ((shard * Buckets) + shardCount - 1) / shardCount;
}
