using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Tests.Expansion;

/// <summary>The expansion signals, the value gate and the estimate, pure, each on a hand-computed example.</summary>
public sealed class ExpansionDetectorTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);
    private static readonly ValueMilestone First = new("first_value");
    private readonly ExpansionOptions _options = new();

    private static AccountSignals Account(int seats = 50, int active = 30, long mrrCents = 500_000, bool firstValue = true) => new()
    {
        AccountId = "acc-1",
        MrrCents = mrrCents,
        LicensedSeats = seats,
        ActiveUsers30d = active,
        ObservedSince = Now.AddDays(-200),
        Milestones = firstValue ? new Dictionary<string, DateTimeOffset> { ["first_value"] = Now.AddDays(-150) } : new Dictionary<string, DateTimeOffset>(),
    };

    private static HealthTransition Health(HealthBand band = HealthBand.Green, int daysInBand = 10, HealthTrend trend = HealthTrend.Stable, AccountLifecycleState lifecycle = AccountLifecycleState.Active) => new()
    {
        AccountId = "acc-1",
        RunId = "run",
        ScoredAt = Now,
        Score = band == HealthBand.Green ? 82 : 60,
        Band = band,
        DaysInBand = daysInBand,
        Trend = trend,
        Lifecycle = lifecycle,
    };

    /// <summary>Product events per day: <paramref name="earlier"/> on each of days −56..−29, <paramref name="recent"/> on −28..−1, and a busy today.</summary>
    private static DailySignals[] Usage(int earlier, int recent) =>
    [
        .. Enumerable.Range(29, 28).Select(ago => new DailySignals { Day = Today.AddDays(-ago), Events = earlier }),
        .. Enumerable.Range(1, 28).Select(ago => new DailySignals { Day = Today.AddDays(-ago), Events = recent }),
        new DailySignals { Day = Today, Events = 10_000 },
    ];

    [Fact]
    public void SeatUtilization_46Of50Active_SignalsWithItsShare()
    {
        var signal = ExpansionDetector.SeatUtilization(Account(active: 46), _options);

        Assert.NotNull(signal);
        Assert.Equal(ExpansionSignalKinds.SeatUtilization, signal.Kind);
        Assert.Equal(0.92, signal.Figures["utilization"]);
        Assert.Equal((46d, 50d), (signal.Figures["activePeople"], signal.Figures["licensedSeats"]));
        Assert.Contains("46 of 50 seats", signal.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(40, 50)] // exactly 80%: not above it
    [InlineData(12, 50)]
    [InlineData(5, 0)] // no licence known
    public void SeatUtilization_AtOrBelowTheShare_NoSignal(int active, int seats) =>
        Assert.Null(ExpansionDetector.SeatUtilization(Account(seats, active), _options));

    [Fact]
    public void SeatUtilization_ConfiguredShare_IsTheLine() =>
        Assert.NotNull(ExpansionDetector.SeatUtilization(Account(50, 36), new ExpansionOptions { SeatUtilizationShare = 0.7 }));

    [Fact]
    public void UsageGrowth_30PercentMoreEventsThanTheMonthBefore_SignalsFromFullDaysOnly()
    {
        // 28 × 10 = 280 events before, 28 × 13 = 364 since: (364 − 280) / 280 = 30%; today's 10,000 are not a full day.
        var signal = ExpansionDetector.UsageGrowth(Account() with { Days = Usage(10, 13) }, _options, Now);

        Assert.NotNull(signal);
        Assert.Equal((364d, 280d, 0.3), (signal.Figures["eventsRecent"], signal.Figures["eventsBefore"], signal.Figures["growth"]));
    }

    [Fact]
    public void UsageGrowth_10Percent_BelowTheDefault20_NoSignal() =>
        Assert.Null(ExpansionDetector.UsageGrowth(Account() with { Days = Usage(10, 11) }, _options, Now));

    [Fact]
    public void UsageGrowth_NotWatchedForBothMonths_NoSignal() =>
        Assert.Null(ExpansionDetector.UsageGrowth(Account() with { Days = Usage(10, 20), ObservedSince = Now.AddDays(-40) }, _options, Now));

    [Fact]
    public void UsageGrowth_TooFewEventsBefore_NoSignal() =>
        // 28 × 1 = 28 events before, under the 50 that make growth readable.
        Assert.Null(ExpansionDetector.UsageGrowth(Account() with { Days = Usage(1, 5) }, _options, Now));

    [Fact]
    public void HigherTierFeatures_TriedWithinTheLookback_OneSignalEach()
    {
        var account = Account() with
        {
            HigherTierFeaturesTried = new Dictionary<string, DateTimeOffset> { ["SSO"] = Now.AddDays(-10), ["Audit Log"] = Now.AddDays(-31) },
        };

        var signal = Assert.Single(ExpansionDetector.HigherTierFeatures(account, _options, Now));

        Assert.Equal(ExpansionSignalKinds.HigherTierFeature, signal.Kind);
        Assert.Contains("SSO", signal.Reason, StringComparison.Ordinal);
        Assert.Equal(10d, signal.Figures["daysAgo"]);
    }

    [Fact]
    public void NewDepartments_ActiveNowAndNotBefore_WithTheLeastPeople()
    {
        var account = Account() with
        {
            Departments = [new DepartmentActivity("Finance", 3, 0), new DepartmentActivity("Sales", 5, 4), new DepartmentActivity("Legal", 1, 0)],
        };

        var signal = Assert.Single(ExpansionDetector.NewDepartments(account, _options));

        Assert.Contains("Finance", signal.Reason, StringComparison.Ordinal);
        Assert.Equal(3d, signal.Figures["activeRecent"]);
    }

    [Fact]
    public void ChampionTitleChanges_TheChampionsOnlyWithinTheLookback()
    {
        var account = Account() with
        {
            Users =
            [
                new AccountUser("u1", null, "Ana", Title: "VP Operations", Champion: true, PreviousTitle: "Ops Manager", TitleChangedAt: Now.AddDays(-20)),
                new AccountUser("u2", null, "Bo", Title: "Director", Champion: false, PreviousTitle: "Manager", TitleChangedAt: Now.AddDays(-5)),
                new AccountUser("u3", null, "Cy", Title: "CTO", Champion: true, PreviousTitle: "VP Eng", TitleChangedAt: Now.AddDays(-120)),
            ],
        };

        var signal = Assert.Single(ExpansionDetector.ChampionTitleChanges(account, _options, Now));

        Assert.Equal(ExpansionSignalKinds.ChampionTitleChange, signal.Kind);
        Assert.Contains("Ana now VP Operations (was Ops Manager)", signal.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HealthBand.Green, 60, true)]
    [InlineData(HealthBand.Green, 59, false)]
    [InlineData(HealthBand.Yellow, 90, false)]
    public void SustainedGreen_SixtyDaysInGreen(HealthBand band, int days, bool signals) =>
        Assert.Equal(signals, ExpansionDetector.SustainedGreen(Health(band, days), _options) is not null);

    [Theory]
    [InlineData(true, HealthBand.Green, HealthTrend.Stable, true)]
    [InlineData(true, HealthBand.Yellow, HealthTrend.Improving, true)]
    [InlineData(true, HealthBand.Yellow, HealthTrend.Stable, false)]
    [InlineData(true, HealthBand.Red, HealthTrend.Declining, false)]
    [InlineData(false, HealthBand.Green, HealthTrend.Improving, false)]
    public void Gate_FirstValueAndGreenOrRising(bool firstValue, HealthBand band, HealthTrend trend, bool passed)
    {
        var gate = ExpansionDetector.Gate(Account(firstValue: firstValue), Health(band, trend: trend), First);

        Assert.Equal(passed, gate.Passed);
        Assert.Equal(firstValue, gate.FirstValueReached);
    }

    [Fact]
    public void Gate_NoMilestoneButFirstSeenAfterOnboarding_ReachedOutOfSight()
    {
        // A customer since 300 days before the app first saw it (200 days ago): past the 90-day window, value was reached unseen.
        var veteran = Account(firstValue: false) with { CustomerSince = Now.AddDays(-500) };
        var newcomer = Account(firstValue: false) with { CustomerSince = Now.AddDays(-250) };

        Assert.True(ExpansionDetector.Gate(veteran, Health(), First).Passed);
        Assert.False(ExpansionDetector.Gate(newcomer, Health(), First).Passed);
    }

    [Fact]
    public void Estimate_SeatsOverTheShare_SeatsThatBringUseBackUnderIt()
    {
        // $5,000 MRR over 50 seats = $100 a seat; 46 active ÷ 0.8 = 57.5 → 58 seats, 8 more (the least step is 5): $800.
        var estimate = ExpansionDetector.Estimate(Account(50, 46, 500_000), _options);

        Assert.Equal(new ExpansionEstimate(50, 46, 8, 10_000, 80_000), estimate);
    }

    [Fact]
    public void Estimate_NoSeatPressure_TheLeastStep()
    {
        // 30 active ÷ 0.8 = 37.5 → 38 seats, under the 50 held; the least step is ⌈50 × 10%⌉ = 5 seats × $100 = $500.
        Assert.Equal(new ExpansionEstimate(50, 30, 5, 10_000, 50_000), ExpansionDetector.Estimate(Account(50, 30, 500_000), _options));
    }

    [Fact]
    public void Estimate_SeatPriceRoundsToTheCent_AndAtLeastOneSeat()
    {
        // $1,000 over 3 seats = $333.33 a seat; ⌈3 × 10%⌉ = 1 seat; 2 active need ⌈2.5⌉ = 3 seats, none more.
        Assert.Equal(new ExpansionEstimate(3, 2, 1, 33_333, 33_333), ExpansionDetector.Estimate(Account(3, 2, 100_000), _options));
    }

    [Fact]
    public void Estimate_NoLicenceKnown_TheLeastStepOfMrr() =>
        // $1,200 × 10% = $120.
        Assert.Equal(new ExpansionEstimate(0, 4, 0, 0, 12_000), ExpansionDetector.Estimate(Account(0, 4, 120_000), _options));

    [Fact]
    public void Assess_SeatsAndGrowthPastTheGate_OneOpportunityWithReasonFiguresAndEstimate()
    {
        var assessment = ExpansionDetector.Assess(Account(50, 46) with { Days = Usage(10, 13) }, Health(HealthBand.Green, 70), _options, First, Now);

        var opportunity = Assert.IsType<ExpansionOpportunity>(assessment.Opportunity);
        Assert.Equal(
            [ExpansionSignalKinds.SeatUtilization, ExpansionSignalKinds.UsageGrowth, ExpansionSignalKinds.SustainedGreen],
            opportunity.Signals.Select(s => s.Kind));
        Assert.Equal(80_000, opportunity.Estimate.ExpansionMrrCents);
        Assert.StartsWith("Expansion opportunity: 46 of 50 seats active in 30 days (92", opportunity.Reason, StringComparison.Ordinal);
        Assert.EndsWith("est. +$800.00 MRR (8 seats at $100.00)", opportunity.Reason, StringComparison.Ordinal);
        Assert.Contains("first value reached, Green", opportunity.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_SignalsWithoutValue_ReportedButNoOpportunity()
    {
        var assessment = ExpansionDetector.Assess(Account(50, 46, firstValue: false), Health(), _options, First, Now);

        Assert.Null(assessment.Opportunity);
        Assert.Single(assessment.Signals);
        Assert.False(assessment.Gate.Passed);
    }

    [Fact]
    public void Assess_SustainedGreenAlone_NoOpportunityUnlessConfigured()
    {
        var account = Account(50, 20);
        var green = Health(HealthBand.Green, 75);

        Assert.Null(ExpansionDetector.Assess(account, green, _options, First, Now).Opportunity);
        Assert.NotNull(ExpansionDetector.Assess(account, green, new ExpansionOptions { SustainedGreenAlone = true }, First, Now).Opportunity);
    }

    [Theory]
    [InlineData(AccountLifecycleState.Cancelling)]
    [InlineData(AccountLifecycleState.Onboarding)]
    [InlineData(AccountLifecycleState.Trial)]
    public void Assess_NotAnActiveCustomer_NoOpportunity(AccountLifecycleState lifecycle) =>
        Assert.Null(ExpansionDetector.Assess(Account(50, 46), Health(lifecycle: lifecycle), _options, First, Now).Opportunity);

    [Theory]
    [InlineData(nameof(ExpansionOptions.SeatUtilizationShare))]
    [InlineData(nameof(ExpansionOptions.SustainedGreenDays))]
    [InlineData(nameof(ExpansionOptions.UsageGrowthShare))]
    public void Validator_SettingOutOfRange_FailsNamingIt(string setting)
    {
        var options = new ExpansionOptions();
        typeof(ExpansionOptions).GetProperty(setting)!.SetValue(options, setting == nameof(ExpansionOptions.SustainedGreenDays) ? 0 : (object)0d);

        var result = new ExpansionOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Expansion:" + setting, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_Defaults_Pass() => Assert.True(new ExpansionOptionsValidator().Validate(null, new ExpansionOptions()).Succeeded);
}
