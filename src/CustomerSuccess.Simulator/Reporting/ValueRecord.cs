namespace CustomerSuccess.Simulator.Reporting;

/// <summary>One new customer as the simulator made it: the day its subscription started, and the days it sent its first-value and onboarding-completed milestones.</summary>
internal sealed record NewCustomerRecord(int StartDay, int? FirstValueDay, int? OnboardingCompletedDay);

/// <summary>
/// Time to value and onboarding completion from the simulator's own record, by the formulas the app documents for
/// GET /api/metrics, so the two can stand side by side: time to value over the accounts that reached first value in
/// the period (days from the subscription's start; median, the mean of the middle two for an even count; p90, the
/// ⌈0.9·n⌉-th smallest); onboarding due when start + target days falls in the period, on time when completed by then.
/// </summary>
internal sealed record ValueRecord(int TimeToValueAccounts, double? MedianDays, double? P90Days, int TargetDays, int OnboardingDue, int OnboardingOnTime, double? OnboardingRate)
{
    public static ValueRecord Compute(IEnumerable<NewCustomerRecord> customers, int fromDay, int toDay, int targetDays)
    {
        ArgumentNullException.ThrowIfNull(customers);
        var list = customers.ToList();
        var days = list.Where(c => c.FirstValueDay is { } d && d >= fromDay && d <= toDay)
            .Select(c => (double)Math.Max(0, c.FirstValueDay!.Value - c.StartDay))
            .Order()
            .ToList();
        double? median = days.Count == 0 ? null : days.Count % 2 == 1 ? days[days.Count / 2] : (days[(days.Count / 2) - 1] + days[days.Count / 2]) / 2;
        double? p90 = days.Count == 0 ? null : days[(int)Math.Ceiling(0.9 * days.Count) - 1];
        var due = list.Where(c => c.StartDay + targetDays >= fromDay && c.StartDay + targetDays <= toDay).ToList();
        var onTime = due.Count(c => c.OnboardingCompletedDay is { } done && done <= c.StartDay + targetDays);
        return new ValueRecord(days.Count, median, p90, targetDays, due.Count, onTime, due.Count == 0 ? null : (double)onTime / due.Count);
    }
}
