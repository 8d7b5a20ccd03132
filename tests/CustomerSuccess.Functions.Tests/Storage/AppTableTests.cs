using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>The table layer every feature uses, against Azurite through Azure.Data.Tables.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AppTableTests(AzuriteFixture azurite)
{
    private sealed class Row : ITableEntity
    {
        public string PartitionKey { get; set; } = string.Empty;

        public string RowKey { get; set; } = string.Empty;

        public DateTimeOffset? Timestamp { get; set; }

        public ETag ETag { get; set; }

        public string? Name { get; set; }

        public long Count { get; set; }
    }

    [Fact]
    public async Task AddAsync_SameKeyTwice_SecondIsAlreadyExistsAndKeepsTheFirst()
    {
        var table = await NewTableAsync();

        var first = await table.AddAsync(new Row { PartitionKey = "p", RowKey = "r", Name = "first" });
        var second = await table.AddAsync(new Row { PartitionKey = "p", RowKey = "r", Name = "second" });

        Assert.Equal(TableWriteStatus.Success, first.Status);
        Assert.NotEqual(default, first.ETag);
        Assert.Equal(TableWriteStatus.AlreadyExists, second.Status);
        Assert.Equal("first", (await table.GetAsync<Row>("p", "r"))!.Name);
    }

    [Fact]
    public async Task UpdateAsync_StaleETag_IsPreconditionFailedAndChangesNothing()
    {
        var table = await NewTableAsync();
        var added = await table.AddAsync(new Row { PartitionKey = "p", RowKey = "r", Count = 1 });
        var updated = await table.UpdateAsync(new Row { PartitionKey = "p", RowKey = "r", Count = 2 }, added.ETag);

        var stale = await table.UpdateAsync(new Row { PartitionKey = "p", RowKey = "r", Count = 3 }, added.ETag);
        var missing = await table.UpdateAsync(new Row { PartitionKey = "p", RowKey = "nobody", Count = 3 }, ETag.All);

        Assert.Equal(TableWriteStatus.Success, updated.Status);
        Assert.Equal(TableWriteStatus.PreconditionFailed, stale.Status);
        Assert.Equal(TableWriteStatus.NotFound, missing.Status);
        Assert.Equal(2, (await table.GetAsync<Row>("p", "r"))!.Count);
    }

    [Fact]
    public async Task DeleteAsync_MissingOrStale_AreValuesNotExceptions()
    {
        var table = await NewTableAsync();
        var added = await table.AddAsync(new Row { PartitionKey = "p", RowKey = "r" });
        await table.UpdateAsync(new Row { PartitionKey = "p", RowKey = "r", Count = 5 }, added.ETag);

        var stale = await table.DeleteAsync("p", "r", added.ETag);
        var deleted = await table.DeleteAsync("p", "r");
        var missing = await table.DeleteAsync("p", "r");

        Assert.Equal(TableWriteStatus.PreconditionFailed, stale.Status);
        Assert.Equal(TableWriteStatus.Success, deleted.Status);
        Assert.Equal(TableWriteStatus.NotFound, missing.Status);
        Assert.Null(await table.GetAsync<Row>("p", "r"));
    }

    [Fact]
    public async Task EveryOperation_OnATableDeletedUnderTheApp_RecreatesItAndSucceeds()
    {
        var name = AppTablesTestKit.NewTableName();
        var tables = AppTablesTestKit.Create(azurite.ConnectionString, name);
        var service = AppTablesTestKit.ServiceClient(azurite.ConnectionString);
        var table = tables[name];

        await service.DeleteTableAsync(name);
        Assert.Null(await table.GetAsync<Row>("p", "r"));

        await service.DeleteTableAsync(name);
        Assert.Equal(TableWriteStatus.Success, (await table.AddAsync(new Row { PartitionKey = "p", RowKey = "r" })).Status);

        await service.DeleteTableAsync(name);
        Assert.Empty(await table.QueryAsync<Row>(TableFilter.All).ToListAsync());

        await service.DeleteTableAsync(name);
        var batch = await table.SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "p", RowKey = "b" })]);
        Assert.True(batch.Succeeded);

        await service.DeleteTableAsync(name);
        Assert.Equal(TableWriteStatus.Success, (await table.UpsertAsync(new Row { PartitionKey = "p", RowKey = "u" })).Status);
        Assert.NotNull(await table.GetAsync<Row>("p", "u"));
    }

    [Fact]
    public async Task TableFilter_KeysWithQuotesAndOperators_MatchOnlyThemselves()
    {
        var table = await NewTableAsync();
        string[] partitions = ["o'brien", "o'brien' or PartitionKey ne '", "plain"];
        foreach (var pk in partitions)
        {
            await table.AddAsync(new Row { PartitionKey = pk, RowKey = "a" });
            await table.AddAsync(new Row { PartitionKey = pk, RowKey = "b|1" });
            await table.AddAsync(new Row { PartitionKey = pk, RowKey = "b|2" });
            await table.AddAsync(new Row { PartitionKey = pk, RowKey = "c" });
        }

        var quoted = await table.QueryAsync<Row>(TableFilter.Partition("o'brien")).ToListAsync();
        var injected = await table.QueryAsync<Row>(TableFilter.Partition("o'brien' or PartitionKey ne '")).ToListAsync();
        var prefixed = await table.QueryAsync<Row>(TableFilter.RowPrefix("o'brien", "b|")).ToListAsync();

        Assert.Equal(4, quoted.Count);
        Assert.All(quoted, r => Assert.Equal("o'brien", r.PartitionKey));
        Assert.Equal(4, injected.Count);
        Assert.Equal(["b|1", "b|2"], prefixed.Select(r => r.RowKey));
    }

    [Fact]
    public async Task QueryPageAsync_ResumesFromItsContinuation_UntilEveryRowIsReadOnce()
    {
        var table = await NewTableAsync();
        for (var b = 0; b < 25; b++)
        {
            var actions = Enumerable.Range(0, 100)
                .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "p" + (b % 5), RowKey = $"{b:D2}-{i:D3}" }))
                .ToList();
            Assert.True((await table.SubmitAsync(actions)).Succeeded);
        }

        var seen = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await table.QueryPageAsync<Row>(TableFilter.PartitionRange("p1", "p4"), continuation, 170);
            Assert.True(page.Entities.Count <= 170);
            seen.AddRange(page.Entities.Select(r => r.PartitionKey + "/" + r.RowKey));
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null);

        Assert.Equal(1500, seen.Count);
        Assert.Equal(1500, seen.Distinct().Count());
        Assert.True(pages >= 9, $"read in {pages} pages");
        Assert.All(seen, k => Assert.True(k.StartsWith("p1/", StringComparison.Ordinal) || k.StartsWith("p2/", StringComparison.Ordinal) || k.StartsWith("p3/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task SubmitAsync_OneOperationRefused_AppliesNothingAndNamesIt()
    {
        var table = await NewTableAsync();
        await table.AddAsync(new Row { PartitionKey = "p", RowKey = "taken" });

        var outcome = await table.SubmitAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "p", RowKey = "new-1" }),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new Row { PartitionKey = "p", RowKey = "new-2" }),
            new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "p", RowKey = "taken" }),
        ]);

        Assert.False(outcome.Succeeded);
        Assert.Equal(2, outcome.FailedActionIndex);
        Assert.Equal(409, outcome.FailedStatus);
        Assert.Null(await table.GetAsync<Row>("p", "new-1"));
        Assert.Null(await table.GetAsync<Row>("p", "new-2"));
    }

    [Fact]
    public async Task SubmitAsync_StaleETagInsideABatch_FailsWithPreconditionFailed()
    {
        var table = await NewTableAsync();
        var added = await table.AddAsync(new Row { PartitionKey = "p", RowKey = "r" });
        await table.UpsertAsync(new Row { PartitionKey = "p", RowKey = "r", Count = 1 });

        var outcome = await table.SubmitAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "p", RowKey = "other" }),
            new TableTransactionAction(TableTransactionActionType.UpdateReplace, new Row { PartitionKey = "p", RowKey = "r", Count = 9 }, added.ETag),
        ]);

        Assert.False(outcome.Succeeded);
        Assert.Equal(1, outcome.FailedActionIndex);
        Assert.Equal(412, outcome.FailedStatus);
        Assert.Equal(1, (await table.GetAsync<Row>("p", "r"))!.Count);
    }

    [Fact]
    public async Task SubmitAsync_SpanningPartitionsOrOverAHundred_IsRefusedBeforeSending()
    {
        var table = await NewTableAsync();

        var spanning = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "a", RowKey = "1" }),
            new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "b", RowKey = "1" }),
        ]));
        var tooMany = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync(
            [.. Enumerable.Range(0, 101).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "a", RowKey = i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) }))]));

        Assert.Contains("same partition", spanning.Message, StringComparison.Ordinal);
        Assert.Contains("101", tooMany.Message, StringComparison.Ordinal);
        Assert.Empty(await table.QueryAsync<Row>(TableFilter.All).ToListAsync());
    }

    [Fact]
    public async Task EveryOperation_WhenNothingListens_ThrowsUnavailableWithinSeconds()
    {
        var port = AzuriteFixture.FreePort();
        var name = AppTablesTestKit.NewTableName();
        var table = AppTablesTestKit.Create(
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:{port}/{AzuriteFixture.AccountName};",
            name)[name];
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.AddAsync(new Row { PartitionKey = "p", RowKey = "r" }));
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.GetAsync<Row>("p", "r"));
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.QueryAsync<Row>(TableFilter.All).ToListAsync().AsTask());
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => table.SubmitAsync([new TableTransactionAction(TableTransactionActionType.Add, new Row { PartitionKey = "p", RowKey = "b" })]));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"four failed calls took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("it's")]
    [InlineData("a b+c&d=e%f")]
    [InlineData("ünï©ødé ☃")]
    [InlineData("(x),'y'")]
    [InlineData("")]
    public async Task Keys_WithQuotesSpacesAndUnicode_RoundTripThroughEveryOperation(string key)
    {
        var table = await NewTableAsync();

        Assert.Equal(TableWriteStatus.Success, (await table.AddAsync(new Row { PartitionKey = key, RowKey = key + "row", Name = key })).Status);
        var read = await table.GetAsync<Row>(key, key + "row");
        Assert.Equal(key, read!.PartitionKey);
        Assert.Equal(TableWriteStatus.Success, (await table.UpdateAsync(new Row { PartitionKey = key, RowKey = key + "row", Name = "changed" }, read.ETag)).Status);
        Assert.Equal("changed", Assert.Single(await table.QueryAsync<Row>(TableFilter.Partition(key)).ToListAsync()).Name);
        Assert.Equal(TableWriteStatus.Success, (await table.DeleteAsync(key, key + "row")).Status);
        Assert.Null(await table.GetAsync<Row>(key, key + "row"));
    }

    [Fact]
    public async Task Keys_OfExactly512Characters_AreAccepted()
    {
        var table = await NewTableAsync();
        var key = new string('k', TableKeys.MaxKeyLength);

        Assert.Equal(TableWriteStatus.Success, (await table.AddAsync(new Row { PartitionKey = "p", RowKey = key })).Status);
        Assert.NotNull(await table.GetAsync<Row>("p", key));
    }

    [Fact]
    public async Task WrongAccountKey_IsRefused_WithoutTheKeyOrSignatureInTheError()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var name = AppTablesTestKit.NewTableName();
        var table = AppTablesTestKit.Create($"AccountName={AzuriteFixture.AccountName};AccountKey={wrongKey};TableEndpoint={azurite.TableEndpoint}", name)[name];

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddAsync(new Row { PartitionKey = "p", RowKey = "r" }));

        Assert.Equal(403, ex.Status);
        Assert.DoesNotContain(wrongKey, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("SharedKey " + AzuriteFixture.AccountName + ":", ex.ToString(), StringComparison.Ordinal);
    }

    private async Task<AppTable> NewTableAsync()
    {
        var name = AppTablesTestKit.NewTableName();
        var tables = AppTablesTestKit.Create(azurite.ConnectionString, name);
        await tables.EnsureAsync(name, CancellationToken.None);
        return tables[name];
    }
}
