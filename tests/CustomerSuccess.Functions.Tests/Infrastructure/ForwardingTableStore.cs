using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>Forwards every call to another store; test doubles override only the calls they watch or break.</summary>
internal abstract class ForwardingTableStore(ITableStore inner) : ITableStore
{
    protected ITableStore Inner { get; } = inner;

    public virtual Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken = default) => Inner.CreateTableIfNotExistsAsync(table, cancellationToken);

    public virtual Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default) =>
        Inner.GetAsync(table, partitionKey, rowKey, columns, cancellationToken);

    public virtual IAsyncEnumerable<TableEntity> QueryAsync(string table, string? filter = null, IReadOnlyList<string>? columns = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        Inner.QueryAsync(table, filter, columns, pageSize, cancellationToken);

    public virtual Task<TablePage> QueryPageAsync(string table, string? filter, IReadOnlyList<string>? columns, int? pageSize, TableContinuation? continuation, CancellationToken cancellationToken = default) =>
        Inner.QueryPageAsync(table, filter, columns, pageSize, continuation, cancellationToken);

    public virtual Task<TableWriteResult> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) => Inner.InsertAsync(table, entity, cancellationToken);

    public virtual Task<TableWriteResult> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        Inner.UpsertAsync(table, entity, mode, cancellationToken);

    public virtual Task<TableWriteResult> UpdateAsync(string table, TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) =>
        Inner.UpdateAsync(table, entity, ifMatch, mode, cancellationToken);

    public virtual Task<TableWriteResult> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default) =>
        Inner.DeleteAsync(table, partitionKey, rowKey, ifMatch, cancellationToken);

    public virtual Task<TableTransactionResult> SubmitTransactionAsync(string table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default) =>
        Inner.SubmitTransactionAsync(table, actions, cancellationToken);
}
