using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>Time to value and onboarding completion from the simulator's record, by the app's documented formulas, on a hand-made portfolio.</summary>
public sealed class ValueRecordTests
{
    [Fact]
    public void Compute_TimeToValueAndOnboardingCompletion_OverThePeriod()
    {
        NewCustomerRecord[] customers =
        [
            new(10, 14, 22),    // first value after 4 days; onboarding due on 40, done on 22
            new(20, 30, 60),    // 10 days; due on 50, done on 60: late
            new(5, null, null), // never reached value; due on 35, not done
            new(100, 103, null), // value on 103 and due on 130: both after the period
        ];

        var v = ValueRecord.Compute(customers, fromDay: 1, toDay: 80, targetDays: 30);

        Assert.Equal(2, v.TimeToValueAccounts);
        Assert.Equal(7, v.MedianDays);   // mean of 4 and 10
        Assert.Equal(10, v.P90Days);     // the ⌈0.9 × 2⌉ = 2nd smallest
        Assert.Equal((3, 1), (v.OnboardingDue, v.OnboardingOnTime));
        Assert.Equal(1.0 / 3, v.OnboardingRate!.Value, 12);
    }

    [Fact]
    public void Compute_NobodyInThePeriod_NullFigures()
    {
        var v = ValueRecord.Compute([new NewCustomerRecord(200, 205, 210)], fromDay: 1, toDay: 80, targetDays: 30);

        Assert.Equal((0, (double?)null, (double?)null, 0, (double?)null), (v.TimeToValueAccounts, v.MedianDays, v.P90Days, v.OnboardingDue, v.OnboardingRate));
    }
}
