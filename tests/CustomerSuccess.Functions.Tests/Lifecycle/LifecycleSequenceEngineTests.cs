using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

public sealed class LifecycleSequenceEngineTests
{
    private static readonly DateTimeOffset Start = LifecycleSimulation.Start;

    [Fact]
    public void Onboarding_InactiveAccount_WelcomeDay0NudgeDay3InviteDay10()
    {
        var sim = new LifecycleSimulation();

        sim.Run(30, _ => LifecycleSimulation.Account());

        Assert.Equal(
            [(0, "welcome"), (3, "setup-nudge"), (10, "invite-team")],
            sim.Sent.Select(s => (s.Day, s.Step)));
        Assert.All(sim.Sent, s => Assert.Equal(LifecycleSequences.Onboarding, s.Sequence));
    }

    [Fact]
    public void NoSubscriptionKnownYet_NothingSentUntilBillingSaysWhichTier()
    {
        var sim = new LifecycleSimulation();

        // Users are seen from day 0, the subscription only on day 4: until then MRR is 0, which is not a tier.
        sim.Run(30, day => LifecycleSimulation.Account(f => day < 4 ? f with { SubscriptionStatus = null } : f));

        Assert.Equal([(4, "welcome")], sim.Sent.Take(1).Select(s => (s.Day, s.Step)));
    }

    [Fact]
    public void Onboarding_ActivatedWithTeamBeforeDueDays_GetsOnlyWelcome()
    {
        var sim = new LifecycleSimulation();

        sim.Run(30, day => LifecycleSimulation.Account(f => day >= 2 ? f with { Activated = true, ActiveUsers30d = 4 } : f));

        Assert.Equal([(0, "welcome")], sim.Sent.Select(s => (s.Day, s.Step)));
    }

    [Fact]
    public void Onboarding_FirstValueReached_CongratulatesOnThatDay()
    {
        var sim = new LifecycleSimulation();

        sim.Run(30, day => LifecycleSimulation.Account(f => day >= 5
            ? f with { Activated = true, ActiveUsers30d = 5, FirstValueAt = Start.AddDays(5) }
            : f with { Activated = true, ActiveUsers30d = 5 }));

        Assert.Equal([(0, "welcome"), (5, "first-value")], sim.Sent.Select(s => (s.Day, s.Step)));
    }

    [Fact]
    public void Onboarding_Completed_ExitsAndNothingFollows()
    {
        var sim = new LifecycleSimulation();

        sim.Run(30, day => LifecycleSimulation.Account(f => day >= 1 ? f with { OnboardingCompleted = true } : f));

        Assert.Equal([(0, "welcome")], sim.Sent.Select(s => (s.Day, s.Step)));
        var onboarding = Assert.Single(sim.Enrollments, e => e.Sequence == LifecycleSequences.Onboarding);
        Assert.Equal(nameof(LifecycleExitCondition.OnboardingCompleted), onboarding.ExitReason);
    }

    [Fact]
    public void CheckBeforeSend_AccountActivatedAfterTheScanQueuedTheNudge_DropsIt()
    {
        var sim = new LifecycleSimulation();

        // The scan on day 3 still sees an inactive account; by the time the queued nudge is processed it has activated.
        sim.Run(5, _ => LifecycleSimulation.Account(), day => LifecycleSimulation.Account(f => day >= 3 ? f with { Activated = true } : f));

        Assert.Equal([(0, "welcome")], sim.Sent.Select(s => (s.Day, s.Step)));
        var dropped = Assert.Single(sim.DroppedAtSendTime);
        Assert.Equal((3, "setup-nudge"), (dropped.Day, dropped.Step));
    }

