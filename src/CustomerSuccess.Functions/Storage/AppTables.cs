using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// The app's tables, by name, over one <see cref="TableServiceClient"/>. Every table a feature uses is declared at
/// registration (<see cref="TableDeclarationExtensions.AddTables"/>), created at start by <see cref="TableProvisioner"/>,
/// and created again, through the same call, whenever an operation finds it gone (404 TableNotFound: a storage account
/// reset, a fresh emulator under a running app). That is the one place tables come into being.
/// </summary>
public sealed class AppTables
{
    private readonly TableServiceClient _service;
    private readonly ILogger<AppTables> _logger;
    private readonly ConcurrentDictionary<string, AppTable> _tables = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _creating = new(StringComparer.Ordinal);

    public AppTables(TableServiceClient service, IEnumerable<DeclaredTable> declared, ILogger<AppTables> logger)
    {
        ArgumentNullException.ThrowIfNull(declared);
        _service = service;
        _logger = logger;
        Declared = [.. declared.Select(t => t.Name).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Every table the features declared, each once.</summary>
    public IReadOnlyList<string> Declared { get; }

    /// <summary>The named table. Names are validated here, so a typo fails at first use with the name in the message.</summary>
    public AppTable this[string name] => _tables.GetOrAdd(name, n =>
    {
        TableKeys.ValidateTableName(n);
        return new AppTable(n, _service.GetTableClient(n), this);
    });

    /// <summary>Creates the table if it does not exist; concurrent callers for one table share a single request.</summary>
    public async Task EnsureAsync(string name, CancellationToken cancellationToken)
    {
        var creation = _creating.GetOrAdd(name, n => new Lazy<Task>(() => CreateAsync(n)));
        try
        {
            await creation.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            // The next caller that finds the table gone asks again; a failed attempt is not remembered either.
            _creating.TryRemove(new KeyValuePair<string, Lazy<Task>>(name, creation));
        }
    }

    private async Task CreateAsync(string name)
    {
        try
        {
            var created = await _service.CreateTableIfNotExistsAsync(name);
            if (created.GetRawResponse().Status is 201 or 204)
            {
                TableStorageLog.TableCreated(_logger, name);
            }
        }
        catch (Exception ex) when (StorageFailures.IsUnavailable(ex, CancellationToken.None))
        {
            throw StorageFailures.Unavailable(ex, "create table " + name);
        }
    }
}

/// <summary>
/// One table, with the outcomes features branch on returned as values: 409 on insert (already there: the basis of
/// idempotency), 412 on a stale ETag, 404 on update or delete. Anything else the service refuses is a
/// <see cref="RequestFailedException"/> (a bug: a bad key or filter); anything that says the service is unreachable or
/// overloaded is a <see cref="TableStorageUnavailableException"/>, which callers answer with 503.
/// </summary>
public sealed class AppTable
{
    /// <summary>The Table service's limit on operations in one entity-group transaction.</summary>
    public const int MaxTransactionActions = 100;

    private readonly TableClient _client;
    private readonly AppTables _tables;

    internal AppTable(string name, TableClient client, AppTables tables)
    {
        Name = name;
        _client = client;
        _tables = tables;
    }

    public string Name { get; }

    /// <summary>Point read; null when the entity does not exist.</summary>
    public Task<T?> GetAsync<T>(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
        where T : class, ITableEntity, new() =>
        RunAsync(async ct =>
        {
            var response = await _client.GetEntityIfExistsAsync<T>(partitionKey, rowKey, select, ct);
            return response.HasValue ? response.Value : null;
        }, "get", cancellationToken);

    /// <summary>Insert; <see cref="TableWriteStatus.AlreadyExists"/> when the key is taken.</summary>
    public Task<TableWriteOutcome> AddAsync<T>(T entity, CancellationToken cancellationToken = default)
        where T : ITableEntity =>
        RunAsync(async ct =>
        {
            try
            {
                var response = await _client.AddEntityAsync(entity, ct);
                return TableWriteOutcome.Written(response.Headers.ETag ?? default);
            }
            catch (RequestFailedException ex) when (ex.Status == 409 && ex.ErrorCode != TableErrorCode.TableNotFound.ToString())
            {
                return new TableWriteOutcome(TableWriteStatus.AlreadyExists, default);
            }
        }, "insert", cancellationToken);

    /// <summary>Insert or merge/replace, unconditionally.</summary>
    public Task<TableWriteOutcome> UpsertAsync<T>(T entity, Azure.Data.Tables.TableUpdateMode mode = Azure.Data.Tables.TableUpdateMode.Merge, CancellationToken cancellationToken = default)
        where T : ITableEntity =>
        RunAsync(async ct =>
        {
            var response = await _client.UpsertEntityAsync(entity, mode, ct);
            return TableWriteOutcome.Written(response.Headers.ETag ?? default);
        }, "upsert", cancellationToken);

    /// <summary>Update guarded by <paramref name="ifMatch"/> (<see cref="ETag.All"/> for any version).</summary>
    public Task<TableWriteOutcome> UpdateAsync<T>(T entity, ETag ifMatch, Azure.Data.Tables.TableUpdateMode mode = Azure.Data.Tables.TableUpdateMode.Replace, CancellationToken cancellationToken = default)
        where T : ITableEntity =>
        RunAsync(async ct =>
        {
            try
            {
                var response = await _client.UpdateEntityAsync(entity, ifMatch, mode, ct);
                return TableWriteOutcome.Written(response.Headers.ETag ?? default);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                return new TableWriteOutcome(TableWriteStatus.PreconditionFailed, default);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode != TableErrorCode.TableNotFound.ToString())
            {
                return new TableWriteOutcome(TableWriteStatus.NotFound, default);
            }
        }, "update", cancellationToken);

    /// <summary>Delete guarded by <paramref name="ifMatch"/> (default: any version); a missing entity is <see cref="TableWriteStatus.NotFound"/>.</summary>
    public Task<TableWriteOutcome> DeleteAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
        RunAsync(async ct =>
        {
            try
            {
                var response = await _client.DeleteEntityAsync(partitionKey, rowKey, ifMatch == default ? ETag.All : ifMatch, ct);
                return response.Status == 404
                    ? new TableWriteOutcome(TableWriteStatus.NotFound, default)
                    : TableWriteOutcome.Written(default);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                return new TableWriteOutcome(TableWriteStatus.PreconditionFailed, default);
            }
        }, "delete", cancellationToken);

    /// <summary>Streams every entity matching <paramref name="filter"/> (from <see cref="TableFilter"/>), page by page.</summary>
    public async IAsyncEnumerable<T> QueryAsync<T>(TableFilter filter, IEnumerable<string>? select = null, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, ITableEntity, new()
    {
        string? continuation = null;
        do
        {
            var page = await QueryPageAsync<T>(filter, continuation, pageSize ?? 1000, select, cancellationToken);
            foreach (var entity in page.Entities)
            {
                yield return entity;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>
    /// One page of a query and the continuation to resume from (null when done): a long scan can checkpoint between
    /// pages. A page may hold fewer entities than asked, or none, and still have a continuation.
    /// </summary>
    public Task<TablePage<T>> QueryPageAsync<T>(TableFilter filter, string? continuation, int pageSize, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
        where T : class, ITableEntity, new()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 1000);
        return RunAsync(async ct =>
        {
            var pages = _client.QueryAsync<T>(filter.Text, pageSize, select, ct).AsPages(continuation, pageSize);
            await using var enumerator = pages.GetAsyncEnumerator(ct);
            if (!await enumerator.MoveNextAsync())
            {
                return new TablePage<T>([], null);
            }

            var page = enumerator.Current;
            return new TablePage<T>(page.Values, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }, "query", cancellationToken);
    }

    /// <summary>
    /// Entity-group transaction: up to 100 operations on one partition, all or nothing. The partition and count are
    /// checked here, because Azurite accepts a batch spanning partitions that Azure refuses.
    /// </summary>
    public Task<TableTransactionOutcome> SubmitAsync(IReadOnlyList<Azure.Data.Tables.TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count == 0)
        {
            return Task.FromResult(new TableTransactionOutcome(true, null, null, null, []));
        }

        if (actions.Count > MaxTransactionActions)
        {
            throw new ArgumentException($"A transaction holds at most {MaxTransactionActions} operations; this one has {actions.Count}.", nameof(actions));
        }

        var partition = actions[0].Entity.PartitionKey;
        if (actions.Any(a => !string.Equals(a.Entity.PartitionKey, partition, StringComparison.Ordinal)))
        {
            throw new ArgumentException("Every operation of a transaction must address the same partition.", nameof(actions));
        }

        return RunAsync(async ct =>
        {
            try
            {
                var response = await _client.SubmitTransactionAsync(actions, ct);
                // One sub-response per operation, in the order submitted.
                var etags = new ETag[actions.Count];
                for (var i = 0; i < actions.Count && i < response.Value.Count; i++)
                {
                    etags[i] = response.Value[i].Headers.ETag ?? default;
                }

                return new TableTransactionOutcome(true, null, null, null, etags);
            }
            catch (TableTransactionFailedException ex) when (ex.ErrorCode != TableErrorCode.TableNotFound.ToString() && !StorageFailures.IsUnavailable(ex, ct))
            {
                return new TableTransactionOutcome(false, ex.FailedTransactionActionIndex, ex.Status, ex.ErrorCode, []);
            }
        }, "transaction", cancellationToken);
    }

    /// <summary>
    /// Runs one operation: a missing table is created and the operation tried once more; an outage becomes
    /// <see cref="TableStorageUnavailableException"/>.
    /// </summary>
    private async Task<TResult> RunAsync<TResult>(Func<CancellationToken, Task<TResult>> operation, string what, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return await operation(cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.ErrorCode == TableErrorCode.TableNotFound.ToString())
            {
                await _tables.EnsureAsync(Name, cancellationToken);
                return await operation(cancellationToken);
            }
        }
        catch (Exception ex) when (StorageFailures.IsUnavailable(ex, cancellationToken))
        {
            throw StorageFailures.Unavailable(ex, what + " on " + Name);
        }
    }
}

public enum TableWriteStatus
{
    Success,
    AlreadyExists,
    PreconditionFailed,
    NotFound,
}

/// <summary>What a write did, and the entity's new ETag when it succeeded.</summary>
public readonly record struct TableWriteOutcome(TableWriteStatus Status, ETag ETag)
{
    public bool Succeeded => Status == TableWriteStatus.Success;

    public static TableWriteOutcome Written(ETag etag) => new(TableWriteStatus.Success, etag);
}

/// <summary>Outcome of a transaction. On failure nothing was applied; <see cref="FailedActionIndex"/> names the operation the service refused.</summary>
public sealed record TableTransactionOutcome(bool Succeeded, int? FailedActionIndex, int? FailedStatus, string? ErrorCode, IReadOnlyList<ETag> ETags);

/// <summary>One page of a query; <see cref="Continuation"/> is opaque and null on the last page.</summary>
public sealed record TablePage<T>(IReadOnlyList<T> Entities, string? Continuation);
