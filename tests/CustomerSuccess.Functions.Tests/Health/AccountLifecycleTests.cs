using CustomerSuccess.Functions.Health;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>Lifecycle states from billing and product facts, and what each does to the score, its drivers and its band.</summary>
public sealed class AccountLifecycleTests
{
    private static readonly int[] AllHundred = [100, 100, 100, 100, 100, 100];

    [Fact]
    public void Of_PayingAccountPastOnboarding_IsActive() =>
        Assert.Equal(AccountLifecycleState.Active, AccountLifecycle.Of(Healthy(), AsOf, onboarding: false));

    [Fact]
    public void Of_Trialing_IsTrial() =>
        Assert.Equal(AccountLifecycleState.Trial, AccountLifecycle.Of(Healthy() with { SubscriptionStatus = "trialing" }, AsOf, onboarding: true));

    [Fact]
    public void Of_ScoredOnOnboardingProgress_IsOnboarding() =>
        Assert.Equal(AccountLifecycleState.Onboarding, AccountLifecycle.Of(Healthy(), AsOf, onboarding: true));

    [Fact]
    public void Of_CancelAtPeriodEndBeforeThePeriodEnds_IsCancelling() =>
        Assert.Equal(AccountLifecycleState.Cancelling, AccountLifecycle.Of(Healthy() with { CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(9) }, AsOf, onboarding: false));

    [Fact]
    public void Of_CancelAtInTheFuture_IsCancelling() =>
        Assert.Equal(AccountLifecycleState.Cancelling, AccountLifecycle.Of(Healthy() with { CancelAt = AsOf.AddDays(20), RenewalDate = AsOf.AddDays(40) }, AsOf, onboarding: false));

    [Fact]
    public void Of_NoticeWhosePeriodHasEnded_IsNotCancelling() =>
        Assert.False(AccountLifecycle.IsCancelling(Healthy() with { CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(-1) }, AsOf));

    [Fact]
    public void Of_EverySubscriptionEnded_IsChurned()
    {
        var gone = Healthy() with { SubscriptionStatus = "canceled", ChurnedAt = AsOf.AddDays(-2), CancelAtPeriodEnd = true };

        Assert.Equal(AccountLifecycleState.Churned, AccountLifecycle.Of(gone, AsOf, onboarding: false));
    }

    [Fact]
    public void Of_CameBackWithinThirtyDays_IsReactivatedThenActive()
    {
        var back = Healthy() with { ReactivatedAt = AsOf.AddDays(-5) };

        Assert.Equal(AccountLifecycleState.Reactivated, AccountLifecycle.Of(back, AsOf, onboarding: false));
        Assert.Equal(AccountLifecycleState.Active, AccountLifecycle.Of(back, AsOf.AddDays(AccountLifecycle.ReactivatedDays), onboarding: false));
    }

    [Fact]
    public void Score_Cancelling_LowersPaymentShowsTheDriverAndMovesTheBandAtOnce()
    {
        var calculator = Calculator();
        var previous = Previous(AllHundred, history: GreenDays(10));

        var score = calculator.Score(Healthy() with { CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(9), MrrCents = 150_000 }, previous, null, AsOf);

        Assert.Equal(AccountLifecycleState.Cancelling, score.Lifecycle);
        Assert.Equal(40, score.Dimension(HealthDimension.Payment));
        Assert.Contains(score.Drivers, d => d.Dimension == HealthDimension.Payment && d.From == 100 && d.To == 40);
        Assert.True(score.Score < 100);
    }

    [Fact]
    public void Score_CancellingWithAScoreBelowGreen_DropsTheBandWithoutWaiting()
    {
        // A cancellation notice is a critical fact: the band does not wait for the hysteresis days.
        var calculator = Calculator(o => o.BandChangeDays = 5);
        var previous = Previous(AllHundred, history: GreenDays(10));
        var fading = Healthy((_, d) => d with { Logins = 0, Events = 0 }) with { ActiveUsers30d = 1, CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(9) };

        var score = calculator.Score(fading, previous, null, AsOf);

        Assert.NotEqual(HealthBand.Green, calculator.BandOf(score.Segment, score.Score));
        Assert.Equal(calculator.BandOf(score.Segment, score.Score), score.Band);
    }