    [Fact]
    public void Adoption_LowAfter60Days_SpotlightEvery14DaysUpTo3()
    {
        var sim = new LifecycleSimulation();
        var old = LifecycleSimulation.Account(f => f with { CustomerSince = Start.AddDays(-61), Activated = true, ActiveUsers30d = 5, KeyFeatureAdoption = 0.1, OnboardingCompleted = true });

        sim.Run(70, _ => old);

        Assert.Equal([(0, "feature-spotlight"), (14, "feature-spotlight"), (28, "feature-spotlight")], sim.Sent.Select(s => (s.Day, s.Step)));
    }

    [Fact]
    public void Adoption_PassesThreshold_ExitsBeforeNextSpotlight()
    {
        var sim = new LifecycleSimulation();

        sim.Run(40, day => LifecycleSimulation.Account(f => f with
        {
            CustomerSince = Start.AddDays(-61),
            OnboardingCompleted = true,
            KeyFeatureAdoption = day >= 10 ? 0.4 : 0.1,
        }));

        Assert.Equal([(0, "feature-spotlight")], sim.Sent.Select(s => (s.Day, s.Step)));
    }

    [Fact]
    public void Renewal_EnteredAt90Days_RecapT90ReminderT60T30()
    {
        var sim = new LifecycleSimulation();
        var renews = Start.AddDays(100);

        sim.Run(110, _ => LifecycleSimulation.Account(f => f with { CustomerSince = Start.AddYears(-1), OnboardingCompleted = true, RenewalDate = renews }));

        Assert.Equal([(10, "value-recap"), (40, "reminder-60"), (70, "reminder-30")], sim.Sent.Select(s => (s.Day, s.Step)));
    }

    [Theory]
    [InlineData(30, 0)]
    [InlineData(365, 3)]
    [InlineData(null, 3)]
    public void Renewal_BillingPeriod_OnlyTermsLongerThanTheEntryWindowGetRenewalEmails(int? periodDays, int expected)
    {
        var sim = new LifecycleSimulation();

        // Period end always 20-50 days ahead, as with monthly billing; for an annual term the same dates are a real renewal.
        sim.Run(110, day => LifecycleSimulation.Account(f => f with
        {
            CustomerSince = Start.AddYears(-1),
            OnboardingCompleted = true,
            BillingPeriodDays = periodDays,
            RenewalDate = periodDays == 30 ? Start.AddDays(50 + (30 * (day / 30))) : Start.AddDays(100),
        }));

        Assert.Equal(expected, sim.Sent.Count(s => s.Sequence == LifecycleSequences.Renewal));
    }

    [Fact]
    public void Renewal_Cancelled_ExitsAndWinBackFollowsOnDay14And45()
    {
        var sim = new LifecycleSimulation();
        var renews = Start.AddDays(90);

        sim.Run(100, day => LifecycleSimulation.Account(f => f with
        {
            CustomerSince = Start.AddYears(-1),
            OnboardingCompleted = true,
            RenewalDate = renews,
            SubscriptionStatus = day >= 20 ? "canceled" : "active",
            ChurnedAt = day >= 20 ? Start.AddDays(20) : null,
        }));

        Assert.Equal(
            [(0, "renewal", "value-recap"), (34, "win-back", "day-14"), (65, "win-back", "day-45")],
            sim.Sent.Select(s => (s.Day, s.Sequence, s.Step)));
    }

    [Fact]
    public void WinBack_Reactivated_ExitsBeforeDay45()
    {
        var sim = new LifecycleSimulation();

        sim.Run(60, day => LifecycleSimulation.Account(f => f with
        {
            CustomerSince = Start.AddYears(-1),
            OnboardingCompleted = true,
            SubscriptionStatus = day >= 20 ? "active" : "canceled",
            ChurnedAt = Start,
        }));

        Assert.Equal([(14, "day-14")], sim.Sent.Select(s => (s.Day, s.Step)));
    }

