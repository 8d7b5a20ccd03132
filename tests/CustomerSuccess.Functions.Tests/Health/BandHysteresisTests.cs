using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>A band change needs <see cref="HealthOptions.BandChangeDays"/> consecutive days, except on a critical fact.</summary>
public sealed class BandHysteresisTests
{
    private static readonly int[] AllHundred = [100, 100, 100, 100, 100, 100];

    // Scores of the model with BandChangeDays = 3 (Green ≥ 75, Yellow ≥ 50).
    private static readonly HealthScoreCalculator Model = Calculator(o => o.BandChangeDays = 3);

    private static HealthScoreHistory HistoryOf(params int[] scoresOldestFirst)
    {
        var history = HealthScoreHistory.Empty;
        for (var i = 0; i < scoresOldestFirst.Length; i++)
        {
            history = history.With(Today.AddDays(i - scoresOldestFirst.Length + 1), scoresOldestFirst[i]);
        }

        return history;
    }

    [Fact]
    public void SettledBand_OneOrTwoYellowDays_StaysGreen()
    {
        Assert.Equal(HealthBand.Green, Model.SettledBand(AccountSegment.Smb, HealthBand.Yellow, HealthBand.Green, HistoryOf(90, 90, 60), Today, criticalFact: false));
        Assert.Equal(HealthBand.Green, Model.SettledBand(AccountSegment.Smb, HealthBand.Yellow, HealthBand.Green, HistoryOf(90, 60, 60), Today, criticalFact: false));
    }

    [Fact]
    public void SettledBand_ThreeYellowDays_TurnsYellow() =>
        Assert.Equal(HealthBand.Yellow, Model.SettledBand(AccountSegment.Smb, HealthBand.Yellow, HealthBand.Green, HistoryOf(90, 60, 60, 60), Today, criticalFact: false));

    [Fact]
    public void SettledBand_RedYellowRed_MovesToTheMildestBandSustained() =>
        Assert.Equal(HealthBand.Yellow, Model.SettledBand(AccountSegment.Smb, HealthBand.Red, HealthBand.Green, HistoryOf(90, 30, 60, 30), Today, criticalFact: false));

    [Fact]
    public void SettledBand_ADayWithoutAScore_BreaksTheRun()
    {
        var gap = HealthScoreHistory.Empty.With(Today.AddDays(-3), 60).With(Today.AddDays(-1), 60).With(Today, 60);

        Assert.Equal(HealthBand.Green, Model.SettledBand(AccountSegment.Smb, HealthBand.Yellow, HealthBand.Green, gap, Today, criticalFact: false));
    }

    [Fact]
    public void SettledBand_Recovery_NeedsTheSameRun()
    {
        Assert.Equal(HealthBand.Red, Model.SettledBand(AccountSegment.Smb, HealthBand.Green, HealthBand.Red, HistoryOf(30, 30, 90), Today, criticalFact: false));
        Assert.Equal(HealthBand.Yellow, Model.SettledBand(AccountSegment.Smb, HealthBand.Green, HealthBand.Red, HistoryOf(30, 60, 90, 90), Today, criticalFact: false));
    }

    [Fact]
    public void SettledBand_CriticalFact_DropsAtOnceButRecoveryStillWaits()
    {
        Assert.Equal(HealthBand.Red, Model.SettledBand(AccountSegment.Smb, HealthBand.Red, HealthBand.Green, HistoryOf(90, 90, 30), Today, criticalFact: true));
        Assert.Equal(HealthBand.Red, Model.SettledBand(AccountSegment.Smb, HealthBand.Green, HealthBand.Red, HistoryOf(30, 30, 90), Today, criticalFact: true));
    }

    [Fact]
    public void SettledBand_OneDay_IsTheScoresBand() =>
        Assert.Equal(HealthBand.Yellow, Calculator(o => o.BandChangeDays = 1).SettledBand(AccountSegment.Smb, HealthBand.Yellow, HealthBand.Green, HistoryOf(90, 60), Today, criticalFact: false));

    [Fact]
    public void Score_FailedPaymentToday_BandFollowsTheScoreAtOnce()
    {
        // Usage collapses and a payment fails: the failed payment is a critical fact, so no waiting.
        var calculator = Calculator(o => o.BandChangeDays = 5);
        var previous = Previous(AllHundred, history: AccountLifecycleTests.GreenDays(10));
        var signals = Healthy((age, d) => d with { Logins = 0, Events = age < 14 ? 0 : 100, PaymentsFailed = age == 0 ? 1 : 0 }) with { ActiveUsers30d = 1, SubscriptionStatus = "past_due" };

        var score = calculator.Score(signals, previous, null, AsOf);

        Assert.NotEqual(HealthBand.Green, calculator.BandOf(score.Segment, score.Score));
        Assert.Equal(calculator.BandOf(score.Segment, score.Score), score.ComputedBand);
    }

