using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>
/// Entity-group transactions through AppTables on Azurite, beyond what <see cref="AppTableTests"/> covers (refused
/// batches, spanning partitions, over a hundred operations): a full batch, every operation kind, a repeated row.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableTransactionTests(AzuriteFixture azurite)
{
    private async Task<AppTable> NewTableAsync()
    {
        var name = AppTablesTestKit.NewTableName();
        var tables = AppTablesTestKit.Create(azurite.ConnectionString, name);
        await tables.EnsureAsync(name, CancellationToken.None);
        return tables[name];
    }

    private static TableTransactionAction Add(string pk, string rk) =>
        new(TableTransactionActionType.Add, new TableEntity(pk, rk) { ["N"] = rk });

    private static Task<List<TableEntity>> RowsAsync(AppTable table) => table.QueryAsync<TableEntity>(TableFilter.All).ToListAsync().AsTask();

    [Fact]
    public async Task Submit_100Adds_AppliesAllAndReturnsETags()
    {
        var table = await NewTableAsync();
        var actions = Enumerable.Range(0, 100).Select(i => Add("p", "r" + i)).ToList();

        var result = await table.SubmitAsync(actions);

        Assert.True(result.Succeeded);
        Assert.Null(result.FailedActionIndex);
        Assert.Equal(100, result.ETags.Count);
        Assert.All(result.ETags, e => Assert.NotEqual(default, e));
        Assert.Equal(100, (await RowsAsync(table)).Count);
    }

    [Fact]
    public async Task Submit_RepeatedRowKey_AppliesNothing()
    {
        var table = await NewTableAsync();
        var actions = new[] { Add("p", "a"), new TableTransactionAction(TableTransactionActionType.UpsertMerge, new TableEntity("p", "a")) };

        var result = await table.SubmitAsync(actions);

        Assert.False(result.Succeeded);
        Assert.Empty(await RowsAsync(table));
    }

    [Fact]
    public async Task Submit_EveryOperationKind_AppliesEach()
    {
        var table = await NewTableAsync();
        var seeded = new Dictionary<string, Azure.ETag>();
        foreach (var rk in new[] { "merge", "replace", "updmerge", "updreplace", "delete" })
        {
            seeded[rk] = (await table.AddAsync(new TableEntity("p", rk) { ["Old"] = 1 })).ETag;
        }

        var actions = new[]
        {
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "add") { ["New"] = 2 }),
            new TableTransactionAction(TableTransactionActionType.UpsertMerge, new TableEntity("p", "merge") { ["New"] = 2 }),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("p", "replace") { ["New"] = 2 }),
            new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity("p", "updmerge") { ["New"] = 2 }, seeded["updmerge"]),
            new TableTransactionAction(TableTransactionActionType.UpdateReplace, new TableEntity("p", "updreplace") { ["New"] = 2 }, seeded["updreplace"]),
            new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity("p", "delete"), seeded["delete"]),
        };

        var result = await table.SubmitAsync(actions);

        Assert.True(result.Succeeded, $"failed at {result.FailedActionIndex}: {result.FailedStatus} {result.ErrorCode}");
        Assert.Equal(2, (await table.GetAsync<TableEntity>("p", "add"))!.GetInt32("New"));
        var merged = await table.GetAsync<TableEntity>("p", "merge");
        Assert.Equal((1, 2), (merged!.GetInt32("Old"), merged.GetInt32("New")));
        Assert.False((await table.GetAsync<TableEntity>("p", "replace"))!.ContainsKey("Old"));
        Assert.Equal(1, (await table.GetAsync<TableEntity>("p", "updmerge"))!.GetInt32("Old"));
        Assert.False((await table.GetAsync<TableEntity>("p", "updreplace"))!.ContainsKey("Old"));
        Assert.Null(await table.GetAsync<TableEntity>("p", "delete"));
        Assert.NotEqual(default, result.ETags[0]);
    }
}
