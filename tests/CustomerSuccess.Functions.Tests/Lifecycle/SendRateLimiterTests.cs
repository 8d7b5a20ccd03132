using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

public sealed class SendRateLimiterTests
{
    [Fact]
    public void TokenBucket_SteadyBacklog_NeverExceedsLimitPerWindowAndUsesAtLeast95Percent()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var bucket = new TokenBucket(100, TimeSpan.FromMinutes(1), time);
        var taken = new List<DateTimeOffset>();

        while (taken.Count < 2_000)
        {
            if (bucket.TryTake(out var wait))
            {
                taken.Add(time.GetUtcNow());
            }
            else
            {
                Assert.True(wait > TimeSpan.Zero);
                time.Advance(wait);
            }
        }

        var maxInAnyMinute = taken.Select((t, i) => taken.Skip(i).TakeWhile(x => x - t < TimeSpan.FromMinutes(1)).Count()).Max();
        var perMinute = taken.Count / (taken[^1] - taken[0]).TotalMinutes;
        Assert.True(maxInAnyMinute <= 100, $"max {maxInAnyMinute} in a minute");
        Assert.True(perMinute >= 95, $"rate {perMinute:F1}/min");
    }

    [Fact]
    public void SendRateLimiter_HourlyLimitBinds_WhenLowerThanMinuteRate()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var limiter = new SendRateLimiter(new LifecycleOptions { RatePerMinute = 30, RatePerHour = 100 }, time);
        var sent = 0;

        for (var second = 0; second < 3600; second++)
        {
            while (limiter.TryAcquire(out _))
            {
                sent++;
            }

            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.InRange(sent, 95, 100);
    }

    [Fact]
    public void NextSlot_BacklogRefusedAtOnce_EachComesBackToAGrantedTokenWithinTheQuota()
    {
        // 500 sends refused at the same instant are each given a slot; at its slot each must get a token, so the
        // backlog drains at the refill rate with one deferral per send, never more than the limit in a minute.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var limiter = new SendRateLimiter(new LifecycleOptions { RatePerMinute = 100, RatePerHour = 6000 }, time);
        Assert.True(limiter.TryAcquire(out _));
        var slots = new List<DateTimeOffset>();
        for (var i = 0; i < 500; i++)
        {
            Assert.False(limiter.TryAcquire(out var wait));
            slots.Add(limiter.NextSlot(wait));
        }

        var granted = new List<DateTimeOffset>();
        foreach (var slot in slots)
        {
            time.Advance(slot - time.GetUtcNow());
            Assert.True(limiter.TryAcquire(out _), $"refused at its slot {slot:O}");
            granted.Add(time.GetUtcNow());
        }

        var maxInAnyMinute = granted.Select((t, i) => granted.Skip(i).TakeWhile(x => x - t < TimeSpan.FromMinutes(1)).Count()).Max();
        var perMinute = (granted.Count - 1) / (granted[^1] - granted[0]).TotalMinutes;
        Assert.True(maxInAnyMinute <= 100, $"max {maxInAnyMinute} in a minute");
        Assert.True(perMinute >= 95, $"rate {perMinute:F1}/min");
    }
}
