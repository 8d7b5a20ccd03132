using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>
/// A Table store in memory for tests where storage is not the point: keys, ETags, 409/412 outcomes, all-or-nothing
/// batches, paged queries, and the filter shapes the health feature uses ("Field op 'value'" joined by "and").
/// <see cref="FailBatchesAfter"/> makes the n-th following batch throw, to simulate a shard dying midway.
/// </summary>
internal sealed class InMemoryTableStore : ITableStore
{
    private readonly ConcurrentDictionary<string, SortedDictionary<(string, string), TableEntity>> _tables = new();
    private readonly Lock _gate = new();
    private long _etag;

    public int? FailBatchesAfter { get; set; }

    public int BatchCount { get; private set; }

    public Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken = default)
    {
        Table(table);
        return Task.CompletedTask;
    }

    public IReadOnlyList<TableEntity> All(string table)
    {
        lock (_gate)
        {
            return [.. Table(table).Values.Select(Clone)];
        }
    }

    public Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(Table(table).TryGetValue((partitionKey, rowKey), out var e) ? Clone(e) : null);
        }
    }

    public async IAsyncEnumerable<TableEntity> QueryAsync(string table, string? filter = null, IReadOnlyList<string>? columns = null, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        TableContinuation? continuation = null;
        do
        {
            var page = await QueryPageAsync(table, filter, columns, pageSize, continuation, cancellationToken);
            foreach (var e in page.Entities)
            {
                yield return e;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    public Task<TablePage> QueryPageAsync(string table, string? filter, IReadOnlyList<string>? columns, int? pageSize, TableContinuation? continuation, CancellationToken cancellationToken = default)
    {
        var size = pageSize ?? 1000;
        lock (_gate)
        {
            var matches = Table(table).Values
                .Where(e => continuation is null || string.CompareOrdinal(e.PartitionKey, continuation.NextPartitionKey) > 0
                    || (e.PartitionKey == continuation.NextPartitionKey && string.CompareOrdinal(e.RowKey, continuation.NextRowKey) >= 0))
                .Where(e => Matches(e, filter))
                .Take(size + 1)
                .ToList();
            var next = matches.Count > size ? new TableContinuation(matches[size].PartitionKey, matches[size].RowKey) : null;
            return Task.FromResult(new TablePage([.. matches.Take(size).Select(Clone)], next));
        }
    }

    public Task<TableWriteResult> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var t = Table(table);
            if (t.ContainsKey((entity.PartitionKey, entity.RowKey)))
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.AlreadyExists, null));
            }

            return Task.FromResult(new TableWriteResult(TableWriteStatus.Success, Put(t, entity, merge: false)));
        }
    }

    public Task<TableWriteResult> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(new TableWriteResult(TableWriteStatus.Success, Put(Table(table), entity, mode == TableUpdateMode.Merge)));
        }
    }

    public Task<TableWriteResult> UpdateAsync(string table, TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var t = Table(table);
            if (!t.TryGetValue((entity.PartitionKey, entity.RowKey), out var existing))
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.NotFound, null));
            }

            if (ifMatch != "*" && ifMatch != existing.ETag)
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.PreconditionFailed, null));
            }

            return Task.FromResult(new TableWriteResult(TableWriteStatus.Success, Put(t, entity, mode == TableUpdateMode.Merge)));
        }
    }

    public Task<TableWriteResult> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var t = Table(table);
            if (!t.TryGetValue((partitionKey, rowKey), out var existing))
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.NotFound, null));
            }

            if (ifMatch != "*" && ifMatch != existing.ETag)
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.PreconditionFailed, null));
            }

            t.Remove((partitionKey, rowKey));
            return Task.FromResult(new TableWriteResult(TableWriteStatus.Success, null));
        }
    }

    public Task<TableTransactionResult> SubmitTransactionAsync(string table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (FailBatchesAfter is { } remaining)
            {
                if (remaining <= 0)
                {
                    throw new TableStorageUnavailableException("Simulated outage.");
                }

                FailBatchesAfter = remaining - 1;
            }

            if (actions.Count is 0 or > 100 || actions.Select(a => a.Entity.PartitionKey).Distinct().Count() != 1)
            {
                throw new TableRequestFailedException(400, "InvalidInput", "A batch holds 1-100 operations on one partition.");
            }

            BatchCount++;
            var t = Table(table);
            foreach (var a in actions)
            {
                var exists = t.ContainsKey((a.Entity.PartitionKey, a.Entity.RowKey));
                if ((a.ActionType == TableTransactionActionType.Add && exists) || (a.ActionType is TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpdateReplace or TableTransactionActionType.Delete && !exists))
                {
                    return Task.FromResult(new TableTransactionResult(false, 0, exists ? 409 : 404, exists ? "EntityAlreadyExists" : "ResourceNotFound", []));
                }
            }

            var etags = new List<string?>();
            foreach (var a in actions)
            {
                if (a.ActionType == TableTransactionActionType.Delete)
                {
                    t.Remove((a.Entity.PartitionKey, a.Entity.RowKey));
                    etags.Add(null);
                }
                else
                {
                    etags.Add(Put(t, a.Entity, a.ActionType is TableTransactionActionType.UpsertMerge or TableTransactionActionType.UpdateMerge));
                }
            }

            return Task.FromResult(new TableTransactionResult(true, null, null, null, etags));
        }
    }

    private static bool Matches(TableEntity e, string? filter)
    {
        if (string.IsNullOrEmpty(filter))
        {
            return true;
        }

        foreach (var clause in filter.Split(" and "))
        {
            var parts = clause.Trim().Split(' ', 3);
            var value = parts[2].Trim('\'').Replace("''", "'", StringComparison.Ordinal);
            var actual = parts[0] switch
            {
                "PartitionKey" => e.PartitionKey,
                "RowKey" => e.RowKey,
                _ => e[parts[0]]?.ToString(),
            };
            var c = string.CompareOrdinal(actual, value);
            var ok = parts[1] switch
            {
                "eq" => c == 0,
                "ne" => c != 0,
                "ge" => c >= 0,
                "gt" => c > 0,
                "le" => c <= 0,
                "lt" => c < 0,
                _ => throw new NotSupportedException(clause),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static TableEntity Clone(TableEntity e)
    {
        var copy = new TableEntity(e.PartitionKey, e.RowKey) { ETag = e.ETag, Timestamp = e.Timestamp };
        foreach (var (k, v) in e.Properties)
        {
            copy[k] = v;
        }

        return copy;
    }

    private SortedDictionary<(string, string), TableEntity> Table(string name) =>
        _tables.GetOrAdd(name, _ => new SortedDictionary<(string, string), TableEntity>(Comparer<(string, string)>.Create((a, b) =>
        {
            var c = string.CompareOrdinal(a.Item1, b.Item1);
            return c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2);
        })));

    private string Put(SortedDictionary<(string, string), TableEntity> t, TableEntity entity, bool merge)
    {
        var stored = merge && t.TryGetValue((entity.PartitionKey, entity.RowKey), out var existing) ? existing : new TableEntity(entity.PartitionKey, entity.RowKey);
        foreach (var (k, v) in entity.Properties)
        {
            if (v is not null || !merge)
            {
                stored[k] = v;
            }
        }

        if (!merge)
        {
            foreach (var k in stored.Properties.Keys.Where(k => !entity.Properties.ContainsKey(k)).ToList())
            {
                stored.Properties.Remove(k);
            }
        }

        stored.ETag = "W/\"" + Interlocked.Increment(ref _etag) + "\"";
        stored.Timestamp = DateTimeOffset.UnixEpoch;
        t[(entity.PartitionKey, entity.RowKey)] = stored;
        return stored.ETag;
    }
}
