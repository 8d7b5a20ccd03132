using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

public sealed class StoredLatelyTests
{
    private const string Event = "stripe|20261202|0/evt_1";
    private static readonly TimeSpan Window = TimeSpan.FromDays(15);
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));
    private int _inserts;

    private Task<TableWriteStatus> Insert(TableWriteStatus status = TableWriteStatus.Success)
    {
        Interlocked.Increment(ref _inserts);
        return Task.FromResult(status);
    }

    [Fact]
    public async Task AnotherCopyWithinTheWindow_IsStoredBefore_WithoutAnInsert()
    {
        var lately = new StoredLately(_clock);

        Assert.Equal(CopyStored.Stored, await lately.StoreOnceAsync(Event, Window, () => Insert()));
        _clock.Advance(Window - TimeSpan.FromSeconds(1));
        Assert.Equal(CopyStored.StoredBefore, await lately.StoreOnceAsync(Event, Window, () => Insert()));
        Assert.Equal(CopyStored.Stored, await lately.StoreOnceAsync("stripe|20261202|0/evt_2", Window, () => Insert()));
        Assert.Equal(2, _inserts);
    }

    [Fact]
    public async Task ACopyPastTheWindow_IsStoredAgain()
    {
        var lately = new StoredLately(_clock);
        await lately.StoreOnceAsync(Event, Window, () => Insert());
        _clock.Advance(Window);

        Assert.Equal(CopyStored.Stored, await lately.StoreOnceAsync(Event, Window, () => Insert()));
        Assert.Equal(2, _inserts);
    }

    [Fact]
    public async Task ARowTheInboxHeldAlready_IsInInbox_AndLaterCopiesAreStoredBefore()
    {
        var lately = new StoredLately(_clock);

        Assert.Equal(CopyStored.InInbox, await lately.StoreOnceAsync(Event, Window, () => Insert(TableWriteStatus.AlreadyExists)));
        Assert.Equal(CopyStored.StoredBefore, await lately.StoreOnceAsync(Event, Window, () => Insert()));
    }

    [Fact]
    public async Task ACopyArrivingDuringTheFirstInsert_WaitsForIt_AndIsNotInserted()
    {
        var lately = new StoredLately(_clock);
        var firstInsert = new TaskCompletionSource<TableWriteStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = lately.StoreOnceAsync(Event, Window, () => { _inserts++; return firstInsert.Task; });
        var copy = lately.StoreOnceAsync(Event, Window, () => Insert());

        await Task.Delay(50);
        Assert.False(copy.IsCompleted);

        firstInsert.SetResult(TableWriteStatus.Success);
        Assert.Equal(CopyStored.Stored, await first);
        Assert.Equal(CopyStored.StoredBefore, await copy);
        Assert.Equal(1, _inserts);
    }

    [Fact]
    public async Task WhenTheFirstInsertFails_TheWaitingCopyIsStoredItself_AndTheFailureReachesTheFirstCaller()
    {
        var lately = new StoredLately(_clock);
        var firstInsert = new TaskCompletionSource<TableWriteStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = lately.StoreOnceAsync(Event, Window, () => firstInsert.Task);
        var copy = lately.StoreOnceAsync(Event, Window, () => Insert());

        firstInsert.SetException(new TableStorageUnavailableException("Table storage is unavailable."));

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => first);
        Assert.Equal(CopyStored.Stored, await copy);
        Assert.Equal(1, _inserts);

        // The copy that was stored is the one remembered now.
        Assert.Equal(CopyStored.StoredBefore, await lately.StoreOnceAsync(Event, Window, () => Insert()));
    }

    [Fact]
    public async Task PastCapacity_TheOldestAreForgottenFirst()
    {
        var lately = new StoredLately(_clock);
        for (var i = 0; i <= StoredLately.Capacity; i++)
        {
            await lately.StoreOnceAsync("segment|20261202|0/m" + i, Window, () => Insert());
        }

        Assert.Equal(StoredLately.Capacity, lately.Count);
        Assert.Equal(CopyStored.Stored, await lately.StoreOnceAsync("segment|20261202|0/m0", Window, () => Insert()));
        Assert.Equal(CopyStored.StoredBefore, await lately.StoreOnceAsync("segment|20261202|0/m" + StoredLately.Capacity, Window, () => Insert()));
    }
}
