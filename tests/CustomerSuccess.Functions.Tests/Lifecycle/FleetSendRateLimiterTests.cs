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
    public async Task TryAcquire_FreshScope_GrantsTheBucketThenRefusesUntilTheNextToken()
    {
        var quota = new SendQuota(600, 36_000);
        var limiter = Limiter(quota);

        var granted = new List<SendPermit>();
        for (var i = 0; i < quota.MaxLease; i++)
        {
            granted.Add(await limiter.TryAcquireAsync(default));
        }

        var refused = await limiter.TryAcquireAsync(default);
        _time.Advance(refused.RetryAfter);
        var next = await limiter.TryAcquireAsync(default);

        Assert.All(granted, p => Assert.True(p.Granted));
        Assert.Equal(SendPermit.Refuse(TimeSpan.FromTicks(quota.PerMinute.Interval)), refused);
        Assert.True(next.Granted);
        Assert.Equal(Start.UtcTicks + ((quota.MaxLease + 1) * quota.PerMinute.Interval), (await TokenRowAsync())!.MinuteFullAt);
    }

    [Fact]
    public async Task TryAcquire_SixInstancesEightCallersEach_GrantNoTokenTwiceAndNoMoreThanTheRuleAllows()
    {
        // 600 a minute refills about three tokens per 0.3 s step, fewer than the 48 callers ask for: every step drains
        // the bucket, so the row's full-again instant counts every token ever debited (nothing overflows unrecorded).
        var quota = new SendQuota(600, 36_000);
        var limiters = Enumerable.Range(0, 6).Select(_ => Limiter(quota)).ToList();
        var granted = 0;
        const int Steps = 12;
        for (var step = 0; step < Steps; step++)
        {
            var permits = await Task.WhenAll(limiters.SelectMany(l => Enumerable.Range(0, 8).Select(_ => l.TryAcquireAsync(default).AsTask())));
            granted += permits.Count(p => p.Granted);
            Assert.Contains(permits, p => !p.Granted);
            _time.Advance(TimeSpan.FromMilliseconds(300));
        }

        var elapsed = TimeSpan.FromMilliseconds(300 * (Steps - 1));
        var debited = (int)(((await TokenRowAsync())!.MinuteFullAt - Start.UtcTicks) / quota.PerMinute.Interval);
        var allowed = quota.PerMinute.Capacity + (int)(elapsed.Ticks / quota.PerMinute.Interval);

        Assert.InRange(granted, debited - (limiters.Count * quota.MaxLease), debited);
        Assert.InRange(debited, allowed - limiters.Count, allowed);
        Assert.True(limiters.Sum(l => l.Conflicts) > 0, "the instances never raced for the row");
    }

    [Fact]
    public async Task TryAcquire_SteadySender_LeasesAheadAndDropsWhatOutlivesTheLease()
    {
        // 6,000 a minute: leases of up to 31 tokens. A sender asking one at a time, the clock standing still, has its
        // takes sized from what it spent in the last second: 1, 1, 1, 1, 2 (one left), 3 (two left), 4 (three left).
        var quota = new SendQuota(6_000, 360_000);
        var limiter = Limiter(quota);
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await limiter.TryAcquireAsync(default)).Granted);
        }

        var trips = limiter.RoundTrips;
        Assert.True((await limiter.TryAcquireAsync(default)).Granted);
        var tripsFromLease = limiter.RoundTrips - trips;
        var beforeExpiry = (await TokenRowAsync())!.MinuteFullAt;

        _time.Advance(SendQuota.LeaseLifetime);
        Assert.True((await limiter.TryAcquireAsync(default)).Granted);
        var tripsAfterExpiry = limiter.RoundTrips - trips;
        var afterExpiry = (await TokenRowAsync())!.MinuteFullAt;

        Assert.Equal(0, tripsFromLease);
        Assert.Equal(Start.UtcTicks + (13 * quota.PerMinute.Interval), beforeExpiry); // 13 debited, 11 granted, 2 in the lease

        // The two left went with the lease: the next send paid a round trip (a take of 11 spent / 2 = 5) instead.
        Assert.Equal(2, tripsAfterExpiry);
        Assert.Equal((Start + SendQuota.LeaseLifetime).UtcTicks + (5 * quota.PerMinute.Interval), afterExpiry);
    }

    [Fact]
    public async Task TryAcquire_Refused_RefusesAgainLocallyUntilTheTokenIsDue()
    {
        var quota = new SendQuota(30, 1_800);
        var limiter = Limiter(quota);
        Assert.True((await limiter.TryAcquireAsync(default)).Granted);
        var refused = await limiter.TryAcquireAsync(default);
        var trips = limiter.RoundTrips;

        _time.Advance(refused.RetryAfter / 2);
        var stillRefused = await limiter.TryAcquireAsync(default);
        var tripsWhileEmpty = limiter.RoundTrips - trips;
        _time.Advance(refused.RetryAfter / 2);
        var due = await limiter.TryAcquireAsync(default);

        Assert.False(refused.Granted);
        Assert.Equal(SendPermit.Refuse(refused.RetryAfter - (refused.RetryAfter / 2)), stillRefused);
        Assert.Equal(0, tripsWhileEmpty);
        Assert.True(due.Granted);
    }

    [Fact]
    public async Task PauseUntil_OnOneInstance_EveryOtherInstanceWaitsUntilThen()
    {
        var quota = new SendQuota(30, 100);
        var throttled = Limiter(quota);
        var other = Limiter(quota);

        await throttled.PauseUntilAsync(Start.AddSeconds(90), default);
        _time.Advance(TimeSpan.FromSeconds(30));
        var during = await other.TryAcquireAsync(default);
        _time.Advance(TimeSpan.FromSeconds(60));
        var after = await Limiter(quota).TryAcquireAsync(default);

        Assert.Equal(SendPermit.Refuse(TimeSpan.FromSeconds(60)), during);
        Assert.True(after.Granted);
    }

    [Fact]
    public async Task NextSlot_TwoInstancesTenCallersEach_EverySlotDistinctOneSpacingApart()
    {
        var quota = new SendQuota(30, 100);
        var a = Limiter(quota);
        var b = Limiter(quota);

        var slots = await Task.WhenAll(new[] { a, b }.SelectMany(l => Enumerable.Range(0, 10).Select(_ => l.NextSlotAsync(TimeSpan.FromSeconds(2), default).AsTask())));

        var sorted = slots.Order().ToList();
        Assert.Equal(Start.AddSeconds(2), sorted[0]);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => sorted[0] + (i * quota.SlotSpacing)), sorted);
        Assert.Equal(sorted[^1].UtcTicks, (await TableAsync().GetAsync<SendQuotaRow>(_scope, "slots"))!.LastPromisedSlot);
    }

    [Fact]
    public async Task NextSlot_TenConcurrentCallersOnOneInstance_PromisedInAFewWritesNotTen()
    {
        var limiter = Limiter(new SendQuota(30, 100));

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => limiter.NextSlotAsync(TimeSpan.Zero, default).AsTask()));

        // Each write is a read and a conditional write; ten callers one by one would be twenty round trips.
        Assert.InRange(limiter.RoundTrips, 2, 6);
    }

    [Fact]
    public async Task TryAcquire_StorageUnreachable_ThrowsAndGrantsNothing()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var tables = AppTablesTestKit.Create($"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:{port}/{AzuriteFixture.AccountName};", FleetSendRateLimiter.TableName);
        using var limiter = new FleetSendRateLimiter(tables, Options(new SendQuota(30, 100)), _time, NullLogger<FleetSendRateLimiter>.Instance);

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => limiter.TryAcquireAsync(default).AsTask());
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

    private AppTable TableAsync() => AppTablesTestKit.Create(azurite.ConnectionString, FleetSendRateLimiter.TableName)[FleetSendRateLimiter.TableName];

    private Task<SendQuotaRow?> TokenRowAsync() => TableAsync().GetAsync<SendQuotaRow>(_scope, "tokens");
}
