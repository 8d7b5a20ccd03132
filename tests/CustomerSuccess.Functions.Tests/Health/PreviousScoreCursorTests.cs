using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The recompute's forward scan of previous score rows, on Azurite: pages in id order, gaps, and a page that goes back.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PreviousScoreCursorTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(1000)]
    [InlineData(2)] // the scan itself pages (continuations) within and across the calls
    public async Task ReadAsync_PagesInIdOrderAndBack_ReturnsExactlyEachPagesExistingScoreRows(int scanPageSize)
    {
        var store = TableStoreTestKit.CreateStore(azurite.ConnectionString);
        await store.CreateTableIfNotExistsAsync(HealthRows.Table);
        var partition = "cursor-" + Guid.NewGuid().ToString("N")[..8];

        // Score rows for c01..c12 except c04 and c09 (never scored), with history and transition rows around them.
        var actions = new List<TableTransactionAction>();
        for (var i = 1; i <= 12; i++)
        {
            var id = $"c{i:D2}";
            if (i is not (4 or 9))
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(partition, HealthRows.ScoreRow(id)) { ["AccountId"] = id, ["Score"] = i }));
            }

            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(partition, HealthRows.HistoryRow(id, new DateOnly(2026, 6, 1))) { ["Score"] = 0 }));
        }

        Assert.True((await store.SubmitTransactionAsync(HealthRows.Table, [.. actions])).Succeeded);

        await using var cursor = new PreviousScoreCursor(store, partition, CancellationToken.None, scanPageSize);
        var byId = new Dictionary<string, TableEntity>(StringComparer.Ordinal);

        async Task<string[]> Read(params string[] ids)
        {
            await cursor.ReadAsync([.. ids.Select(id => new AccountSignals { AccountId = id })], byId);
            return [.. byId.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.GetInt32("Score")}")];
        }

        Assert.Equal(["c01=1", "c02=2", "c03=3"], await Read("c01", "c02", "c03"));
        Assert.Equal(["c05=5"], await Read("c04", "c05"));
        Assert.Equal(["c07=7", "c10=10"], await Read("c07", "c09", "c10"));
        Assert.Equal(["c02=2", "c06=6"], await Read("c06", "c02"));  // behind the scan: restarts at c02
        Assert.Equal(["c12=12"], await Read("c12", "c13"));
        Assert.Empty(await Read("c14"));
        Assert.Empty(await Read());
    }
}
