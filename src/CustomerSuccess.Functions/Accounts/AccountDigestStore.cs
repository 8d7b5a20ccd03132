using System.Collections.Concurrent;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// AccountDigests (PK = the account's bucket, RK = account id): one <see cref="AccountDigest"/> per linked account.
/// The signal writer folds in the rows it has just committed to the account's partition; concurrent writers merge
/// on a fresh read under the digest's ETag, and the rows' Rev keeps the newest copy whatever the order.
/// The digest this store last wrote for an account is kept with its ETag, so the account's next event merges onto
/// it without a read; if another writer stored one since, the ETag check fails and the merge reads afresh. Merges
/// for one account in this process take turns (striped locks), so they do not race each other for the ETag; only
/// other instances' writes can make a merge retry.
/// </summary>
internal sealed class AccountDigestStore(ITableStore store, int maxPayloadBytes = AccountDigest.DefaultMaxPayloadBytes)
{
    public const string Table = "AccountDigests";
    private const int MaxAttempts = 10;
    private const long MaxKeptBytes = 32L * 1024 * 1024;

    private const int Stripes = 64;

    private readonly ConcurrentDictionary<string, TableEntity> _lastWritten = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim[] _turns = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];
    private long _keptBytes;

    /// <summary>Starts an account's digest when it is first linked, so an account with no events yet is scored too.</summary>
    public async Task StartAsync(string accountId, DateTimeOffset observedSince, CancellationToken cancellationToken)
    {
        var digest = new AccountDigest(accountId) { ObservedSince = observedSince };
        await store.InsertAsync(Table, digest.ToEntity(maxPayloadBytes), cancellationToken);
    }

    /// <summary>Folds copies of rows of the account's partition into its digest (creating it when missing).</summary>
    public async Task MergeAsync(string accountId, IReadOnlyCollection<TableEntity> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var turn = _turns[AccountShard.BucketOf(accountId) % Stripes];
        await turn.WaitAsync(cancellationToken);
        try
        {
            await MergeInTurnAsync(accountId, rows, cancellationToken);
        }
        finally
        {
            turn.Release();
        }
    }

    private async Task MergeInTurnAsync(string accountId, IReadOnlyCollection<TableEntity> rows, CancellationToken cancellationToken)
    {
        var partition = AccountDigest.Partition(accountId);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = _lastWritten.TryGetValue(accountId, out var kept)
                ? kept
                : await store.GetAsync(Table, partition, accountId, cancellationToken: cancellationToken);
            AccountDigest digest;
            if (current is null)
            {
                // Linked before digests existed, or the link's digest write did not happen: the directory says since when.
                var directory = await store.GetAsync(AccountIdentity.DirectoryTable, AccountIdentity.DirectoryPartition, accountId, ["ObservedSince"], cancellationToken);
                digest = new AccountDigest(accountId) { ObservedSince = directory?.GetDateTimeOffset("ObservedSince") };
            }
            else
            {
                digest = AccountDigest.FromEntity(current);
            }

            var changed = current is null;
            foreach (var row in rows)
            {
                changed |= digest.Merge(row);
            }

            if (!changed)
            {
                return;
            }

            var entity = digest.ToEntity(maxPayloadBytes);
            var written = current is null
                ? await store.InsertAsync(Table, entity, cancellationToken)
                : await store.UpdateAsync(Table, entity, current.ETag ?? "*", TableUpdateMode.Replace, cancellationToken);
            if (written.Succeeded)
            {
                entity.ETag = written.ETag;
                Keep(entity);
                return;
            }

            // Another writer stored the digest since our read: merge again on top of theirs (read afresh), after a
            // random wait that doubles each time so writers of one busy account spread out.
            Forget(accountId);
            await Task.Delay(Random.Shared.Next(1, 10 << Math.Min(attempt, 7)), cancellationToken);
        }

        throw new TableStorageUnavailableException("An account digest stayed contended; the sweeper retries.");
    }

    private void Keep(TableEntity entity)
    {
        if (entity.ETag is null)
        {
            return;
        }

        Forget(entity.RowKey);
        var bytes = Size(entity);
        if (Interlocked.Add(ref _keptBytes, bytes) > MaxKeptBytes)
        {
            // Past the bound the memory starts over (the next merge of each account reads its digest once).
            _lastWritten.Clear();
            Interlocked.Exchange(ref _keptBytes, bytes);
        }

        _lastWritten[entity.RowKey] = entity;
    }

    private void Forget(string accountId)
    {
        if (_lastWritten.TryRemove(accountId, out var old))
        {
            Interlocked.Add(ref _keptBytes, -Size(old));
        }
    }

    private static long Size(TableEntity entity)
    {
        long bytes = 256;
        foreach (var value in entity.Properties.Values)
        {
            if (value is byte[] binary)
            {
                bytes += binary.Length;
            }
        }

        return bytes;
    }

    /// <summary>
    /// Copies the named rows from the account's partition into its digest again: for an event found already applied,
    /// whose first application may have stopped between the partition write and the digest merge.
    /// </summary>
    public async Task RefreshAsync(string accountId, IEnumerable<string> rowKeys, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        foreach (var key in rowKeys.Distinct(StringComparer.Ordinal))
        {
            if (await store.GetAsync(AccountSignalWriter.Table, accountId, key, cancellationToken: cancellationToken) is { } row)
            {
                rows.Add(row);
            }
        }

        await MergeAsync(accountId, rows, cancellationToken);
    }
}
