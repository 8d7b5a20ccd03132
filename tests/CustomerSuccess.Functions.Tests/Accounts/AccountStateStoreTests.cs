using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>AccountStates on Azurite: one row per account, ETag-guarded, spilled into extra rows when large, read a shard page at a time.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AccountStateStoreTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly string _prefix = "st-" + Guid.NewGuid().ToString("N")[..8] + "-";

    private AccountStateStore Store(int chunkBytes = AccountStateStore.DefaultChunkBytes, int maxRows = AccountStateStore.DefaultMaxRows) =>
        new(AppTablesTestKit.Create(azurite.ConnectionString), chunkBytes, maxRows);

    /// <summary>A state that grows with <paramref name="people"/>: each person's id and email compress poorly.</summary>
    private AccountState Large(string name, int people)
    {
        var state = AccountState.New(_prefix + name, Now);
        for (var i = 0; i < people; i++)
        {
            var id = Guid.NewGuid().ToString("N");
            state.Apply(new AccountEvent { Account = new ExternalIdRef(ExternalIdKinds.SegmentGroup, "g"), OccurredAt = Now.AddSeconds(i), Facts = [new UserSeen(id, id + "@x.example", null, null, null, null, false, false, false), new UserActive(id)] }, "e" + i, Now);
        }

        return state;
    }

    [Fact]
    public async Task WriteRead_OneRow_RoundTripsAndAStaleWriteIsRefused()
    {
        var store = Store();
        var state = Large("small", 3);

        var first = await store.WriteAsync(null, state, CancellationToken.None);
        var read = await store.ReadAsync(state.AccountId, CancellationToken.None);
        var stale = await Store().WriteAsync(null, Large("small", 1), CancellationToken.None);
        var newer = await store.WriteAsync(first, state, CancellationToken.None);
        var lost = await Store().WriteAsync(first, state, CancellationToken.None);

        Assert.NotNull(first);
        Assert.Equal((1, 3), (read!.Rows, read.State.Users.Count));
        Assert.Null(stale); // created by someone else first
        Assert.NotNull(newer);
        Assert.Null(lost); // written since that copy was read
        Assert.Equal(2, (await store.ReadAsync(state.AccountId, CancellationToken.None))!.Generation);
    }

    [Fact]
    public async Task LargeState_SpillsIntoRowsWrittenTogether_AndShrinksBack()
    {
        var store = Store(chunkBytes: 1024);
        var state = Large("big", 600);

        var written = await store.WriteAsync(null, state, CancellationToken.None);
        var read = await Store(chunkBytes: 1024).ReadAsync(state.AccountId, CancellationToken.None);
        foreach (var id in state.Users.Keys.Skip(10).ToList())
        {
            state.Users.Remove(id);
        }

        var shrunk = await store.WriteAsync(written, state, CancellationToken.None);
        var after = await Store(chunkBytes: 1024).ReadAsync(state.AccountId, CancellationToken.None);

        Assert.True(written!.Rows > 1, $"{written.Bytes} bytes in {written.Rows} row(s)");
        Assert.Equal(600, read!.State.Users.Count);
        Assert.Equal(1, shrunk!.Rows);
        Assert.Equal(10, after!.State.Users.Count);
    }

    [Fact]
    public async Task StateBeyondItsRows_ShedsPeopleAndSaysSo()
    {
        var store = Store(chunkBytes: 1024, maxRows: 1);
        var state = Large("huge", 1500);

        var written = await store.WriteAsync(null, state, CancellationToken.None);
        var read = await Store(chunkBytes: 1024, maxRows: 1).ReadAsync(state.AccountId, CancellationToken.None);

        Assert.Equal(1, written!.Rows);
        Assert.True(read!.State.Truncated);
        Assert.InRange(read.State.Users.Count, 1, 1499);
    }

    [Fact]
    public async Task ReadPage_ShardsRangeInPagesOfTwo_EveryAccountOnceWithSpilledStatesWhole()
    {
        var store = Store(chunkBytes: 1024);
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var state = Large("page" + i, i % 3 == 0 ? 300 : 2);
            await store.WriteAsync(null, state, CancellationToken.None);
            ids.Add(state.AccountId);
        }

        var seen = new List<AccountState>();
        for (var shard = 0; shard < 4; shard++)
        {
            string? continuation = null;
            do
            {
                var page = await Store(chunkBytes: 1024).ReadPageAsync(shard, 4, continuation, 2, CancellationToken.None);
                seen.AddRange(page.States.Where(s => s.AccountId.StartsWith(_prefix, StringComparison.Ordinal)));
                Assert.All(page.States, s => Assert.Equal(shard, AccountShard.Of(s.AccountId, 4)));
                continuation = page.Continuation;
            }
            while (continuation is not null);
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Select(s => s.AccountId).Order(StringComparer.Ordinal));
        Assert.Equal(300, seen.Single(s => s.AccountId == _prefix + "page0").Users.Count);
    }

    [Fact]
    public async Task TakeThenWrite_FoldsOntoTheKeptCopyWithoutARead()
    {
        var store = Store();
        var state = Large("kept", 1);
        await store.WriteAsync(null, state, CancellationToken.None);

        var taken = await store.TakeAsync(state.AccountId, CancellationToken.None);
        var again = await store.TakeAsync(state.AccountId, CancellationToken.None);

        Assert.Same(state, taken!.State);
        Assert.NotSame(state, again!.State); // taken out: the second take read it
    }

    [Fact]
    public async Task ReadAsync_UnknownAccount_Null() =>
        Assert.Null(await Store().ReadAsync(_prefix + "nobody", CancellationToken.None));
}
