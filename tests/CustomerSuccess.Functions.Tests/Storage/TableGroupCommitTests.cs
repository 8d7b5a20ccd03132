using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>
/// Group commit on Azurite. A gate in the client's pipeline holds requests, so the tests decide which inserts arrive
/// while another is in flight instead of hoping a race goes one way.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableGroupCommitTests(AzuriteFixture azurite)
{
    private readonly GatePolicy _gate = new();
    private readonly TableTrafficPolicy _traffic = new();

    private async Task<AppTable> NewTableAsync()
    {
        var name = AppTablesTestKit.NewTableName();
        var options = new TableClientOptions();
        options.AddPolicy(_gate, HttpPipelinePosition.PerCall);
        options.AddPolicy(_traffic, HttpPipelinePosition.PerCall);
        var tables = new AppTables(AppTablesTestKit.ServiceClient(azurite.ConnectionString, options), [new DeclaredTable(name)], NullLogger<AppTables>.Instance);
        await tables.EnsureAsync(name, CancellationToken.None);
        _traffic.Reset();
        return tables[name];
    }

    private static TableEntity Row(string pk, string rk) => new(pk, rk) { ["N"] = rk };

    private static Task<List<TableEntity>> RowsAsync(AppTable table) => table.QueryAsync<TableEntity>(TableFilter.All).ToListAsync().AsTask();

    [Fact]
    public async Task LoneInsert_GoesAtOnce_AsOnePlainInsert()
    {
        var table = await NewTableAsync();
        var commit = new TableGroupCommit<TableEntity>(table, _ => 100);

        Assert.Equal(TableWriteStatus.Success, await commit.InsertAsync(Row("p", "a")));

        Assert.Equal((1, 0), (_traffic.Requests(kind: "insert"), _traffic.Requests(kind: "batch")));
        Assert.Equal(1, commit.RequestsSent);
        Assert.Single(await RowsAsync(table));
    }

    [Fact]
    public async Task InsertsArrivingDuringAFlight_ShareOneTransaction()
    {
        var table = await NewTableAsync();
        var commit = new TableGroupCommit<TableEntity>(table, _ => 100);
        _gate.Close();
        var first = commit.InsertAsync(Row("p", "r00"));
        await _gate.HeldAsync(1);
        var rest = Enumerable.Range(1, 30).Select(i => commit.InsertAsync(Row("p", $"r{i:00}"))).ToList();

        _gate.Open();

        Assert.Equal(TableWriteStatus.Success, await first);
        Assert.All(await Task.WhenAll(rest), s => Assert.Equal(TableWriteStatus.Success, s));
        Assert.Equal((1, 1), (_traffic.Requests(kind: "insert"), _traffic.Requests(kind: "batch")));
        Assert.Equal((2L, 31L), (commit.RequestsSent, commit.InsertsRequested));
        Assert.Equal(31, (await RowsAsync(table)).Count);
    }

    [Fact]
    public async Task MoreThanATransactionHolds_GoInTransactionsOfAHundred()
    {
        var table = await NewTableAsync();
        var commit = new TableGroupCommit<TableEntity>(table, _ => 100);
        _gate.Close();
        var first = commit.InsertAsync(Row("p", "first"));
        await _gate.HeldAsync(1);
        var rest = Enumerable.Range(0, 150).Select(i => commit.InsertAsync(Row("p", $"r{i:000}"))).ToList();

        _gate.Open();
        await first;
        await Task.WhenAll(rest);

        Assert.Equal((1, 2), (_traffic.Requests(kind: "insert"), _traffic.Requests(kind: "batch")));
        Assert.Equal(151, (await RowsAsync(table)).Count);
    }

    [Fact]
    public async Task TheSameKeyTwice_NeverSharesATransaction_TheSecondFindsItStored()
    {
        var table = await NewTableAsync();
        var commit = new TableGroupCommit<TableEntity>(table, _ => 100);
        _gate.Close();
        var first = commit.InsertAsync(Row("p", "a"));
        await _gate.HeldAsync(1);
        var b1 = commit.InsertAsync(Row("p", "b"));
        var b2 = commit.InsertAsync(Row("p", "b"));
        var c = commit.InsertAsync(Row("p", "c"));

        _gate.Open();

        Assert.Equal(
            [TableWriteStatus.Success, TableWriteStatus.Success, TableWriteStatus.AlreadyExists, TableWriteStatus.Success],
            await Task.WhenAll(first, b1, b2, c));
        Assert.Equal(["a", "b", "c"], (await RowsAsync(table)).Select(r => r.RowKey).Order());
    }

    [Fact]
    public async Task AKeyStoredEarlier_MakesOnlyThatInsertADuplicate()
    {
        var table = await NewTableAsync();
        await table.AddAsync(Row("p", "taken"));
        var commit = new TableGroupCommit<TableEntity>(table, _ => 100);
        _gate.Close();
        var first = commit.InsertAsync(Row("p", "a"));
        await _gate.HeldAsync(1);
        var queued = new[] { "b", "taken", "c" }.Select(rk => commit.InsertAsync(Row("p", rk))).ToList();

        _gate.Open();
        await first;

        Assert.Equal([TableWriteStatus.Success, TableWriteStatus.AlreadyExists, TableWriteStatus.Success], await Task.WhenAll(queued));
        Assert.Equal(["a", "b", "c", "taken"], (await RowsAsync(table)).Select(r => r.RowKey).Order());
    }

    [Fact]
    public async Task AnOutage_FailsEveryInsertOfItsTransaction_AndThePartitionWorksAfterwards()
    {
        var table = await NewTableAsync();
        var commit = new TableGroupCommit<TableEntity>(table, _ => 100);
        _gate.Close();
        var first = commit.InsertAsync(Row("p", "a"));
        await _gate.HeldAsync(1);
        var queued = Enumerable.Range(0, 5).Select(i => commit.InsertAsync(Row("p", $"q{i}"))).ToList();
        _traffic.FailWhen = (_, kind) => kind == "batch";

        _gate.Open();

        Assert.Equal(TableWriteStatus.Success, await first);
        foreach (var q in queued)
        {
            await Assert.ThrowsAsync<TableStorageUnavailableException>(() => q);
        }

        _traffic.FailWhen = null;
        Assert.Equal(TableWriteStatus.Success, await commit.InsertAsync(Row("p", "after")));
        Assert.Equal(["a", "after"], (await RowsAsync(table)).Select(r => r.RowKey).Order());
    }

    [Fact]
    public async Task ThePayloadLimit_SplitsTransactions()
    {
        var table = await NewTableAsync();
        var commit = new TableGroupCommit<TableEntity>(table, _ => 1_000, maxBatchBytes: 2_500);
        _gate.Close();
        var first = commit.InsertAsync(Row("p", "first"));
        await _gate.HeldAsync(1);
        var rest = Enumerable.Range(0, 6).Select(i => commit.InsertAsync(Row("p", $"r{i}"))).ToList();

        _gate.Open();
        await first;
        await Task.WhenAll(rest);

        // Two of 1,000 bytes fit under 2,500; three do not.
        Assert.Equal((1, 3), (_traffic.Requests(kind: "insert"), _traffic.Requests(kind: "batch")));
        Assert.Equal(7, (await RowsAsync(table)).Count);
    }

    [Fact]
    public async Task OnePartitionInFlight_DoesNotHoldAnother()
    {
        var table = await NewTableAsync();
        var commit = new TableGroupCommit<TableEntity>(table, _ => 100);
        _gate.Close();
        var p1 = commit.InsertAsync(Row("p1", "a"));
        await _gate.HeldAsync(1);

        var p2 = commit.InsertAsync(Row("p2", "a"));

        // p2's insert reaches the wire while p1's is still held: it did not queue behind it.
        await _gate.HeldAsync(2);
        _gate.Open();
        Assert.Equal([TableWriteStatus.Success, TableWriteStatus.Success], await Task.WhenAll(p1, p2));
        Assert.Equal(2, _traffic.Requests(kind: "insert"));
    }

    /// <summary>Holds every request while closed; counts the requests it has held.</summary>
    private sealed class GatePolicy : HttpPipelinePolicy
    {
        private TaskCompletionSource _open = Opened();
        private int _held;

        public void Close() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        /// <summary>Waits until <paramref name="count"/> requests in all have been held (5 s at most).</summary>
        public async Task HeldAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            while (Volatile.Read(ref _held) < count)
            {
                await Task.Delay(5, timeout.Token);
            }
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("The app's table layer is asynchronous.");

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var open = _open.Task;
            if (!open.IsCompleted)
            {
                Interlocked.Increment(ref _held);
                await open;
            }

            await ProcessNextAsync(message, pipeline);
        }

        private static TaskCompletionSource Opened()
        {
            var opened = new TaskCompletionSource();
            opened.SetResult();
            return opened;
        }
    }
}
