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
    public void Admit_GreedyInstancesSkewedClocksTokensSpentAtTheLastMoment_NeverMoreThanTheLimitInAnyWindow(int perMinute, int perHour)
    {
        var quota = new SendQuota(perMinute, perHour);

        // The worst case for a window: its first token stamped as early as it can be and spent as late as it may be,
        // its last spent as early as it may be. Every (limit + 1)th token is spent late, the others early.
        var (minuteSpends, _) = GreedyFleet(quota, instances: 4, TimeSpan.FromHours(2.5), lateEvery: perMinute + 1);
        var (hourSpends, _) = GreedyFleet(quota, instances: 4, TimeSpan.FromHours(2.5), lateEvery: perHour + 1);

        Assert.InRange(MaxInWindow(minuteSpends, TimeSpan.FromMinutes(1)), 1, perMinute);
        Assert.InRange(MaxInWindow(hourSpends, TimeSpan.FromHours(1)), 1, perHour);
    }

    [Theory]
    [MemberData(nameof(Quotas))]
    public void Admit_GreedyFleetWithABacklog_UsesAtLeast97PercentOfTheBindingRule(int perMinute, int perHour)
    {
        var quota = new SendQuota(perMinute, perHour);
        var duration = TimeSpan.FromHours(2.5);

        var (spends, end) = GreedyFleet(quota, instances: 4, duration, lateEvery: 1);

        // Over the whole run, the tighter of the two rules is what the backlog can get.
        var sent = spends.Count(s => s < end);
        var allowed = Math.Min(perMinute * duration.TotalMinutes, perHour * duration.TotalHours);
        Assert.True(sent >= 0.97 * allowed, $"{sent} sends of {allowed} allowed ({100 * sent / allowed:F1}%)");
    }

    [Fact]
    public void Admit_GroupLargerThanTheBucket_GrantsWhatIsFreeAndReservesTheRestOneIntervalApart()
    {
        var quota = new SendQuota(600, 36_000);
        var interval = TimeSpan.FromTicks(quota.PerMinute.Interval);

        var admission = quota.Admit(default, Start, callers: 6);

        Assert.Equal(4, quota.MaxLease);
        Assert.Equal(4, admission.Granted);
        Assert.Equal([Start + interval, Start + (2 * interval)], admission.Reserved);
        Assert.Equal(Start.UtcTicks + (6 * quota.PerMinute.Interval), admission.State.MinuteFullAt);
    }

    [Fact]
    public void Admit_NewcomerWhileSendsAreWaiting_IsReservedBehindThemNeverAhead()
    {
        var quota = new SendQuota(30, 1_800);
        var interval = TimeSpan.FromTicks(quota.PerMinute.Interval);
        var waiting = quota.Admit(default, Start, callers: 5);

        // A token has refilled since, but it belongs to the first send waiting: the newcomer queues behind the fourth.
        var newcomer = quota.Admit(waiting.State, Start + (1.5 * interval), callers: 1);

        Assert.Equal((1, 4), (waiting.Granted, waiting.Reserved.Count));
        Assert.Equal(0, newcomer.Granted);
        Assert.Equal(Start + (5 * interval), Assert.Single(newcomer.Reserved));
    }

    [Fact]
    public void Admit_Prefetch_LeasesOnlyTokensThatAreFreeNow()
    {
        var quota = new SendQuota(600, 36_000);

        var first = quota.Admit(default, Start, callers: 1, prefetch: 10);
        var second = quota.Admit(first.State, Start, callers: 1, prefetch: 10);

        Assert.Equal((4, 0), (first.Granted, first.Reserved.Count));
        Assert.Equal(0, second.Granted);
        Assert.Equal(Start.AddTicks(quota.PerMinute.Interval), Assert.Single(second.Reserved));
    }

    [Fact]
    public void Admit_ClockBehindTheLastWriter_StampsNothingEarlierThanTheOthersDid()
    {
        var quota = new SendQuota(30, 1_800);
        var taken = quota.Admit(default, Start, callers: 1);

        // An instance whose clock reads five seconds earlier is reserved the same next token, in its own future.
        var behind = quota.Admit(taken.State, Start.AddSeconds(-5), callers: 1);

        Assert.Equal(0, behind.Granted);
        Assert.Equal(Start.AddTicks(quota.PerMinute.Interval), Assert.Single(behind.Reserved));
    }

    [Fact]
    public void Pause_ReservesNothingBeforeItEnds_AndAShorterPauseDoesNotShortenIt()
    {
        var quota = new SendQuota(30, 1_800);
        var paused = SendQuota.Pause(default, Start.AddSeconds(90));
        paused = SendQuota.Pause(paused, Start.AddSeconds(10));

        var during = quota.Admit(paused, Start.AddSeconds(30), callers: 2);
        var after = quota.Admit(paused, Start.AddSeconds(90), callers: 1);

        Assert.Equal(0, during.Granted);
        Assert.Equal([Start.AddSeconds(90), Start.AddSeconds(90).AddTicks(quota.PerMinute.Interval)], during.Reserved);
        Assert.Equal(1, after.Granted);
    }

    [Fact]
    public void CanSpendReservation_FromItsSlotForOneLeaseLifetime()
    {
        Assert.False(SendQuota.CanSpendReservation(Start, Start.AddTicks(-1)));
        Assert.True(SendQuota.CanSpendReservation(Start, Start));
        Assert.True(SendQuota.CanSpendReservation(Start, Start + SendQuota.LeaseLifetime - TimeSpan.FromTicks(1)));
        Assert.False(SendQuota.CanSpendReservation(Start, Start + SendQuota.LeaseLifetime));
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
    public void Lease_PrefetchFor_HalfTheRecentSpendsLessTheCallers_AtMostMaxLease()
    {
        var lease = new SendTokenLease(maxLease: 4);
        Assert.Equal(0, lease.PrefetchFor(callers: 1, Start));

        for (var i = 0; i < 10; i++)
        {
            lease.RecordSpend(Start.AddMilliseconds(100 * i));
        }

        Assert.Equal(3, lease.PrefetchFor(callers: 1, Start.AddSeconds(1)));
        Assert.Equal(0, lease.PrefetchFor(callers: 6, Start.AddSeconds(1)));

        // Spends older than one lease lifetime no longer count.
        Assert.Equal(0, lease.PrefetchFor(callers: 1, Start.AddSeconds(3)));
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
    /// Instances with clocks spread over the skew allowance, each asking for a token (and as many more as are free)
    /// whenever it may. Every <paramref name="lateEvery"/>th token, granted or reserved, is spent at the last instant
    /// it may be (a reserved one by the instance whose clock is furthest behind), every other one at the first (a
    /// reserved one by the instance furthest ahead). Returns the spends in real time, sorted, and the end of the run.
    /// </summary>
    private static (List<DateTimeOffset> Spends, DateTimeOffset End) GreedyFleet(SendQuota quota, int instances, TimeSpan duration, int lateEvery)
    {
        var skew = SendQuota.ClockSkewAllowance;
        var offsets = Enumerable.Range(0, instances).Select(i => (skew * i / (instances - 1)) - (skew / 2)).ToArray();
        var nextTry = Enumerable.Repeat(Start, instances).ToArray();
        var last = SendQuota.LeaseLifetime - TimeSpan.FromTicks(1);
        var state = default(SendQuotaState);
        var spends = new List<DateTimeOffset>();
        var tokens = 0L;
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
            var admission = quota.Admit(state, local, callers: 1, prefetch: quota.MaxLease - 1);
            state = admission.State;
            for (var g = 0; g < admission.Granted; g++)
            {
                spends.Add(tokens++ % lateEvery == 0 ? local + last - offsets[i] : real);
            }

            foreach (var slot in admission.Reserved)
            {
                spends.Add(tokens++ % lateEvery == 0 ? slot + last + (skew / 2) : slot - (skew / 2));
                nextTry[i] = slot - offsets[i];
            }
        }

        spends.Sort();
        return (spends, end);
    }

    /// <summary>Most of the sorted instants in any half-open window of length <paramref name="window"/>.</summary>
    internal static int MaxInWindow(List<DateTimeOffset> sorted, TimeSpan window)
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
