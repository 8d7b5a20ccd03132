using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>The app's own table layer over a real Table endpoint (Azurite in tests), as the app builds it.</summary>
internal static class AppTablesTestKit
{
    public static AppTables Create(string connectionString, params string[] declared) => Create(connectionString, null, declared);

    /// <summary>With <paramref name="policy"/> in the client's pipeline (once per call, ahead of retries): fault injection.</summary>
    public static AppTables Create(string connectionString, HttpPipelinePolicy? policy, params string[] declared)
    {
        var options = new TableClientOptions();
        if (policy is not null)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerCall);
        }

        return new(ServiceClient(connectionString, options), declared.Select(n => new DeclaredTable(n)), NullLogger<AppTables>.Instance);
    }

    public static TableServiceClient ServiceClient(string connectionString, TableClientOptions? options = null) =>
        StorageModule.CreateServiceClient(new TableStorageOptions { ConnectionString = connectionString }, options);

    /// <summary>
    /// One table through a client with the app's settings (<see cref="StorageModule.Configure"/>) as adjusted by the
    /// test, e.g. shorter retry delays or network timeout: what a test of those settings' effect needs.
    /// </summary>
    public static AppTable Table(string connectionString, string name, Action<TableClientOptions> adjust)
    {
        ArgumentNullException.ThrowIfNull(adjust);
        Assert.True(TableConnection.TryCreate(new TableStorageOptions { ConnectionString = connectionString }, out var connection, out var error), error);
        var options = StorageModule.Configure(new TableClientOptions(), connection!.Endpoint);
        adjust(options);
        var service = new TableServiceClient(connection.Endpoint, new TableSharedKeyCredential(connection.AccountName!, connection.AccountKey!), options);
        return new AppTables(service, [new DeclaredTable(name)], NullLogger<AppTables>.Instance)[name];
    }

    public static string NewTableName() => "t" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// The app's tables of one feature, emptied (deleted, then created again as the app's start-up provisioner does),
    /// for a test that needs to start from nothing: the app names its tables, and tests share one Azurite.
    /// </summary>
    public static async Task<AppTables> FreshAsync(string connectionString, HttpPipelinePolicy? policy, params string[] tables)
    {
        await DeleteTablesAsync(connectionString, tables);
        var appTables = Create(connectionString, policy, tables);
        foreach (var name in tables)
        {
            await appTables.EnsureAsync(name, CancellationToken.None);
        }

        return appTables;
    }

    /// <summary>
    /// Deletes the tables, so a test starts from nothing: the app's tables are named by the app, and tests of one
    /// feature share one Azurite. The next operation on each finds it missing and creates it, as in production.
    /// </summary>
    public static async Task DeleteTablesAsync(string connectionString, params string[] names)
    {
        var service = ServiceClient(connectionString);
        foreach (var name in names)
        {
            await service.DeleteTableAsync(name);
        }
    }
}

internal static class AppTablesTestExtensions
{
    /// <summary>Every row of a table, as the given entity type.</summary>
    public static async Task<List<T>> RowsAsync<T>(this AppTables tables, string table)
        where T : class, Azure.Data.Tables.ITableEntity, new()
    {
        var rows = new List<T>();
        await foreach (var row in tables[table].QueryAsync<T>(TableFilter.All))
        {
            rows.Add(row);
        }

        return rows;
    }
}

/// <summary>
/// Fails entity-group transactions ($batch requests) once <see cref="FailBatchesAfter"/> more have gone through, with
/// the 503 a storage outage answers: what AppTables turns into <see cref="TableStorageUnavailableException"/>.
/// </summary>
internal sealed class BatchOutagePolicy : HttpPipelineSynchronousPolicy
{
    private int _remaining = -1;

    /// <summary>Batches still allowed through; null lets everything through.</summary>
    public int? FailBatchesAfter
    {
        get => _remaining < 0 ? null : _remaining;
        set => _remaining = value ?? -1;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_remaining < 0 || !message.Request.Uri.Path.EndsWith("/$batch", StringComparison.Ordinal))
        {
            return;
        }

        if (_remaining == 0)
        {
            throw new RequestFailedException(503, "Simulated storage outage.");
        }

        _remaining--;
    }
}

/// <summary>Counts the requests the client sends, by HTTP method (retries included): how many round trips an operation costs.</summary>
internal sealed class RequestCountingPolicy : HttpPipelineSynchronousPolicy
{
    private int _reads;
    private int _writes;

    /// <summary>GET requests: point reads and query pages.</summary>
    public int Reads => Volatile.Read(ref _reads);

    public int Writes => Volatile.Read(ref _writes);

    public void Reset()
    {
        Interlocked.Exchange(ref _reads, 0);
        Interlocked.Exchange(ref _writes, 0);
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Request.Method == RequestMethod.Get)
        {
            Interlocked.Increment(ref _reads);
        }
        else
        {
            Interlocked.Increment(ref _writes);
        }
    }
}
