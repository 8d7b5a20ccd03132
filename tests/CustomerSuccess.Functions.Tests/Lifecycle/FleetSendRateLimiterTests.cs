using System.Net;
using System.Net.Sockets;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>
/// The send quota shared through Table storage on Azurite. Each limiter gets a table client of its own, as separate
/// processes would; all read one clock the test moves, so the arithmetic can be checked exactly.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class FleetSendRateLimiterTests(AzuriteFixture azurite) : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly string _scope = "test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly FakeTimeProvider _time = new(Start);
    private readonly List<FleetSendRateLimiter> _limiters = [];

    public void Dispose()
    {
        foreach (var limiter in _limiters)
        {
            limiter.Dispose();
        }
    }

    [Fact]
    public async Task Admit_FreshScope_GrantsTheBucketThenReservesTheNextToken()
    {
        var quota = new SendQuota(600, 36_000);
        var limiter = Limiter(quota);

        var granted = new List<SendPermit>();
        for (var i = 0; i < quota.MaxLease; i++)
        {
            granted.Add(await limiter.AdmitAsync(null, default));
        }

        var reserved = await limiter.AdmitAsync(null, default);

        Assert.All(granted, p => Assert.True(p.Granted));
        Assert.Equal(SendPermit.ReservedFor(Start.AddTicks(quota.PerMinute.Interval)), reserved);
        Assert.Equal(Start.UtcTicks + ((quota.MaxLease + 1) * quota.PerMinute.Interval), (await RowAsync())!.MinuteFullAt);
    }

    [Fact]
    public async Task Admit_SixInstancesEightCallersEach_NoTokenGivenTwiceAndNoMoreThanTheBucketAllows()
    {
        // 48 callers a step ask for far more than refills, so after the first step every token is reserved ahead and
        // the row's full-again instant counts every token ever debited. 600 a minute: capacity 4, one per ~103 ms.
        var quota = new SendQuota(600, 36_000);
        var interval = TimeSpan.FromTicks(quota.PerMinute.Interval);
        var limiters = Enumerable.Range(0, 6).Select(_ => Limiter(quota)).ToList();
        var stamps = new List<DateTimeOffset>();
        var reservations = new List<DateTimeOffset>();
        for (var step = 0; step < 12; step++)
        {
            var now = _time.GetUtcNow();
            var permits = await Task.WhenAll(limiters.SelectMany(l => Enumerable.Range(0, 8).Select(_ => l.AdmitAsync(null, default).AsTask())));
            stamps.AddRange(Enumerable.Repeat(now, permits.Count(p => p.Granted)));
            reservations.AddRange(permits.Where(p => p.Reserved).Select(p => p.ComeBackAt));
            _time.Advance(TimeSpan.FromMilliseconds(300));
        }

        stamps.AddRange(reservations);
        var debited = (int)(((await RowAsync())!.MinuteFullAt - Start.UtcTicks) / quota.PerMinute.Interval);

        Assert.Equal(debited, stamps.Count);
        Assert.Equal(reservations.Count, reservations.Distinct().Count());
        Assert.InRange(SendQuotaTests.MaxInWindow([.. stamps.Order()], interval), 1, quota.PerMinute.Capacity);
        Assert.True(stamps.Count > 12 * 40, $"only {stamps.Count} of {12 * 48} callers admitted");
        Assert.True(limiters.Sum(l => l.Conflicts) > 0, "the instances never raced for the row");
    }

    [Fact]
    public async Task Admit_SteadySender_LeasesAheadAndDropsWhatOutlivesTheLease()
    {
        // 6,000 a minute: leases of up to 31 tokens. A sender asking one at a time, the clock standing still, has its
        // takes sized from what it spent in the last second: 1, 1, 1, 1, 2 (one left), 3 (two left), 4 (three left).
        var quota = new SendQuota(6_000, 360_000);
        var limiter = Limiter(quota);
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await limiter.AdmitAsync(null, default)).Granted);
        }

        var trips = limiter.RoundTrips;
        Assert.True((await limiter.AdmitAsync(null, default)).Granted);
        var tripsFromLease = limiter.RoundTrips - trips;
        var beforeExpiry = (await RowAsync())!.MinuteFullAt;

        _time.Advance(SendQuota.LeaseLifetime);
        Assert.True((await limiter.AdmitAsync(null, default)).Granted);
        var tripsAfterExpiry = limiter.RoundTrips - trips;
        var afterExpiry = (await RowAsync())!.MinuteFullAt;

        Assert.Equal(0, tripsFromLease);
        Assert.Equal(Start.UtcTicks + (13 * quota.PerMinute.Interval), beforeExpiry); // 13 debited, 11 granted, 2 in the lease

        // The two left went with the lease: the next send paid a round trip (11 spent / 2 = 5 tokens) instead.
        Assert.Equal(2, tripsAfterExpiry);
        Assert.Equal((Start + SendQuota.LeaseLifetime).UtcTicks + (5 * quota.PerMinute.Interval), afterExpiry);
    }

    [Fact]
    public async Task Admit_ReservedSendBackOnTime_SendsWithoutARoundTrip_BackLate_IsReservedAgainBehindTheQueue()
    {
        var quota = new SendQuota(30, 1_800);
        var interval = TimeSpan.FromTicks(quota.PerMinute.Interval);
        var limiter = Limiter(quota);
        Assert.True((await limiter.AdmitAsync(null, default)).Granted);
        var first = await limiter.AdmitAsync(null, default);
        var second = await limiter.AdmitAsync(null, default);
        var trips = limiter.RoundTrips;

        _time.SetUtcNow(first.ComeBackAt + TimeSpan.FromMilliseconds(400));
        var onTime = await limiter.AdmitAsync(first.ComeBackAt, default);
        var tripsOnTime = limiter.RoundTrips - trips;
        _time.SetUtcNow(second.ComeBackAt + SendQuota.LeaseLifetime);
        var late = await limiter.AdmitAsync(second.ComeBackAt, default);

        Assert.Equal([Start + interval, Start + (2 * interval)], new[] { first.ComeBackAt, second.ComeBackAt });
        Assert.True(onTime.Granted);
        Assert.Equal(0, tripsOnTime);
        Assert.Equal(SendPermit.ReservedFor(Start + (3 * interval)), late);
        Assert.Equal(1, limiter.LateReservations);
    }

    [Fact]
    public async Task Admit_ReservedSendOnAClockSlightlyBehind_WaitsForItsSlotAndSends()
    {
        // The broker delivers at the slot by its clock; an instance whose clock reads a little earlier than the one that
        // stamped the slot waits for it rather than deferring to the same instant (that message id would be dropped).
        var quota = new SendQuota(30, 1_800);
        var limiter = Limiter(quota);
        Assert.True((await limiter.AdmitAsync(null, default)).Granted);
        var reserved = await limiter.AdmitAsync(null, default);
        var trips = limiter.RoundTrips;

        _time.SetUtcNow(reserved.ComeBackAt - TimeSpan.FromMilliseconds(100));
        var slightlyBehind = await limiter.AdmitAsync(reserved.ComeBackAt, default);

        Assert.Equal(SendPermit.GrantUntil(reserved.ComeBackAt + SendQuota.LeaseLifetime), slightlyBehind);
        Assert.Equal(trips, limiter.RoundTrips);
        Assert.Equal(0, limiter.LostTokens);
    }

    [Fact]
    public async Task Admit_ReservedSendFarAheadOfItsSlot_GivesTheSlotUpAndIsReservedAgainBehindTheQueue()
    {
        // Further ahead than clocks may differ: never spent early, and not failed into dead letters either.
        var quota = new SendQuota(30, 1_800);
        var interval = TimeSpan.FromTicks(quota.PerMinute.Interval);
        var limiter = Limiter(quota);
        Assert.True((await limiter.AdmitAsync(null, default)).Granted);
        var reserved = await limiter.AdmitAsync(null, default);

        _time.SetUtcNow(reserved.ComeBackAt - SendQuota.ClockSkewAllowance - TimeSpan.FromMilliseconds(1));
        var early = await limiter.AdmitAsync(reserved.ComeBackAt, default);

        Assert.Equal(SendPermit.ReservedFor(reserved.ComeBackAt + interval), early);
        Assert.Equal(1, limiter.LostTokens);
    }

    [Fact]
    public async Task PauseUntil_OnOneInstance_OtherInstancesReserveNothingBeforeItEnds()
    {
        var quota = new SendQuota(30, 100);
        var throttled = Limiter(quota);
        var other = Limiter(quota);

        await throttled.PauseUntilAsync(Start.AddSeconds(90), default);
        _time.Advance(TimeSpan.FromSeconds(30));
        var during = await other.AdmitAsync(null, default);
        _time.Advance(TimeSpan.FromSeconds(60));
        var after = await Limiter(quota).AdmitAsync(during.ComeBackAt, default);

        Assert.Equal(SendPermit.ReservedFor(Start.AddSeconds(90)), during);
        Assert.True(after.Granted);
    }

    [Fact]
    public async Task Admit_TwoInstancesTenCallersEach_EveryReservationDistinctOneIntervalApart()
    {
        var quota = new SendQuota(30, 100);
        var a = Limiter(quota);
        var b = Limiter(quota);

        var permits = await Task.WhenAll(new[] { a, b }.SelectMany(l => Enumerable.Range(0, 10).Select(_ => l.AdmitAsync(null, default).AsTask())));

        // 100 an hour binds: one token per hour interval, the first free now.
        var interval = TimeSpan.FromTicks(quota.PerHour.Interval);
        Assert.Single(permits, p => p.Granted);
        Assert.Equal(Enumerable.Range(1, 19).Select(i => Start + (i * interval)), permits.Where(p => p.Reserved).Select(p => p.ComeBackAt).Order());
    }

    [Fact]
    public async Task Admit_TenConcurrentCallersOnOneInstance_DecidedInAFewRoundTripsNotTen()
    {
        var limiter = Limiter(new SendQuota(30, 100));

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => limiter.AdmitAsync(null, default).AsTask()));

        // Each decision is a read and a conditional write; ten callers one by one would be twenty round trips.
        Assert.InRange(limiter.RoundTrips, 2, 6);
    }

    [Fact]
    public async Task Admit_StorageUnreachable_ThrowsAndGrantsNothing()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var tables = AppTablesTestKit.Create($"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:{port}/{AzuriteFixture.AccountName};", FleetSendRateLimiter.TableName);
        using var limiter = new FleetSendRateLimiter(tables, Options(new SendQuota(30, 100)), _time, NullLogger<FleetSendRateLimiter>.Instance);

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => limiter.AdmitAsync(null, default).AsTask());
    }

    private FleetSendRateLimiter Limiter(SendQuota quota)
    {
        var limiter = new FleetSendRateLimiter(AppTablesTestKit.Create(azurite.ConnectionString, FleetSendRateLimiter.TableName), Options(quota), _time, NullLogger<FleetSendRateLimiter>.Instance);
        _limiters.Add(limiter);
        return limiter;
    }

    private LifecycleOptions Options(SendQuota quota) => new()
    {
        RatePerMinute = quota.PerMinute.Limit,
        RatePerHour = quota.PerHour.Limit,
        SendQuotaScope = _scope,
    };

    private Task<SendQuotaRow?> RowAsync() =>
        AppTablesTestKit.Create(azurite.ConnectionString, FleetSendRateLimiter.TableName)[FleetSendRateLimiter.TableName].GetAsync<SendQuotaRow>(_scope, "quota");
}
