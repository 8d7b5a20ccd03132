using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>
/// ITableStore in memory, for HTTP tests where storage semantics (409 on a taken key, 412 on a stale ETag)
/// matter but the REST client is not the point. Filters are ignored: callers of QueryAsync must re-check
/// rows themselves. <see cref="Unavailable"/> simulates an outage.
/// </summary>
public sealed class InMemoryTableStore : ITableStore
{
    private readonly ConcurrentDictionary<(string Table, string Pk, string Rk), TableEntity> _rows = new();
    private long _etag;

    public bool Unavailable { get; set; }

    public int Count(string table) => _rows.Keys.Count(k => k.Table == table);

    public IReadOnlyList<TableEntity> Rows(string table) => [.. _rows.Where(p => p.Key.Table == table).Select(p => p.Value)];

    public Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        return Task.CompletedTask;
    }

    public Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        return Task.FromResult(_rows.TryGetValue((table, partitionKey, rowKey), out var e) ? Clone(e) : null);
    }

    public async IAsyncEnumerable<TableEntity> QueryAsync(string table, string? filter = null, IReadOnlyList<string>? columns = null, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        await Task.Yield();
        foreach (var row in _rows.Where(p => p.Key.Table == table).OrderBy(p => p.Key.Pk, StringComparer.Ordinal).ThenBy(p => p.Key.Rk, StringComparer.Ordinal).ToList())
        {
            yield return Clone(row.Value);
        }
    }

    public Task<TablePage> QueryPageAsync(string table, string? filter, IReadOnlyList<string>? columns, int? pageSize, TableContinuation? continuation, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        var all = _rows.Where(p => p.Key.Table == table).OrderBy(p => p.Key.Pk, StringComparer.Ordinal).ThenBy(p => p.Key.Rk, StringComparer.Ordinal).Select(p => Clone(p.Value)).ToList();
        var start = continuation is null ? 0 : int.Parse(continuation.NextRowKey!, System.Globalization.CultureInfo.InvariantCulture);
        var size = pageSize ?? 1000;
        var page = all.Skip(start).Take(size).ToList();
        var next = start + size < all.Count ? new TableContinuation("x", (start + size).ToString(System.Globalization.CultureInfo.InvariantCulture)) : null;
        return Task.FromResult(new TablePage(page, next));
    }

    public Task<TableWriteResult> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        var copy = Stamp(entity);
        return Task.FromResult(_rows.TryAdd((table, entity.PartitionKey, entity.RowKey), copy)
            ? new TableWriteResult(TableWriteStatus.Success, copy.ETag)
            : new TableWriteResult(TableWriteStatus.AlreadyExists, null));
    }

    public Task<TableWriteResult> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        var key = (table, entity.PartitionKey, entity.RowKey);
        lock (_rows)
        {
            var updated = mode == TableUpdateMode.Merge && _rows.TryGetValue(key, out var existing) ? Merge(existing, entity) : Stamp(entity);
            _rows[key] = updated;
            return Task.FromResult(new TableWriteResult(TableWriteStatus.Success, updated.ETag));
        }
    }

    public Task<TableWriteResult> UpdateAsync(string table, TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        var key = (table, entity.PartitionKey, entity.RowKey);
        lock (_rows)
        {
            if (!_rows.TryGetValue(key, out var existing))
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.NotFound, null));
            }

            if (ifMatch != "*" && ifMatch != existing.ETag)
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.PreconditionFailed, null));
            }

            var updated = mode == TableUpdateMode.Merge ? Merge(existing, entity) : Stamp(entity);
            _rows[key] = updated;
            return Task.FromResult(new TableWriteResult(TableWriteStatus.Success, updated.ETag));
        }
    }

    public Task<TableWriteResult> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        lock (_rows)
        {
            if (!_rows.TryGetValue((table, partitionKey, rowKey), out var existing))
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.NotFound, null));
            }

            if (ifMatch != "*" && ifMatch != existing.ETag)
            {
                return Task.FromResult(new TableWriteResult(TableWriteStatus.PreconditionFailed, null));
            }

            _rows.TryRemove((table, partitionKey, rowKey), out _);
            return Task.FromResult(new TableWriteResult(TableWriteStatus.Success, null));
        }
    }

    public Task<TableTransactionResult> SubmitTransactionAsync(string table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        if (actions.Select(a => a.Entity.PartitionKey).Distinct().Count() > 1)
        {
            return Task.FromResult(new TableTransactionResult(false, 0, 400, "CommandsInBatchActOnDifferentPartitions", []));
        }

        lock (_rows)
        {
            for (var i = 0; i < actions.Count; i++)
            {
                var a = actions[i];
                var exists = _rows.TryGetValue((table, a.Entity.PartitionKey, a.Entity.RowKey), out var current);
                var ifMatch = a.IfMatch ?? "*";
                int? failure = a.ActionType switch
                {
                    TableTransactionActionType.Add when exists => 409,
                    TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpdateReplace or TableTransactionActionType.Delete when !exists => 404,
                    TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpdateReplace or TableTransactionActionType.Delete when ifMatch != "*" && ifMatch != current!.ETag => 412,
                    _ => null,
                };
                if (failure is { } status)
                {
                    return Task.FromResult(new TableTransactionResult(false, i, status, status == 409 ? "EntityAlreadyExists" : "UpdateConditionNotSatisfied", []));
                }
            }

            var etags = new List<string?>();
            foreach (var a in actions)
            {
                var key = (table, a.Entity.PartitionKey, a.Entity.RowKey);
                if (a.ActionType == TableTransactionActionType.Delete)
                {
                    _rows.TryRemove(key, out _);
                    etags.Add(null);
                    continue;
                }

                var merge = a.ActionType is TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpsertMerge;
                var updated = merge && _rows.TryGetValue(key, out var existing) ? Merge(existing, a.Entity) : Stamp(a.Entity);
                _rows[key] = updated;
                etags.Add(updated.ETag);
            }

            return Task.FromResult(new TableTransactionResult(true, null, null, null, etags));
        }
    }

    private void ThrowIfUnavailable()
    {
        if (Unavailable)
        {
            throw new TableStorageUnavailableException("Simulated outage.");
        }
    }

    private TableEntity Stamp(TableEntity source)
    {
        var copy = Clone(source);
        copy.ETag = "W/\"" + Interlocked.Increment(ref _etag).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"";
        copy.Timestamp = DateTimeOffset.UtcNow;
        return copy;
    }

    private TableEntity Merge(TableEntity existing, TableEntity changes)
    {
        var merged = Clone(existing);
        foreach (var (k, v) in changes.Properties)
        {
            merged[k] = v;
        }

        return Stamp(merged);
    }

    private static TableEntity Clone(TableEntity source)
    {
        var copy = new TableEntity(source.PartitionKey, source.RowKey) { ETag = source.ETag, Timestamp = source.Timestamp };
        foreach (var (k, v) in source.Properties)
        {
            copy[k] = v;
        }

        return copy;
    }
}
