using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The recompute's forward scan of previous score rows, on Azurite: pages in key order across bucket groups, gaps, and a page that goes back.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PreviousScoreCursorTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(1000)]
    [InlineData(2)] // the scan itself pages (continuations) within and across the calls
    public async Task ReadAsync_PagesInKeyOrderAndBack_ReturnsExactlyEachPagesExistingScoreRows(int scanPageSize)
    {
        var tables = await HealthStorage.FreshAsync(azurite);

        // 40 accounts spread over many buckets and groups, in the order a shard's pages come (bucket, then id);
        // every fourth was never scored. History rows sit in the same partitions.
        var ordered = Enumerable.Range(1, 40).Select(i => $"c{i:D2}").OrderBy(AccountShard.BucketOf).ThenBy(id => id, StringComparer.Ordinal).ToList();
        var scored = ordered.Where((_, i) => i % 4 != 3).ToHashSet();
        foreach (var group in ordered.GroupBy(HealthTables.PartitionOf))
        {
            var actions = group.Where(scored.Contains)
                .Select(id => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new HealthScoreEntity { PartitionKey = group.Key, RowKey = HealthTables.ScoreRow(id), AccountId = id, Score = ordered.IndexOf(id) }))
                .ToList();
            if (actions.Count > 0)
            {
                Assert.True((await tables[HealthTables.Scores].SubmitAsync(actions)).Succeeded);
            }
        }

        await using var cursor = new PreviousScoreCursor(tables[HealthTables.Scores], 0, AccountShard.Buckets - 1, CancellationToken.None, scanPageSize);
        var byId = new Dictionary<string, HealthScoreEntity>(StringComparer.Ordinal);

        async Task<string[]> Read(IEnumerable<string> ids)
        {
            await cursor.ReadAsync([.. ids.Select(id => new AccountSignals { AccountId = id })], byId);
            return [.. byId.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.Score}")];
        }

        string[] Expected(IEnumerable<string> ids) => [.. ids.Where(scored.Contains).Order(StringComparer.Ordinal).Select(id => $"{id}={ordered.IndexOf(id)}")];

        foreach (var page in ordered.Chunk(7))
        {
            Assert.Equal(Expected(page), await Read(page));
        }

        var back = ordered.Skip(3).Take(5).ToList(); // behind the scan: restarts there
        Assert.Equal(Expected(back), await Read(back));
        Assert.Equal(Expected(ordered.TakeLast(2)), await Read(ordered.TakeLast(2)));
        Assert.Empty(await Read(["never-scored"]));
        Assert.Empty(await Read([]));
    }

    [Fact]
    public async Task ReadAsync_ShardStartingInsideABucketGroup_FindsEveryScoreOfTheShard()
    {
        var tables = await HealthStorage.FreshAsync(azurite);
        var ids = Enumerable.Range(0, 200).Select(i => $"s{i:D3}").ToList();
        foreach (var id in ids)
        {
            await tables[HealthTables.Scores].UpsertAsync(new HealthScoreEntity { PartitionKey = HealthTables.PartitionOf(id), RowKey = HealthTables.ScoreRow(id), AccountId = id, Score = 1 });
        }

        // Shard 1 of 5: buckets 205-409, which start and end inside a group of 16.
        var (first, end) = AccountShard.BucketRange(1, 5);
        var inShard = ids.Where(id => AccountShard.Of(id, 5) == 1).OrderBy(AccountShard.BucketOf).ThenBy(id => id, StringComparer.Ordinal).ToList();
        await using var cursor = new PreviousScoreCursor(tables[HealthTables.Scores], first, end - 1, CancellationToken.None);
        var byId = new Dictionary<string, HealthScoreEntity>(StringComparer.Ordinal);

        await cursor.ReadAsync([.. inShard.Select(id => new AccountSignals { AccountId = id })], byId);

        Assert.Equal(inShard.Order(StringComparer.Ordinal), byId.Keys.Order(StringComparer.Ordinal));
    }
}
