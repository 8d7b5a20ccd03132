namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>
/// The app's view of Azure Table storage: the few operations the features need, with the outcomes they
/// branch on (already exists, stale ETag) as values rather than exceptions. Implemented by a small REST
/// client on Azure.Core (Azure.Data.Tables is not available to this project); the same client talks to
/// Azurite locally and to Azure with managed identity.
/// </summary>
public interface ITableStore
{
    Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken = default);

    /// <summary>Point read; null when the entity does not exist.</summary>
    Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default);

    /// <summary>Streams every entity matching an OData filter, following continuation headers page by page.</summary>
    IAsyncEnumerable<TableEntity> QueryAsync(string table, string? filter = null, IReadOnlyList<string>? columns = null, int? pageSize = null, CancellationToken cancellationToken = default);

    /// <summary>One page of a query, with the continuation to resume from (null when done). Lets a long scan checkpoint.</summary>
    Task<TablePage> QueryPageAsync(string table, string? filter, IReadOnlyList<string>? columns, int? pageSize, TableContinuation? continuation, CancellationToken cancellationToken = default);

    /// <summary>Insert; <see cref="TableWriteStatus.AlreadyExists"/> when the key is taken (409), the basis of idempotency.</summary>
    Task<TableWriteResult> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default);

    /// <summary>Insert or merge/replace, unconditionally.</summary>
    Task<TableWriteResult> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default);

    /// <summary>Update guarded by an ETag ("*" for any); <see cref="TableWriteStatus.PreconditionFailed"/> on a stale ETag (412).</summary>
    Task<TableWriteResult> UpdateAsync(string table, TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default);

    /// <summary>Delete guarded by an ETag ("*" for any); NotFound and PreconditionFailed are results, not exceptions.</summary>
    Task<TableWriteResult> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default);

    /// <summary>Entity-group transaction: up to 100 operations on one partition, all or nothing.</summary>
    Task<TableTransactionResult> SubmitTransactionAsync(string table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default);
}

public enum TableUpdateMode
{
    Merge,
    Replace,
}

public readonly record struct TableWriteResult(TableWriteStatus Status, string? ETag)
{
    public bool Succeeded => Status == TableWriteStatus.Success;
}

public enum TableTransactionActionType
{
    Add,
    UpsertMerge,
    UpsertReplace,
    UpdateMerge,
    UpdateReplace,
    Delete,
}

public sealed record TableTransactionAction(TableTransactionActionType ActionType, TableEntity Entity, string? IfMatch = null);

/// <summary>Outcome of a transaction. On failure nothing was applied; <see cref="FailedActionIndex"/> names the operation the service refused.</summary>
public sealed record TableTransactionResult(bool Succeeded, int? FailedActionIndex, int? FailedStatus, string? ErrorCode, IReadOnlyList<string?> ETags);

/// <summary>Continuation of a query: the NextPartitionKey/NextRowKey pair the service returned.</summary>
public sealed record TableContinuation(string? NextPartitionKey, string? NextRowKey);

public sealed record TablePage(IReadOnlyList<TableEntity> Entities, TableContinuation? Continuation);


/// <summary>Thrown for a request the service refused for a reason the caller did not anticipate (bad key, bad filter ...).</summary>
public sealed class TableRequestFailedException : Exception
{
    public TableRequestFailedException()
    {
    }

    public TableRequestFailedException(string message)
        : base(message)
    {
    }

    public TableRequestFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TableRequestFailedException(int status, string? errorCode, string message)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    public int Status { get; }

    public string? ErrorCode { get; }
}