    [Fact]
    public void Score_Churned_KeepsTheFinalScoreDriversAndHistory()
    {
        var calculator = Calculator();
        var final = calculator.Score(Healthy((age, d) => age < 14 ? d with { Events = 20 } : d), Previous(AllHundred, history: GreenDays(10)), null, AsOf.AddDays(-1));
        var gone = Healthy() with { SubscriptionStatus = "canceled", ChurnedAt = AsOf.AddHours(-3), MrrCents = 0 };

        var score = calculator.Score(gone, final, null, AsOf);

        Assert.Equal(AccountLifecycleState.Churned, score.Lifecycle);
        Assert.Equal(final.Score, score.Score);
        Assert.Equal(final.Day, score.Day);
        Assert.Equal(final.Dimensions, score.Dimensions);
        Assert.Equal(final.Drivers, score.Drivers);
        Assert.Same(final.History, score.History);
        Assert.Equal(final.Segment, score.Segment);

        // Scored again later: still the same final score.
        Assert.Same(score, calculator.Score(gone, score, null, AsOf.AddDays(3)));
    }

    [Fact]
    public void Transition_OnChurn_IsWrittenEvenWhenBandAndFlagsAreUnchanged()
    {
        var calculator = Calculator();
        var final = calculator.Score(Healthy(), Previous(AllHundred, history: GreenDays(10)), null, AsOf);
        var gone = Healthy() with { SubscriptionStatus = "canceled", ChurnedAt = AsOf.AddHours(1) };

        var churned = calculator.Score(gone, final, null, AsOf.AddHours(2));
        var transition = HealthTransitions.For(churned, final, gone, "run");

        Assert.NotNull(transition);
        Assert.Equal(AccountLifecycleState.Churned, transition.Lifecycle);
        Assert.Null(HealthTransitions.For(churned, churned, gone, "run"));
    }

    [Fact]
    public void Score_BackAfterChurn_IsReactivatedWithANewBaseline()
    {
        var calculator = Calculator(o => o.BandChangeDays = 5);
        var final = Previous(AllHundred, band: HealthBand.Red, score: 30, history: GreenDays(3)).InLifecycle(AccountLifecycleState.Churned);
        var back = Healthy() with { ReactivatedAt = AsOf.AddDays(-1) };

        var score = calculator.Score(back, final, null, AsOf);

        Assert.Equal(AccountLifecycleState.Reactivated, score.Lifecycle);
        Assert.Equal(Today, score.FirstScoredOn);
        Assert.Equal(Today, score.BandSince);
        Assert.Equal(calculator.BandOf(score.Segment, score.Score), score.Band);
    }

    [Fact]
    public void Score_FirstScore_SetsTheBaselineDay()
    {
        var score = Calculator().Score(Healthy(), null, null, AsOf);
        var next = Calculator().Score(Healthy(), score, null, AsOf.AddDays(1));

        Assert.Equal(Today, score.FirstScoredOn);
        Assert.Equal(Today, next.FirstScoredOn);
    }

    internal static HealthScoreHistory GreenDays(int days)
    {
        var history = HealthScoreHistory.Empty;
        for (var age = days; age >= 1; age--)
        {
            history = history.With(Today.AddDays(-age), 100);
        }

        return history;
    }

    [Theory]
    [InlineData(3, 75)]
    [InlineData(8, 93)]
    [InlineData(10, 100)]
    public void Score_NpsResponse_IsAQuarterOfRelationshipAndShowsAsADriver(int nps, int relationship)
    {
        var score = Calculator().Score(Healthy() with { LastNpsScore = nps, LastNpsAt = AsOf.AddDays(-3) }, Previous(AllHundred, history: GreenDays(10)), null, AsOf);

        Assert.Equal(relationship, score.Dimension(HealthDimension.Relationship));
        if (relationship < 100)
        {
            Assert.Contains(score.Drivers, d => d.Dimension == HealthDimension.Relationship && d.To == relationship);
        }
    }

    [Fact]
    public void Score_NpsOlderThanItsWindow_Unknown() =>
        Assert.Equal(100, Calculator().Score(Healthy() with { LastNpsScore = 2, LastNpsAt = AsOf.AddDays(-HealthScoreCalculator.NpsWindowDays - 1) }, null, null, AsOf).Dimension(HealthDimension.Relationship));
}