    [Fact]
    public void AtRisk_BandDropsToYellow_CheckInOnce_ExitsOnRecovery()
    {
        var sim = new LifecycleSimulation();

        sim.Run(20, day => LifecycleSimulation.Account(f => f with
        {
            CustomerSince = Start.AddYears(-1),
            OnboardingCompleted = true,
            Band = day is >= 4 and < 9 ? HealthBand.Yellow : HealthBand.Green,
            PreviousBand = HealthBand.Green,
            BandSince = Start.AddDays(day is >= 4 and < 9 ? 4 : 0),
        }));

        Assert.Equal([(4, "at-risk", "check-in")], sim.Sent.Select(s => (s.Day, s.Sequence, s.Step)));
        Assert.Equal(nameof(LifecycleExitCondition.BandRecovered), Assert.Single(sim.Enrollments, e => e.Sequence == "at-risk").ExitReason);
    }

    [Fact]
    public void Caps_TwoSequencesDueSameDay_HigherPriorityFirstOtherAfterWindow()
    {
        var sim = new LifecycleSimulation();

        // Renewal (priority 2) and at-risk (priority 1) both become due on day 0.
        sim.Run(10, _ => LifecycleSimulation.Account(f => f with
        {
            CustomerSince = Start.AddYears(-1),
            OnboardingCompleted = true,
            RenewalDate = Start.AddDays(89),
            Band = HealthBand.Yellow,
            PreviousBand = HealthBand.Green,
            BandSince = Start,
        }));

        Assert.Equal([(0, "at-risk"), (3, "renewal")], sim.Sent.Select(s => (s.Day, s.Sequence)));
    }

    [Fact]
    public void Caps_AtMostOnePerWindowAcrossSequences_EvenWhenScannedHourly()
    {
        var sim = new LifecycleSimulation(new LifecycleOptions { CapWindowDays = 3, QuietHours = new() { Start = new(0, 0), End = new(0, 0) } });

        sim.Run(12, _ => LifecycleSimulation.Account(f => f with { RenewalDate = Start.AddDays(80), Band = HealthBand.Yellow, PreviousBand = HealthBand.Green, BandSince = Start }), step: TimeSpan.FromHours(1));

        var days = sim.Sent.Select(s => s.Day).ToList();
        Assert.True(sim.Sent.Count >= 3);
        Assert.All(days.Zip(days.Skip(1)), pair => Assert.True(pair.Second - pair.First >= 3, $"sends on day {pair.First} and {pair.Second}"));
    }

    [Fact]
    public void Unsubscribed_Contact_IsSuppressedFromEverySequenceAtOnce()
    {
        var sim = new LifecycleSimulation();
        var facts = LifecycleSimulation.Account(
            f => f with { Band = HealthBand.Yellow, PreviousBand = HealthBand.Green, BandSince = Start },
            new LifecycleContact("c1", "ana@acme.example"),
            new LifecycleContact("c2", "bo@acme.example"));
        sim.Tick(facts);
        sim.Suppress("c1");

        sim.Run(60, _ => facts);

        Assert.DoesNotContain(sim.Sent, s => s.Contact == "c1" && s.Day > 0);
        Assert.Contains(sim.Sent, s => s.Contact == "c2" && s.Day > 0);
    }

    [Fact]
    public void NotTechTouch_EnterpriseAccount_GetsNothing()
    {
        var sim = new LifecycleSimulation();

        sim.Run(30, _ => LifecycleSimulation.Account(f => f with { Segment = AccountSegment.Enterprise }));

        Assert.Empty(sim.Sent);
    }

    [Fact]
    public void SendId_IsDeterministicPerStepOccurrenceAndContact()
    {
        var a = LifecycleSendId.For("acct_1", "onboarding", "welcome", "20260105", 0, "c1");

        Assert.Equal(a, LifecycleSendId.For("acct_1", "onboarding", "welcome", "20260105", 0, "c1"));
        Assert.NotEqual(a, LifecycleSendId.For("acct_1", "onboarding", "welcome", "20260105", 0, "c2"));
        Assert.NotEqual(a, LifecycleSendId.For("acct_1", "onboarding", "welcome", "20270105", 0, "c1"));
        Assert.True(Guid.TryParse(a, out _));
    }
}
