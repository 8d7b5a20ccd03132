namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Which shard an account belongs to: FNV-1a over the account id's UTF-16 code units, modulo the shard count.
/// Stable across processes and releases (unlike string.GetHashCode), so the signal source's pages for a shard
/// and the health rows stored under that shard's partition always hold the same accounts.
/// </summary>
public static class AccountShard
{
    public static int Of(string accountId, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        var hash = 2166136261u;
        foreach (var c in accountId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)shardCount);
    }
}
