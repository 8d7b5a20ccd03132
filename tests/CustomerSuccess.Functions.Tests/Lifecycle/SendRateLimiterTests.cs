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
}
