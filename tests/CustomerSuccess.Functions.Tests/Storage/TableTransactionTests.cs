using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class TableTransactionTests(AzuriteFixture azurite)
{
    private readonly RestTableStore _store = TableStoreTestKit.CreateStore(azurite.ConnectionString);

    private async Task<string> NewTableAsync()
    {
        var table = TableStoreTestKit.NewTableName();
        await _store.CreateTableIfNotExistsAsync(table);
        return table;
    }

    private static TableTransactionAction Add(string pk, string rk) =>
        new(TableTransactionActionType.Add, new TableEntity(pk, rk) { ["N"] = rk });

    [Fact]
    public async Task Submit_100Adds_AppliesAllAndReturnsETags()
    {
        var table = await NewTableAsync();
        var actions = Enumerable.Range(0, 100).Select(i => Add("p", "r" + i)).ToList();

        var result = await _store.SubmitTransactionAsync(table, actions);

        Assert.True(result.Succeeded);
        Assert.Null(result.FailedActionIndex);
        Assert.Equal(100, result.ETags.Count);
        Assert.All(result.ETags, e => Assert.False(string.IsNullOrEmpty(e)));
        Assert.Equal(100, (await _store.QueryAsync(table).ToListAsync()).Count);
    }

    [Fact]
    public async Task Submit_101Operations_ThrowsArgumentExceptionAndStoresNothing()
    {
        var table = await NewTableAsync();
        var actions = Enumerable.Range(0, 101).Select(i => Add("p", "r" + i)).ToList();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _store.SubmitTransactionAsync(table, actions));

        Assert.Contains("100", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.QueryAsync(table).ToListAsync());
    }

    [Fact]
    public async Task Submit_TwoPartitions_ThrowsArgumentExceptionAndStoresNothing()
    {
        var table = await NewTableAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _store.SubmitTransactionAsync(table, [Add("p1", "a"), Add("p2", "b")]));

        Assert.Contains("partition", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await _store.QueryAsync(table).ToListAsync());
    }

    [Fact]
    public async Task Submit_RepeatedRowKey_ThrowsArgumentExceptionAndStoresNothing()
    {
        var table = await NewTableAsync();
        var actions = new[] { Add("p", "a"), new TableTransactionAction(TableTransactionActionType.UpsertMerge, new TableEntity("p", "a")) };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _store.SubmitTransactionAsync(table, actions));

        Assert.Contains("RowKey 'a'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.QueryAsync(table).ToListAsync());
    }

    [Fact]
    public async Task Submit_ForbiddenKey_ThrowsArgumentException()
    {
        var table = await NewTableAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => _store.SubmitTransactionAsync(table, [Add("p", "ok"), Add("p", "bad/row")]));
        Assert.Empty(await _store.QueryAsync(table).ToListAsync());
    }

    [Fact]
    public async Task Submit_OneAddConflicts_AppliesNothingAndReportsIndex()
    {
        var table = await NewTableAsync();
        await _store.InsertAsync(table, new TableEntity("p", "r3") { ["N"] = "original" });
        var actions = Enumerable.Range(0, 6).Select(i => Add("p", "r" + i)).ToList();

        var result = await _store.SubmitTransactionAsync(table, actions);

        Assert.False(result.Succeeded);
        Assert.Equal(3, result.FailedActionIndex);
        Assert.Equal(409, result.FailedStatus);
        Assert.Equal("EntityAlreadyExists", result.ErrorCode);
        var rows = await _store.QueryAsync(table).ToListAsync();
        Assert.Equal("original", Assert.Single(rows).GetString("N"));
    }

    [Fact]
    public async Task Submit_StaleETagInUpdate_AppliesNothingAndReports412()
    {
        var table = await NewTableAsync();
        var inserted = await _store.InsertAsync(table, new TableEntity("p", "x") { ["N"] = "v1" });
        await _store.UpsertAsync(table, new TableEntity("p", "x") { ["N"] = "v2" });
        var actions = new[]
        {
            Add("p", "new"),
            new TableTransactionAction(TableTransactionActionType.UpdateReplace, new TableEntity("p", "x") { ["N"] = "v3" }, inserted.ETag),
        };

        var result = await _store.SubmitTransactionAsync(table, actions);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.FailedActionIndex);
        Assert.Equal(412, result.FailedStatus);
        Assert.Null(await _store.GetAsync(table, "p", "new"));
        Assert.Equal("v2", (await _store.GetAsync(table, "p", "x"))!.GetString("N"));
    }

    [Fact]
    public async Task Submit_EveryOperationKind_AppliesEach()
    {
        var table = await NewTableAsync();
        var seeded = new Dictionary<string, string?>();
        foreach (var rk in new[] { "merge", "replace", "updmerge", "updreplace", "delete" })
        {
            seeded[rk] = (await _store.InsertAsync(table, new TableEntity("p", rk) { ["Old"] = 1 })).ETag;
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

        var result = await _store.SubmitTransactionAsync(table, actions);

        Assert.True(result.Succeeded, $"failed at {result.FailedActionIndex}: {result.FailedStatus} {result.ErrorCode}");
        Assert.Equal(2, (await _store.GetAsync(table, "p", "add"))!.GetInt32("New"));
        var merged = await _store.GetAsync(table, "p", "merge");
        Assert.Equal(1, merged!.GetInt32("Old"));
        Assert.Equal(2, merged.GetInt32("New"));
        Assert.False((await _store.GetAsync(table, "p", "replace"))!.Properties.ContainsKey("Old"));
        Assert.Equal(1, (await _store.GetAsync(table, "p", "updmerge"))!.GetInt32("Old"));
        Assert.False((await _store.GetAsync(table, "p", "updreplace"))!.Properties.ContainsKey("Old"));
        Assert.Null(await _store.GetAsync(table, "p", "delete"));
        Assert.Null(result.ETags[5]);
        Assert.NotNull(result.ETags[0]);
    }
}
