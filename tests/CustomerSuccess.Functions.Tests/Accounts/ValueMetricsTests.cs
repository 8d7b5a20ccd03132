using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>Time to value, onboarding completion and QBR completion on a portfolio worked out by hand.</summary>
public sealed class ValueMetricsTests
{
    private static readonly DateOnly From = new(2031, 3, 1);
    private static readonly DateOnly To = new(2031, 3, 31);
    private static readonly ValueMetricsSettings Settings = new("first_value", ["setup", "first_value"], OnboardingTargetDays: 30, QbrCadenceDays: 91);

    private static DateTimeOffset At(int month, int day, int hour = 0) => new(2031, month, day, hour, 0, 0, TimeSpan.Zero);

    private static AccountState Account(string id, DateTimeOffset? started, long mrrAtStart, DateTimeOffset? setup, DateTimeOffset? firstValue, params (int Month, int Day, int Qbrs)[] qbrs)
    {
        var state = new AccountState { AccountId = id, MrrBeforeMovements = mrrAtStart };
        state.Subscriptions["sub"] = new SubscriptionState { StartedAt = started, MrrCents = mrrAtStart, Status = "active" };
        if (setup is { } s)
        {
            state.Milestones["setup"] = s.ToUnixTimeMilliseconds();
        }

        if (firstValue is { } v)
        {
            state.Milestones["first_value"] = v.ToUnixTimeMilliseconds();
        }

        state.Days.AddRange(qbrs.Select(q => new DayCounts { Day = new DateOnly(2031, q.Month, q.Day).DayNumber, Qbrs = q.Qbrs }));
        return state;
    }

    private static ValueMetrics Build(DateOnly from, DateOnly today, params (AccountState Account, bool GetsQbrs)[] accounts)
    {
        var builder = new ValueMetricsBuilder(from, To, today, Settings);
        foreach (var (account, getsQbrs) in accounts)
        {
            builder.Add(account, getsQbrs);
        }

        return builder.Build();
    }

    private static (AccountState, bool)[] Portfolio() =>
    [
        // A: 10 days to value; target Mar 22, onboarding done Mar 2: on time; a QBR on Mar 5.
        (Account("a", At(2, 20), 100_000, At(2, 25), At(3, 2), (3, 5, 1)), true),
        // B: 69.5 days to value; target Jan 31 is before the period; a QBR in February (before the period), one on Mar 20.
        (Account("b", At(1, 1), 100_000, At(1, 5), At(3, 11, 12), (2, 27, 1), (3, 20, 1)), true),
        // C: 49.25 days to value; target Mar 12, first value Mar 31: late. Tech-touch: its QBR is not counted.
        (Account("c", At(2, 10), 100_000, At(2, 15), At(3, 31, 6), (3, 10, 1)), false),
        // D: target Apr 4, no first value: not due, not in time to value.
        (Account("d", At(3, 5), 0, null, null), true),
        // E: first value before the period; target Mar 3, setup never done: late.
        (Account("e", At(2, 1), 100_000, null, At(1, 25)), true),
        // F: first value in a trial, two days before the contract: 0 days; target Apr 9.
        (Account("f", At(3, 10), 0, At(3, 8), At(3, 8)), true),
        // G: 14 days to value on the period's first day; target Mar 17, done Mar 1: on time.
        (Account("g", At(2, 15), 100_000, At(2, 20), At(3, 1)), true),
        // H: target Mar 31, first value Apr 1 (after the period): late, and not in time to value.
        (Account("h", At(3, 1), 0, At(3, 2), At(4, 1)), true),
        // No subscription start: in no onboarding figure.
        (Account("i", null, 0, At(3, 3), At(3, 3)), true),
    ];

    [Fact]
    public void TimeToValue_HandComputed_MedianAndNearestRankP90()
    {
        // Days to value in the period: 0 (F), 10 (A), 14 (G), 49.25 (C), 69.5 (B). Median the 3rd, p90 rank ⌈4.5⌉ = 5th.
        var metrics = Build(From, new DateOnly(2031, 4, 1), Portfolio());

        Assert.Equal(new TimeToValueMetrics(5, 14, 69.5), metrics.TimeToValue);
    }

    [Fact]
    public void TimeToValue_EvenCount_MedianIsTheMeanOfTheMiddleTwo()
    {
        var metrics = Build(From, new DateOnly(2031, 4, 1), Portfolio().Where(p => p.Item1.AccountId is "a" or "b" or "f" or "g").ToArray());

        // 0, 10, 14, 69.5: median (10 + 14) / 2; p90 rank ⌈3.6⌉ = 4th.
        Assert.Equal(new TimeToValueMetrics(4, 12, 69.5), metrics.TimeToValue);
    }

    [Fact]
    public void Onboarding_HandComputed_DueWhenTheTargetDayFallsInThePeriod()
    {
        // Due: A (on time), C (late), E (late), G (on time), H (late).
        var metrics = Build(From, new DateOnly(2031, 4, 1), Portfolio());

        Assert.Equal(new OnboardingCompletionMetrics(30, 5, 2, 0.4), metrics.Onboarding);
    }

    [Fact]
    public void Qbr_HandComputed_HeldOverDueAtTheCadence()
    {
        // Due from the paying accounts with QBRs at the start: A, B, E, G = 4, each 31/91 of a QBR; held in the period: A 1, B 1.
        var metrics = Build(From, new DateOnly(2031, 4, 1), Portfolio());

        Assert.Equal((91, 4, 2), (metrics.Qbr.CadenceDays, metrics.Qbr.AccountsDue, metrics.Qbr.QbrsHeld));
        Assert.Equal(4 * 31 / 91d, metrics.Qbr.QbrsDue, 12);
        Assert.Equal(2 / (4 * 31 / 91d), metrics.Qbr.Rate!.Value, 12);
    }

    [Fact]
    public void Qbr_PeriodBeforeTheKeptCounters_RateUnknown()
    {
        var metrics = Build(From, From.AddDays(AccountState.DaysKept + 1), Portfolio());

        Assert.Null(metrics.Qbr.Rate);
        Assert.Equal(4, metrics.Qbr.AccountsDue);
    }

    [Fact]
    public void Empty_EveryRateUndefined()
    {
        var metrics = Build(From, new DateOnly(2031, 4, 1));

        Assert.Equal(new ValueMetrics(new TimeToValueMetrics(0, null, null), new OnboardingCompletionMetrics(30, 0, 0, null), new QbrCompletionMetrics(91, 0, 0, 0, null)), metrics);
    }
}
