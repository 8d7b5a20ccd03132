using System.ComponentModel.DataAnnotations;
using CustomerSuccess.Functions.Lifecycle;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>The fleet's send quota as pure arithmetic: state in, state out, time passed in.</summary>
public sealed class SendQuotaTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<int, int> Quotas => new()
    {
        { 5, 10 },        // ACS, Azure-managed domain
        { 30, 100 },      // ACS, custom domain (the app's default)
        { 30, 1_800 },    // the minute rule binds
        { 600, 36_000 },  // a raised quota: leases of several tokens
        { 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Quotas))]
    public void Take_GreedyInstancesSkewedClocksLeasesSpentAtTheLastMoment_NeverMoreThanTheLimitInAnyWindow(int perMinute, int perHour)
    {
        var quota = new SendQuota(perMinute, perHour);

        var spends = GreedyFleet(quota, instances: 4, TimeSpan.FromHours(2.5));

        Assert.InRange(MaxInWindow(spends, TimeSpan.FromMinutes(1)), 1, perMinute);
        Assert.InRange(MaxInWindow(spends, TimeSpan.FromHours(1)), 1, perHour);
    }

    [Theory]
    [MemberData(nameof(Quotas))]
    public void Take_GreedyFleetWithABacklog_UsesAtLeast97PercentOfTheBindingRule(int perMinute, int perHour)
    {
        var quota = new SendQuota(perMinute, perHour);
        var duration = TimeSpan.FromHours(2.5);

        var spends = GreedyFleet(quota, instances: 4, duration);

        // Over the whole run, the tighter of the two rules is what the backlog can get.
        var allowed = Math.Min(perMinute * duration.TotalMinutes, perHour * duration.TotalHours);
        Assert.True(spends.Count >= 0.97 * allowed, $"{spends.Count} sends of {allowed} allowed ({100 * spends.Count / allowed:F1}%)");
    }

    [Fact]
    public void Take_AsksForMoreThanALease_GrantsAtMostMaxLeaseThenWaitsOneInterval()
    {
        var quota = new SendQuota(600, 36_000);

        var first = quota.Take(default, Start, wanted: 100);
        var second = quota.Take(first.State, Start, wanted: 1);

        Assert.Equal(quota.MaxLease, first.Granted);
        Assert.Equal(4, quota.MaxLease);
        Assert.Equal(0, second.Granted);
        Assert.Equal(TimeSpan.FromTicks(quota.PerMinute.Interval), second.RetryAfter);
        Assert.Equal(1, quota.Take(first.State, Start + second.RetryAfter, wanted: 1).Granted);
    }

    [Fact]
    public void Take_ClockBehindTheLastWriter_TakesNothingEarlierThanItWould()
    {
        var quota = new SendQuota(30, 1_800);
        var taken = quota.Take(default, Start, wanted: 1);

        // An instance whose clock reads five seconds earlier sees the debt five seconds larger.
        var behind = quota.Take(taken.State, Start.AddSeconds(-5), wanted: 1);

        Assert.Equal(0, behind.Granted);
        Assert.Equal(TimeSpan.FromTicks(quota.PerMinute.Interval) + TimeSpan.FromSeconds(5), behind.RetryAfter);
    }

    [Fact]
    public void Pause_RefusesEveryTakeUntilThen_AndAShorterPauseDoesNotShortenIt()
    {
        var quota = new SendQuota(30, 100);
        var paused = SendQuota.Pause(default, Start.AddSeconds(90));
        paused = SendQuota.Pause(paused, Start.AddSeconds(10));

        var during = quota.Take(paused, Start.AddSeconds(30), wanted: 1);
        var after = quota.Take(paused, Start.AddSeconds(90), wanted: 1);

        Assert.Equal((0, TimeSpan.FromSeconds(60)), (during.Granted, during.RetryAfter));
        Assert.Equal(1, after.Granted);
    }

    [Fact]
    public void PromiseSlots_AfterRetryAfterAndOneSpacingAfterTheLastPromise()
    {
        var quota = new SendQuota(30, 100);

        var (last, first) = quota.PromiseSlots(0, Start, TimeSpan.FromSeconds(5), count: 3);
        var (_, next) = quota.PromiseSlots(last, Start, TimeSpan.FromSeconds(1), count: 1);

        Assert.Equal([Start.AddSeconds(5), Start.AddSeconds(5) + quota.SlotSpacing, Start.AddSeconds(5) + (2 * quota.SlotSpacing)], first);
        Assert.Equal(first[^1] + quota.SlotSpacing, Assert.Single(next));
        Assert.Equal(TimeSpan.FromTicks(quota.PerHour.Interval), quota.SlotSpacing);
    }

    [Theory]
    [InlineData(100, 6_000)]
    [InlineData(30, 100)]
    public void PromiseSlots_BacklogRefusedAtOnceInGroups_EachComesBackToAToken(int perMinute, int perHour)
    {
        // 500 sends refused at the same instant by several instances, each promising slots for a group of them: at
        // its slot each must get a token, so the backlog drains at the refill rate with one deferral per send.
        var quota = new SendQuota(perMinute, perHour);
        var state = quota.Take(default, Start, quota.MaxLease).State;
        var refused = quota.Take(state, Start, 1);
        Assert.Equal(0, refused.Granted);
        var slots = new List<DateTimeOffset>();
        var last = 0L;
        int[] groups = [1, 16, 3, 16, 7];
        for (var g = 0; slots.Count < 500; g++)
        {
            (last, var promised) = quota.PromiseSlots(last, Start, refused.RetryAfter, groups[g % groups.Length]);
            slots.AddRange(promised);
        }

        var granted = new List<DateTimeOffset>();
        foreach (var slot in slots.Take(500))
        {
            var take = quota.Take(state, slot, 1);
            Assert.True(take.Granted == 1, $"refused at its slot {slot:O}, {take.RetryAfter} early");
            state = take.State;
            granted.Add(slot);
        }

        Assert.InRange(MaxInWindow(granted, TimeSpan.FromMinutes(1)), 1, perMinute);
        Assert.InRange(MaxInWindow(granted, TimeSpan.FromHours(1)), 1, perHour);
    }

    [Fact]
    public void Lease_AfterItsLifetimeFromTheRequest_DropsWhatIsLeft()
    {
        var lease = new SendTokenLease(maxLease: 4);
        lease.Hold(3, requestedAt: Start);

        var inTime = lease.TryTake(Start + SendQuota.LeaseLifetime - TimeSpan.FromTicks(1));
        var late = lease.TryTake(Start + SendQuota.LeaseLifetime);
        var afterwards = lease.TryTake(Start);

        Assert.True(inTime);
        Assert.False(late);
        Assert.False(afterwards);
    }

    [Fact]
    public void Lease_NextTakeSize_CallersWaitingOrHalfTheRecentSpends_AtMostMaxLease()
    {
        var lease = new SendTokenLease(maxLease: 8);
        Assert.Equal(1, lease.NextTakeSize(waiting: 1, Start));
        Assert.Equal(3, lease.NextTakeSize(waiting: 3, Start));
        Assert.Equal(8, lease.NextTakeSize(waiting: 40, Start));

        for (var i = 0; i < 10; i++)
        {
            lease.RecordSpend(Start.AddMilliseconds(100 * i));
        }

        Assert.Equal(5, lease.NextTakeSize(waiting: 1, Start.AddSeconds(1)));

        // Spends older than one lease lifetime no longer count.
        Assert.Equal(1, lease.NextTakeSize(waiting: 1, Start.AddSeconds(3)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("tab\there")]
    public void Options_InvalidSendQuotaScope_IsRejectedNamingTheSetting(string scope)
    {
        var options = new LifecycleOptions { SendQuotaScope = scope, UnsubscribeBaseUrl = new Uri("https://x.example/u"), UnsubscribeSigningKey = new string('k', 32) };

        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("Lifecycle__SendQuotaScope", StringComparison.Ordinal));
    }

    /// <summary>
    /// Instances with clocks spread over the skew allowance, each taking as many tokens as it may whenever it may, and
    /// spending every leased token at the last instant its lease allows. Returns the spends in real time, sorted.
    /// </summary>
    private static List<DateTimeOffset> GreedyFleet(SendQuota quota, int instances, TimeSpan duration)
    {
        var offsets = Enumerable.Range(0, instances).Select(i => SendQuota.ClockSkewAllowance * i / (instances - 1) - (SendQuota.ClockSkewAllowance / 2)).ToArray();
        var nextTry = Enumerable.Repeat(Start, instances).ToArray();
        var state = default(SendQuotaState);
        var spends = new List<DateTimeOffset>();
        var end = Start + duration;
        while (true)
        {
            var i = Array.IndexOf(nextTry, nextTry.Min());
            var real = nextTry[i];
            if (real >= end)
            {
                break;
            }

            var local = real + offsets[i];
            var take = quota.Take(state, local, quota.MaxLease);
            if (take.Granted == 0)
            {
                nextTry[i] = real + take.RetryAfter;
                continue;
            }

            state = take.State;
            var lastMoment = local + SendQuota.LeaseLifetime - TimeSpan.FromTicks(1) - offsets[i];
            spends.AddRange(Enumerable.Repeat(lastMoment, take.Granted));
        }

        spends.Sort();
        return spends;
    }

    private static int MaxInWindow(List<DateTimeOffset> sorted, TimeSpan window)
    {
        var max = 0;
        var left = 0;
        for (var right = 0; right < sorted.Count; right++)
        {
            while (sorted[right] - sorted[left] >= window)
            {
                left++;
            }

            max = Math.Max(max, right - left + 1);
        }

        return max;
    }
}
