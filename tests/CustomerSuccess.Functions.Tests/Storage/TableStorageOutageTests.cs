using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;

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
        var name = AppTablesTestKit.NewTableName();
        var tables = AppTablesTestKit.Create(_azurite.ConnectionString, name);
        await tables.EnsureAsync(name, CancellationToken.None);
        var table = tables[name];

        await _azurite.StopAsync();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.AddAsync(new TableEntity("p", "r")));
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.GetAsync<TableEntity>("p", "r"));
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.QueryAsync<TableEntity>(TableFilter.All).ToListAsync().AsTask());
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "b"))]));
        clock.Stop();

        // Back, in memory and empty: the same client carries on, and the table is created again on first use.
        await _azurite.StartAsync();
        var after = await table.AddAsync(new TableEntity("p", "r"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"four failed calls took {clock.Elapsed}");
        Assert.Equal(TableWriteStatus.Success, after.Status);
        Assert.NotNull(await table.GetAsync<TableEntity>("p", "r"));
    }

    [Fact]
    public async Task StorageHangs_PerTryTimeout_ThrowsUnavailable()
    {
        // A listener that accepts connections and never answers: only the network timeout can end the call.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var table = AppTablesTestKit.Table(
            $"AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:{port}/{AzuriteFixture.AccountName}",
            "sometable",
            options =>
            {
                options.Retry.NetworkTimeout = TimeSpan.FromMilliseconds(300);
                options.Retry.MaxRetries = 1;
                options.Retry.Delay = TimeSpan.FromMilliseconds(10);
            });

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.GetAsync<TableEntity>("p", "r"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.DoesNotContain(AzuriteFixture.AccountKey, ex.ToString(), StringComparison.Ordinal);
    }
}
