using System.Collections.Concurrent;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>Forwards to another store and counts point reads per table and row-key prefix (up to the first '|').</summary>
internal sealed class CountingTableStore(ITableStore inner) : ITableStore
{
    private readonly ConcurrentDictionary<(string Table, string Prefix), int> _gets = new();

    public int Gets(string table, string rowKeyPrefix = "") =>
        _gets.Where(g => g.Key.Table == table && g.Key.Prefix.StartsWith(rowKeyPrefix, StringComparison.Ordinal)).Sum(g => g.Value);

    public void Reset() => _gets.Clear();

    public Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default)
    {
        var bar = rowKey.IndexOf('|', StringComparison.Ordinal);
        _gets.AddOrUpdate((table, bar < 0 ? rowKey : rowKey[..(bar + 1)]), 1, (_, n) => n + 1);
        return inner.GetAsync(table, partitionKey, rowKey, columns, cancellationToken);
    }

    public Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken = default) => inner.CreateTableIfNotExistsAsync(table, cancellationToken);

    public IAsyncEnumerable<TableEntity> QueryAsync(string table, string? filter = null, IReadOnlyList<string>? columns = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        inner.QueryAsync(table, filter, columns, pageSize, cancellationToken);

    public Task<TablePage> QueryPageAsync(string table, string? filter, IReadOnlyList<string>? columns, int? pageSize, TableContinuation? continuation, CancellationToken cancellationToken = default) =>
        inner.QueryPageAsync(table, filter, columns, pageSize, continuation, cancellationToken);

    public Task<TableWriteResult> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) => inner.InsertAsync(table, entity, cancellationToken);

    public Task<TableWriteResult> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        inner.UpsertAsync(table, entity, mode, cancellationToken);

    public Task<TableWriteResult> UpdateAsync(string table, TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) =>
        inner.UpdateAsync(table, entity, ifMatch, mode, cancellationToken);

    public Task<TableWriteResult> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(table, partitionKey, rowKey, ifMatch, cancellationToken);

    public Task<TableTransactionResult> SubmitTransactionAsync(string table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default) =>
        inner.SubmitTransactionAsync(table, actions, cancellationToken);
}
