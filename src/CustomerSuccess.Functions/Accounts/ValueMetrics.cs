namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Time to value over a period: the accounts that reached first value in it (both days included), and the median and
/// 90th percentile of their days from contract start (the first subscription's start) to the first-value milestone.
/// A milestone reached before the contract started (during a trial) counts as 0 days. The median of an even count is
/// the mean of the middle two; the 90th percentile is the nearest rank (the ⌈0.9·n⌉-th smallest). Null when no account
/// reached first value in the period.
/// </summary>
public sealed record TimeToValueMetrics(int Accounts, double? MedianDays, double? P90Days);

/// <summary>
/// Onboarding completion within the target: the accounts whose target day (contract start + <see cref="TargetDays"/>)
/// fell in the period are due; those that completed onboarding by then (every configured onboarding milestone reached,
/// or first value when none is configured: the health model's definition) completed on time. Rate = on time ÷ due,
/// null when none was due.
/// </summary>
public sealed record OnboardingCompletionMetrics(int TargetDays, int AccountsDue, int CompletedOnTime, double? Rate);

/// <summary>
/// QBR completion: QBRs held in the period ÷ QBRs due. The accounts due are the paying accounts at the start of the
/// period that get QBRs (by segment); QBRs run on a calendar cadence, one per <see cref="CadenceDays"/>, so QBRs due =
/// accounts due × period days ÷ cadence days (for a quarter: one per account). Null when none is due, or when the
/// period starts before the daily counters the app keeps (<see cref="AccountState.DaysKept"/> days), which would
/// undercount the QBRs held.
/// </summary>
public sealed record QbrCompletionMetrics(int CadenceDays, int AccountsDue, double QbrsDue, int QbrsHeld, double? Rate);

/// <summary>The value metrics of one period: time to value, onboarding completion, QBR completion.</summary>
public sealed record ValueMetrics(TimeToValueMetrics TimeToValue, OnboardingCompletionMetrics Onboarding, QbrCompletionMetrics Qbr);

/// <summary>The vocabulary and targets the value metrics read: milestone names, onboarding target days, QBR cadence.</summary>
internal sealed record ValueMetricsSettings(string FirstValueMilestone, IReadOnlyList<string> OnboardingMilestones, int OnboardingTargetDays, int QbrCadenceDays)
{
    public static ValueMetricsSettings From(ProductOptions product, int onboardingTargetDays, int qbrCadenceDays)
    {
        ArgumentNullException.ThrowIfNull(product);
        return new(product.FirstValueMilestone, product.OnboardingMilestones.Count > 0 ? [.. product.OnboardingMilestones] : [product.FirstValueMilestone], onboardingTargetDays, qbrCadenceDays);
    }
}

/// <summary>Adds accounts one at a time, then computes <see cref="ValueMetrics"/> over [from, to] (UTC days, both included). Pure.</summary>
internal sealed class ValueMetricsBuilder(DateOnly from, DateOnly to, DateOnly today, ValueMetricsSettings settings)
{
    private const double DayMs = 86_400_000d;
    private readonly long _fromMs = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
    private readonly long _endMs = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
    private readonly List<double> _daysToValue = [];
    private int _onboardingDue;
    private int _onboardingOnTime;
    private int _qbrAccounts;
    private int _qbrsHeld;

    /// <summary>Adds one account; <paramref name="getsQbrs"/>: whether its segment has QBRs.</summary>
    public void Add(AccountState account, bool getsQbrs)
    {
        ArgumentNullException.ThrowIfNull(account);
        var start = ContractStart(account);
        if (start is { } started)
        {
            if (Reached(account, settings.FirstValueMilestone) is { } value && value >= _fromMs && value < _endMs)
            {
                _daysToValue.Add(Math.Max(0, value - started) / DayMs);
            }

            var target = started + (settings.OnboardingTargetDays * (long)DayMs);
            if (target >= _fromMs && target < _endMs)
            {
                _onboardingDue++;
                _onboardingOnTime += CompletedOnboarding(account) is { } done && done <= target ? 1 : 0;
            }
        }

        if (getsQbrs && account.MrrAtStartOf(from.DayNumber) > 0)
        {
            _qbrAccounts++;
            foreach (var day in account.Days)
            {
                _qbrsHeld += day.Day >= from.DayNumber && day.Day <= to.DayNumber ? day.Qbrs : 0;
            }
        }
    }

    public ValueMetrics Build()
    {
        _daysToValue.Sort();
        var n = _daysToValue.Count;
        double? median = n == 0 ? null : n % 2 == 1 ? _daysToValue[n / 2] : (_daysToValue[(n / 2) - 1] + _daysToValue[n / 2]) / 2;
        double? p90 = n == 0 ? null : _daysToValue[(int)Math.Ceiling(0.9 * n) - 1];
        var periodDays = to.DayNumber - from.DayNumber + 1;
        var qbrsDue = _qbrAccounts * (double)periodDays / settings.QbrCadenceDays;
        var countersComplete = from.DayNumber >= today.DayNumber - AccountState.DaysKept;
        return new ValueMetrics(
            new TimeToValueMetrics(n, median, p90),
            new OnboardingCompletionMetrics(settings.OnboardingTargetDays, _onboardingDue, _onboardingOnTime, _onboardingDue == 0 ? null : (double)_onboardingOnTime / _onboardingDue),
            new QbrCompletionMetrics(settings.QbrCadenceDays, _qbrAccounts, qbrsDue, _qbrsHeld, _qbrAccounts == 0 || !countersComplete ? null : _qbrsHeld / qbrsDue));
    }

    /// <summary>When the first subscription started (Unix ms), the contract's start; null when no subscription says.</summary>
    private static long? ContractStart(AccountState account)
    {
        long? start = null;
        foreach (var sub in account.Subscriptions.Values)
        {
            if (sub.StartedAt is { } started && (start is null || started.ToUnixTimeMilliseconds() < start))
            {
                start = started.ToUnixTimeMilliseconds();
            }
        }

        return start;
    }

    private static long? Reached(AccountState account, string milestone)
    {
        foreach (var (name, at) in account.Milestones)
        {
            if (string.Equals(name, milestone, StringComparison.OrdinalIgnoreCase))
            {
                return at;
            }
        }

        return null;
    }

    /// <summary>When the last of the onboarding milestones was reached; null while any is missing.</summary>
    private long? CompletedOnboarding(AccountState account)
    {
        long done = 0;
        foreach (var milestone in settings.OnboardingMilestones)
        {
            if (Reached(account, milestone) is not { } at)
            {
                return null;
            }

            done = Math.Max(done, at);
        }

        return done;
    }
}
