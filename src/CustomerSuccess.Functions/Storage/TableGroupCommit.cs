using System.Collections.Concurrent;
using Azure.Data.Tables;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// Inserts of independent entities into one table, committed together when they arrive together (group commit). An
/// insert into a partition with no request in flight goes at once, alone. Inserts into that partition that arrive
/// while a request is in flight wait for it, and then go together in one entity-group transaction (up to 100, and up
/// to <see cref="MaxBatchBytes"/> on the wire). Each caller still learns its own outcome: written, or
/// <see cref="TableWriteStatus.AlreadyExists"/> (a transaction refused for one taken key is sent again without it,
/// see <see cref="TableBatches"/>). Two inserts with the same key never share a transaction (the service refuses a
/// transaction that names a row twice); the second goes in the next one and finds the first's row.
/// </summary>
/// <remarks>
/// Under concurrent load this turns N inserts into about N / (arrivals per round trip) requests, which is what the
/// storage service (and Azurite, one process) charges for. Nothing waits on a timer: a lone insert costs one round trip,
/// as before. An outage fails every insert of the transaction with <see cref="TableStorageUnavailableException"/>;
/// any other refusal of a whole transaction sends its inserts again one by one, so one bad entity fails only itself.
/// </remarks>
public sealed class TableGroupCommit<T>
    where T : class, ITableEntity
{
    /// <summary>Below the service's 4 MiB limit on a transaction's payload, with room for the envelope.</summary>
    public const int DefaultMaxBatchBytes = 2 * 1024 * 1024;

    private readonly AppTable _table;
    private readonly Func<T, int> _wireBytes;
    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private long _requests;
    private long _inserts;

    /// <param name="table">The table inserted into.</param>
    /// <param name="wireBytes">An upper estimate of an entity's size on the wire, for the payload limit.</param>
    /// <param name="maxBatchBytes">The payload limit of one transaction.</param>
    public TableGroupCommit(AppTable table, Func<T, int> wireBytes, int maxBatchBytes = DefaultMaxBatchBytes)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(wireBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchBytes);
        _table = table;
        _wireBytes = wireBytes;
        MaxBatchBytes = maxBatchBytes;
    }

    public int MaxBatchBytes { get; }

    /// <summary>Inserts and transactions sent (one each, however many entities a transaction held): the round trips.</summary>
    public long RequestsSent => Interlocked.Read(ref _requests);

    /// <summary>Entities handed to <see cref="InsertAsync"/>.</summary>
    public long InsertsRequested => Interlocked.Read(ref _inserts);

    /// <summary>
    /// Inserts <paramref name="entity"/>; <see cref="TableWriteStatus.AlreadyExists"/> when its key is taken. Not
    /// cancellable: once handed over, the insert is sent whether or not the caller still waits (the caller of an
    /// acknowledgement must not tell a provider "failed" for an event that was stored).
    /// </summary>
    public Task<TableWriteStatus> InsertAsync(T entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        Interlocked.Increment(ref _inserts);
        var waiting = new Waiting(entity, _wireBytes(entity));
        while (true)
        {
            var partition = _partitions.GetOrAdd(entity.PartitionKey, _ => new Partition());
            bool lead;
            lock (partition)
            {
                if (partition.Retired)
                {
                    // Its leader left and removed it between our lookup and the lock: take a fresh one.
                    continue;
                }

                partition.Queue.Add(waiting);
                lead = !partition.Busy;
                partition.Busy = true;
            }

            if (lead)
            {
                _ = LeadAsync(entity.PartitionKey, partition);
            }

            return waiting.Outcome.Task;
        }
    }

    /// <summary>Sends what waits on the partition, a transaction at a time, until nothing waits; then retires it.</summary>
    private async Task LeadAsync(string partitionKey, Partition partition)
    {
        while (true)
        {
            List<Waiting> batch;
            lock (partition)
            {
                batch = Take(partition.Queue);
                if (batch.Count == 0)
                {
                    partition.Busy = false;
                    partition.Retired = true;
                    _partitions.TryRemove(new KeyValuePair<string, Partition>(partitionKey, partition));
                    return;
                }
            }

            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>The next transaction: oldest first, each key once, within the count and payload limits (at least one).</summary>
    private List<Waiting> Take(List<Waiting> queue)
    {
        var batch = new List<Waiting>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var bytes = 0;
        for (var i = 0; i < queue.Count && batch.Count < AppTable.MaxTransactionActions; i++)
        {
            var w = queue[i];
            if (keys.Contains(w.Entity.RowKey) || (batch.Count > 0 && bytes + w.WireBytes > MaxBatchBytes))
            {
                continue;
            }

            keys.Add(w.Entity.RowKey);
            bytes += w.WireBytes;
            batch.Add(w);
        }

        foreach (var w in batch)
        {
            queue.Remove(w);
        }

        return batch;
    }

    private async Task CommitAsync(List<Waiting> batch)
    {
        try
        {
            if (batch.Count == 1)
            {
                Interlocked.Increment(ref _requests);
                batch[0].Outcome.TrySetResult((await _table.AddAsync(batch[0].Entity).ConfigureAwait(false)).Status);
                return;
            }

            Interlocked.Increment(ref _requests);
            var outcomes = await _table.SubmitEachAsync([.. batch.Select(w => new TableTransactionAction(TableTransactionActionType.Add, w.Entity))]).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Outcome.TrySetResult(outcomes[i]);
            }
        }
        catch (TableStorageUnavailableException ex)
        {
            batch.ForEach(w => w.Outcome.TrySetException(ex));
        }
        catch (Exception) when (batch.Count > 1)
        {
            // Refused as a whole for a reason that names no operation: each alone, so only the bad one fails.
            foreach (var w in batch.Where(w => !w.Outcome.Task.IsCompleted))
            {
                try
                {
                    Interlocked.Increment(ref _requests);
                    w.Outcome.TrySetResult((await _table.AddAsync(w.Entity).ConfigureAwait(false)).Status);
                }
                catch (Exception one)
                {
                    w.Outcome.TrySetException(one);
                }
            }
        }
        catch (Exception ex)
        {
            batch[0].Outcome.TrySetException(ex);
        }
    }

    private sealed class Partition
    {
        public List<Waiting> Queue { get; } = [];

        /// <summary>A leader is sending for this partition; arrivals wait for it.</summary>
        public bool Busy { get; set; }

        /// <summary>Its leader found nothing left and removed it from the map; it takes no more arrivals.</summary>
        public bool Retired { get; set; }
    }

    private sealed class Waiting(T entity, int wireBytes)
    {
        public T Entity { get; } = entity;

        public int WireBytes { get; } = wireBytes;

        public TaskCompletionSource<TableWriteStatus> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
