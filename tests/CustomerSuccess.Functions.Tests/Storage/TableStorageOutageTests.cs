using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>Outages on an Azurite of their own, so stopping it does not disturb the shared instance.</summary>
public sealed class TableStorageOutageTests : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();

    public Task InitializeAsync() => _azurite.InitializeAsync();

    public Task DisposeAsync() => _azurite.DisposeAsync();

    [Fact]
    public async Task StorageDown_ThrowsUnavailableWithinSeconds_ThenRecoversWhenBack()
    {
        var store = TableStoreTestKit.CreateStore(_azurite.ConnectionString);
        var table = TableStoreTestKit.NewTableName();
        await store.CreateTableIfNotExistsAsync(table);

        await _azurite.StopAsync();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => store.InsertAsync(table, new TableEntity("p", "r")));
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => store.GetAsync(table, "p", "r"));
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => store.QueryAsync(table).ToListAsync().AsTask());
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => store.SubmitTransactionAsync(table, [new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "b"))]));
        clock.Stop();

        await _azurite.StartAsync();
        await store.CreateTableIfNotExistsAsync(table);
        var after = await store.InsertAsync(table, new TableEntity("p", "r"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"four failed calls took {clock.Elapsed}");
        Assert.Equal(TableWriteStatus.Success, after.Status);
    }

    [Fact]
    public async Task StorageHangs_PerTryTimeout_ThrowsUnavailable()
    {
        // A listener that accepts connections and never answers: only the network timeout can end the call.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var options = new RestTableClientOptions();
        options.Retry.NetworkTimeout = TimeSpan.FromMilliseconds(300);
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        var store = TableStoreTestKit.CreateStore($"AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:{port}/{AzuriteFixture.AccountName}", options);

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<TableStorageUnavailableException>(() => store.GetAsync("sometable", "p", "r"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.DoesNotContain(AzuriteFixture.AccountKey, ex.Message, StringComparison.Ordinal);
    }
}