    [Fact]
    public void Score_UsageDropsForTwoDays_BandHoldsThenMovesOnTheThird()
    {
        var calculator = Calculator(o => o.BandChangeDays = 3);
        AccountSignals Fading(DateTimeOffset at)
        {
            var today = DateOnly.FromDateTime(at.UtcDateTime);
            return Healthy() with
            {
                ActiveUsers30d = 1,
                Days = Days(60, age => new DailySignals { Day = today.AddDays(-age), ActiveUsers = 1, Logins = 0, Events = age < 14 ? 0 : 100 }),
            };
        }

        var score = calculator.Score(Healthy(), null, null, AsOf.AddDays(-1));
        Assert.Equal(HealthBand.Green, score.Band);
        var bands = new List<HealthBand>();
        for (var day = 0; day < 3; day++)
        {
            score = calculator.Score(Fading(AsOf.AddDays(day)), score, null, AsOf.AddDays(day));
            Assert.NotEqual(HealthBand.Green, calculator.BandOf(score.Segment, score.Score));
            bands.Add(score.Band);
        }

        Assert.Equal([HealthBand.Green, HealthBand.Green], bands.Take(2));
        Assert.NotEqual(HealthBand.Green, bands[2]);
        Assert.Equal(AsOf.AddDays(2).UtcDateTime.Date, score.BandSince.ToDateTime(TimeOnly.MinValue));
    }

    // Product events stop on the last `zeroDays` days (100 a day before): the 2-week decline holds on a day whose
    // last fortnight has at least 3 of them, so on today alone with 3, on the last three days with 5.
    private static AccountSignals UsageStoppedFor(int zeroDays) => Healthy((age, d) => age < zeroDays ? d with { Events = 0 } : d);

    private static HealthScore PreviousWithFlags(HealthFlagMask flags) => new()
    {
        AccountId = "acct-1",
        Day = Today.AddDays(-1),
        ScoredAt = AsOf.AddDays(-1),
        Score = 100,
        ComputedBand = HealthBand.Green,
        Band = HealthBand.Green,
        Dimensions = AllHundred,
        Flags = flags,
        BandSince = Today.AddDays(-30),
        History = AccountLifecycleTests.GreenDays(10),
    };

    [Fact]
    public void Flags_DeclineOnTodayOnly_NotRaised()
    {
        var score = Model.Score(UsageStoppedFor(3), PreviousWithFlags(HealthFlagMask.None), null, AsOf);

        Assert.DoesNotContain(HealthFlags.UsageDown2Weeks, score.Flags.ToIds());
    }

    [Fact]
    public void Flags_DeclineHeldThreeDays_Raised()
    {
        var score = Model.Score(UsageStoppedFor(5), PreviousWithFlags(HealthFlagMask.None), null, AsOf);

        Assert.Contains(HealthFlags.UsageDown2Weeks, score.Flags.ToIds());
        Assert.DoesNotContain(HealthFlags.UsageDown4Weeks, score.Flags.ToIds());
    }

    [Fact]
    public void Flags_RaisedDeclineEasingOnSomeDays_Kept()
    {
        var score = Model.Score(UsageStoppedFor(3), PreviousWithFlags(HealthFlagMask.None.WithUsageDown2Weeks()), null, AsOf);

        Assert.Contains(HealthFlags.UsageDown2Weeks, score.Flags.ToIds());
    }

    [Fact]
    public void Flags_RaisedDeclineGoneOnEveryDay_Cleared()
    {
        var score = Model.Score(Healthy(), PreviousWithFlags(HealthFlagMask.None.WithUsageDown2Weeks()), null, AsOf);

        Assert.DoesNotContain(HealthFlags.UsageDown2Weeks, score.Flags.ToIds());
    }

    [Fact]
    public void Flags_OneDay_FollowTodaysWindows() =>
        Assert.Contains(HealthFlags.UsageDown2Weeks, Calculator(o => o.BandChangeDays = 1).Score(UsageStoppedFor(3), PreviousWithFlags(HealthFlagMask.None), null, AsOf).Flags.ToIds());

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    public void Validate_BandChangeDaysOutOfRange_NamesTheSetting(int days)
    {
        var result = new HealthOptionsValidator().Validate(null, new HealthOptions { BandChangeDays = days });

        Assert.True(result.Failed);
        Assert.Contains("Health:BandChangeDays", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_BandChangeDays_IsThreeAndValid()
    {
        Assert.Equal(3, new HealthOptions().BandChangeDays);
        Assert.True(new HealthOptionsValidator().Validate(null, new HealthOptions()).Succeeded);
    }
}
