using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// AccountDigests (PK = the account's bucket, RK = account id): one <see cref="AccountDigest"/> per linked account.
/// The signal writer folds in the rows it has just committed to the account's partition; concurrent writers merge
/// on a fresh read under the digest's ETag, and the rows' Rev keeps the newest copy whatever the order.
/// </summary>
internal sealed class AccountDigestStore(ITableStore store, int maxPayloadBytes = AccountDigest.DefaultMaxPayloadBytes)
{
    public const string Table = "AccountDigests";
    private const int MaxAttempts = 10;

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

        var partition = AccountDigest.Partition(accountId);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.GetAsync(Table, partition, accountId, cancellationToken: cancellationToken);
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
                return;
            }

            // Another writer stored the digest since our read: merge again on top of theirs, after a random wait that
            // doubles each time so writers of one busy account spread out.
            await Task.Delay(Random.Shared.Next(1, 10 << Math.Min(attempt, 7)), cancellationToken);
        }

        throw new TableStorageUnavailableException("An account digest stayed contended; the sweeper retries.");
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
