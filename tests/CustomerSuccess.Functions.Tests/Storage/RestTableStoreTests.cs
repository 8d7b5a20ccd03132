using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class RestTableStoreTests(AzuriteFixture azurite)
{
    private readonly RestTableStore _store = TableStoreTestKit.CreateStore(azurite.ConnectionString);

    private async Task<string> NewTableAsync()
    {
        var table = TableStoreTestKit.NewTableName();
        await _store.CreateTableIfNotExistsAsync(table);
        return table;
    }

    private static TableEntity Entity(string pk, string rk, string? note = null)
    {
        var entity = new TableEntity(pk, rk);
        entity["Note"] = note ?? rk;
        return entity;
    }

    [Fact]
    public async Task CreateTableIfNotExists_TwiceOnSameTable_Succeeds()
    {
        var table = TableStoreTestKit.NewTableName();

        await _store.CreateTableIfNotExistsAsync(table);
        await _store.CreateTableIfNotExistsAsync(table);

        Assert.Equal(TableWriteStatus.Success, (await _store.InsertAsync(table, Entity("p", "r"))).Status);
    }

    [Fact]
    public async Task CreateTableIfNotExists_InvalidName_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateTableIfNotExistsAsync("1bad-name"));
    }

    [Fact]
    public async Task Insert_ThenGet_ReturnsEntityWithETagAndTimestamp()
    {
        var table = await NewTableAsync();

        var result = await _store.InsertAsync(table, Entity("acct", "evt1", "hello"));
        var read = await _store.GetAsync(table, "acct", "evt1");

        Assert.Equal(TableWriteStatus.Success, result.Status);
        Assert.False(string.IsNullOrEmpty(result.ETag));
        Assert.NotNull(read);
        Assert.Equal("acct", read.PartitionKey);
        Assert.Equal("evt1", read.RowKey);
        Assert.Equal("hello", read.GetString("Note"));
        Assert.Equal(result.ETag, read.ETag);
        Assert.NotNull(read.Timestamp);
    }

    [Fact]
    public async Task Insert_SameKeyTwice_ReturnsAlreadyExistsAndKeepsFirst()
    {
        var table = await NewTableAsync();
        await _store.InsertAsync(table, Entity("p", "r", "first"));

        var second = await _store.InsertAsync(table, Entity("p", "r", "second"));

        Assert.Equal(TableWriteStatus.AlreadyExists, second.Status);
        Assert.Equal("first", (await _store.GetAsync(table, "p", "r"))!.GetString("Note"));
    }

    [Fact]
    public async Task Get_Missing_ReturnsNull()
    {
        var table = await NewTableAsync();

        Assert.Null(await _store.GetAsync(table, "p", "nope"));
    }

    [Fact]
    public async Task Get_WithSelect_ReturnsOnlySelectedColumns()
    {
        var table = await NewTableAsync();
        var entity = Entity("p", "r");
        entity["A"] = 1;
        entity["B"] = 2;
        await _store.InsertAsync(table, entity);

        var read = await _store.GetAsync(table, "p", "r", ["A"]);

        Assert.NotNull(read);
        Assert.Equal(1, read.GetInt32("A"));
        Assert.False(read.Properties.ContainsKey("B"));
        Assert.False(read.Properties.ContainsKey("Note"));
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
        var entity = Entity(key, key + "row");

        Assert.Equal(TableWriteStatus.Success, (await _store.InsertAsync(table, entity)).Status);
        var read = await _store.GetAsync(table, key, key + "row");
        Assert.NotNull(read);
        Assert.Equal(key, read.PartitionKey);
        entity["Note"] = "changed";
        Assert.Equal(TableWriteStatus.Success, (await _store.UpdateAsync(table, entity, read.ETag!)).Status);
        var queried = await _store.QueryAsync(table, "PartitionKey eq " + RestTableKeys.QuoteLiteral(key)).ToListAsync();
        Assert.Equal("changed", Assert.Single(queried).GetString("Note"));
        Assert.Equal(TableWriteStatus.Success, (await _store.DeleteAsync(table, key, key + "row")).Status);
        Assert.Null(await _store.GetAsync(table, key, key + "row"));
    }

    public static TheoryData<string> ForbiddenKeys => new()
    {
        "a/b", "a\\b", "a#b", "a?b", "tab\there", "nl\n", "\u0000", "\u001F", "del\u007F", "c1\u0085", "\u009F", new string('k', 513),
    };

    [Theory]
    [MemberData(nameof(ForbiddenKeys))]
    public async Task Insert_ForbiddenPartitionKey_ThrowsArgumentExceptionAndStoresNothing(string key)
    {
        var table = await NewTableAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _store.InsertAsync(table, Entity(key, "r")));

        Assert.Contains("PartitionKey", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.QueryAsync(table).ToListAsync());
    }

    [Theory]
    [MemberData(nameof(ForbiddenKeys))]
    public async Task Upsert_ForbiddenRowKey_ThrowsArgumentExceptionAndStoresNothing(string key)
    {
        var table = await NewTableAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _store.UpsertAsync(table, Entity("p", key)));

        Assert.Contains("RowKey", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.QueryAsync(table).ToListAsync());
    }

    [Fact]
    public async Task Keys_OfExactly512Characters_AreAccepted()
    {
        var table = await NewTableAsync();
        var key = new string('k', 512);

        Assert.Equal(TableWriteStatus.Success, (await _store.InsertAsync(table, Entity("p", key))).Status);
        Assert.NotNull(await _store.GetAsync(table, "p", key));
    }

    [Fact]
    public async Task Get_ForbiddenKey_ThrowsArgumentException()
    {
        var table = await NewTableAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync(table, "p", "a/b"));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeleteAsync(table, "p#", "r"));
    }

    [Fact]
    public async Task UpsertMerge_KeepsExistingProperties_UpsertReplace_DropsThem()
    {
        var table = await NewTableAsync();
        var first = Entity("p", "r");
        first["Old"] = 1;
        Assert.Equal(TableWriteStatus.Success, (await _store.UpsertAsync(table, first)).Status);

        var merge = new TableEntity("p", "r") { ["New"] = 2 };
        await _store.UpsertAsync(table, merge, TableUpdateMode.Merge);
        var merged = await _store.GetAsync(table, "p", "r");

        var replace = new TableEntity("p", "r") { ["Only"] = 3 };
        await _store.UpsertAsync(table, replace, TableUpdateMode.Replace);
        var replaced = await _store.GetAsync(table, "p", "r");

        Assert.Equal(1, merged!.GetInt32("Old"));
        Assert.Equal(2, merged.GetInt32("New"));
        Assert.Equal(3, replaced!.GetInt32("Only"));
        Assert.False(replaced.Properties.ContainsKey("Old"));
        Assert.False(replaced.Properties.ContainsKey("New"));
    }

    [Fact]
    public async Task Update_WithCurrentETag_SucceedsAndReturnsNewETag()
    {
        var table = await NewTableAsync();
        var inserted = await _store.InsertAsync(table, Entity("p", "r", "v1"));

        var updated = await _store.UpdateAsync(table, Entity("p", "r", "v2"), inserted.ETag!);

        Assert.Equal(TableWriteStatus.Success, updated.Status);
        Assert.NotEqual(inserted.ETag, updated.ETag);
        Assert.Equal("v2", (await _store.GetAsync(table, "p", "r"))!.GetString("Note"));
    }

    [Fact]
    public async Task Update_WithStaleETag_ReturnsPreconditionFailedAndKeepsNewerValue()
    {
        var table = await NewTableAsync();
        var inserted = await _store.InsertAsync(table, Entity("p", "r", "v1"));
        await _store.UpdateAsync(table, Entity("p", "r", "v2"), inserted.ETag!);

        var stale = await _store.UpdateAsync(table, Entity("p", "r", "v3"), inserted.ETag!, TableUpdateMode.Merge);

        Assert.Equal(TableWriteStatus.PreconditionFailed, stale.Status);
        Assert.Equal("v2", (await _store.GetAsync(table, "p", "r"))!.GetString("Note"));
    }

    [Fact]
    public async Task Update_Missing_ReturnsNotFoundAndCreatesNothing()
    {
        var table = await NewTableAsync();

        var result = await _store.UpdateAsync(table, Entity("p", "ghost"), "*");

        Assert.Equal(TableWriteStatus.NotFound, result.Status);
        Assert.Null(await _store.GetAsync(table, "p", "ghost"));
    }

    [Fact]
    public async Task Delete_WithStaleETag_ReturnsPreconditionFailedAndKeepsEntity()
    {
        var table = await NewTableAsync();
        var inserted = await _store.InsertAsync(table, Entity("p", "r", "v1"));
        await _store.UpdateAsync(table, Entity("p", "r", "v2"), "*");

        var result = await _store.DeleteAsync(table, "p", "r", inserted.ETag!);

        Assert.Equal(TableWriteStatus.PreconditionFailed, result.Status);
        Assert.NotNull(await _store.GetAsync(table, "p", "r"));
    }

    [Fact]
    public async Task Delete_WithCurrentETag_Removes_ThenMissingIsNotFound()
    {
        var table = await NewTableAsync();
        var inserted = await _store.InsertAsync(table, Entity("p", "r"));

        var deleted = await _store.DeleteAsync(table, "p", "r", inserted.ETag!);
        var again = await _store.DeleteAsync(table, "p", "r");

        Assert.Equal(TableWriteStatus.Success, deleted.Status);
        Assert.Equal(TableWriteStatus.NotFound, again.Status);
        Assert.Null(await _store.GetAsync(table, "p", "r"));
    }

    [Fact]
    public async Task Query_35RowsPageSize10_FollowsContinuationAcrossFourPages()
    {
        var table = await NewTableAsync();
        for (var i = 0; i < 35; i++)
        {
            await _store.InsertAsync(table, Entity(i < 20 ? "a" : "b", i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)));
        }

        var pages = new List<TablePage>();
        TableContinuation? continuation = null;
        do
        {
            var page = await _store.QueryPageAsync(table, null, null, 10, continuation);
            pages.Add(page);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        var streamed = await _store.QueryAsync(table, pageSize: 10).ToListAsync();

        Assert.True(pages.Count >= 4, $"expected at least 4 pages, got {pages.Count}");
        Assert.All(pages, p => Assert.True(p.Entities.Count <= 10));
        Assert.Equal(35, pages.Sum(p => p.Entities.Count));
        Assert.Equal(35, streamed.Select(e => e.RowKey).Distinct().Count());
        Assert.NotNull(pages[0].Continuation!.NextPartitionKey);
    }

    [Fact]
    public async Task Query_WithFilterAndSelect_ReturnsMatchingRowsWithKeysAndSelectedColumns()
    {
        var table = await NewTableAsync();
        for (var i = 0; i < 10; i++)
        {
            var e = Entity("p", "r" + i);
            e["Score"] = i;
            e["Other"] = "x";
            await _store.InsertAsync(table, e);
        }

        var rows = await _store.QueryAsync(table, "Score ge 7", ["Score"]).ToListAsync();

        Assert.Equal([7, 8, 9], rows.Select(r => r.GetInt32("Score")!.Value).Order());
        Assert.All(rows, r =>
        {
            Assert.Equal("p", r.PartitionKey);
            Assert.StartsWith("r", r.RowKey, StringComparison.Ordinal);
            Assert.False(r.Properties.ContainsKey("Other"));
        });
    }

    [Fact]
    public async Task Query_SelectingOnlyKeys_ReturnsKeysWithoutProperties()
    {
        var table = await NewTableAsync();
        await _store.InsertAsync(table, Entity("p", "r"));

        var row = Assert.Single(await _store.QueryAsync(table, columns: ["RowKey"]).ToListAsync());

        Assert.Equal(("p", "r"), (row.PartitionKey, row.RowKey));
        Assert.Empty(row.Properties);
    }

    [Fact]
    public async Task Query_BadFilter_ThrowsTableRequestFailedWithStatus()
    {
        var table = await NewTableAsync();

        var ex = await Assert.ThrowsAsync<TableRequestFailedException>(() => _store.QueryAsync(table, "Score eq eq").ToListAsync().AsTask());

        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public async Task Insert_IntoMissingTable_ThrowsTableRequestFailed404()
    {
        var ex = await Assert.ThrowsAsync<TableRequestFailedException>(() => _store.InsertAsync(TableStoreTestKit.NewTableName(), Entity("p", "r")));

        Assert.Equal(404, ex.Status);
        Assert.DoesNotContain(AzuriteFixture.AccountKey, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongAccountKey_ThrowsTableRequestFailed403WithoutSignatureOrKey()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var store = TableStoreTestKit.CreateStore($"AccountName={AzuriteFixture.AccountName};AccountKey={wrongKey};TableEndpoint={azurite.TableEndpoint}");

        var ex = await Assert.ThrowsAsync<TableRequestFailedException>(() => store.CreateTableIfNotExistsAsync(TableStoreTestKit.NewTableName()));

        Assert.Equal(403, ex.Status);
        Assert.DoesNotContain("SharedKey", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not authorized", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EdmTypes_RoundTripWithTheirTypes()
    {
        var table = await NewTableAsync();
        var when = new DateTimeOffset(2026, 3, 14, 15, 9, 26, 535, TimeSpan.FromHours(2)).AddTicks(8979);
        var id = Guid.NewGuid();
        var entity = new TableEntity("p", "edm")
        {
            ["Int32"] = -42,
            ["Int64"] = long.MaxValue - 7,
            ["SmallInt64"] = 5L,
            ["Double"] = 3.25,
            ["WholeDouble"] = 3.0,
            ["Bool"] = true,
            ["False"] = false,
            ["When"] = when,
            ["Id"] = id,
            ["Bytes"] = new byte[] { 0, 1, 2, 250, 255 },
            ["Text"] = "päivää \"quoted\" \\ line\nbreak",
            ["NumericText"] = "12345",
        };

        await _store.InsertAsync(table, entity);
        var read = await _store.GetAsync(table, "p", "edm");
        var queried = Assert.Single(await _store.QueryAsync(table).ToListAsync());

        foreach (var got in new[] { read!, queried })
        {
            Assert.Equal(-42, Assert.IsType<int>(got["Int32"]));
            Assert.Equal(long.MaxValue - 7, Assert.IsType<long>(got["Int64"]));
            Assert.Equal(5L, Assert.IsType<long>(got["SmallInt64"]));
            Assert.Equal(3.25, Assert.IsType<double>(got["Double"]));
            Assert.Equal(3.0, Assert.IsType<double>(got["WholeDouble"]));
            Assert.True(Assert.IsType<bool>(got["Bool"]));
            Assert.False(Assert.IsType<bool>(got["False"]));
            var gotWhen = Assert.IsType<DateTimeOffset>(got["When"]);
            Assert.Equal(when, gotWhen);
            Assert.Equal(TimeSpan.Zero, gotWhen.Offset);
            Assert.Equal(id, Assert.IsType<Guid>(got["Id"]));
            Assert.Equal(new byte[] { 0, 1, 2, 250, 255 }, Assert.IsType<byte[]>(got["Bytes"]));
            Assert.Equal("päivää \"quoted\" \\ line\nbreak", Assert.IsType<string>(got["Text"]));
            Assert.Equal("12345", Assert.IsType<string>(got["NumericText"]));
        }
    }

    [Fact]
    public async Task UnsupportedPropertyType_ThrowsArgumentException()
    {
        var table = await NewTableAsync();
        var entity = new TableEntity("p", "r") { ["Bad"] = new Uri("http://example.com") };

        await Assert.ThrowsAsync<ArgumentException>(() => _store.InsertAsync(table, entity));
        Assert.Null(await _store.GetAsync(table, "p", "r"));
    }
}
