using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The renewal conversation, missed touchpoints and stakeholder coverage: their effect on the dimension they belong to, on the score and on the flags.</summary>
public sealed class HealthSubSignalTests
{
    private const long EnterpriseMrr = 1_000_000; // $120k ARR
    private const long MidMarketMrr = 200_000; // $24k ARR

    private static AccountSignals Annual(long mrr, int renewalInDays, DateTimeOffset? conversation = null) => Healthy() with
    {
        MrrCents = mrr,
        BillingPeriodDays = 365,
        RenewalDate = AsOf.AddDays(renewalInDays),
        LastRenewalConversationAt = conversation,
    };

    [Fact]
    public void Score_EnterpriseRenewalIn60DaysWithoutConversation_FlagsAndLowersRelationship()
    {
        var calculator = Calculator();

        var silent = calculator.Score(Annual(EnterpriseMrr, 60), null, null, AsOf);
        var talking = calculator.Score(Annual(EnterpriseMrr, 60, conversation: AsOf.AddDays(-20)), null, null, AsOf);

        Assert.Equal(AccountSegment.Enterprise, silent.Segment);
        Assert.True(silent.Flags.Has(HealthFlags.RenewalNotStarted));
        Assert.False(talking.Flags.Has(HealthFlags.RenewalNotStarted));

        // Champion and sponsor 100 (weight 45), renewal conversation 0 (weight 20): 4500 / 65 → 69.
        Assert.Equal(69, silent.Dimension(HealthDimension.Relationship));
        Assert.Equal(100, talking.Dimension(HealthDimension.Relationship));
        Assert.True(silent.Score < talking.Score);
    }

    [Fact]
    public void Score_ConversationHeldBeforeTheWindowOpened_DoesNotCount()
    {
        // The window opened 30 days ago; the last QBR was 40 days ago.
        var score = Calculator().Score(Annual(EnterpriseMrr, 60, conversation: AsOf.AddDays(-40)), null, null, AsOf);

        Assert.True(score.Flags.Has(HealthFlags.RenewalNotStarted));
    }

    [Theory]
    [InlineData(85)] // the window opened 5 days ago: inside the 14-day grace
    [InlineData(120)] // the window has not opened
    [InlineData(-1)] // the renewal date passed
    public void Score_RenewalOutsideTheExpectation_NotFlaggedAndRelationshipUnchanged(int renewalInDays)
    {
        var score = Calculator().Score(Annual(EnterpriseMrr, renewalInDays), null, null, AsOf);

        Assert.False(score.Flags.Has(HealthFlags.RenewalNotStarted));
        Assert.Equal(100, score.Dimension(HealthDimension.Relationship));
    }

    [Fact]
    public void Score_FirstSeenAfterTheWindowOpened_ConversationUnknownNotMissing()
    {
        var score = Calculator().Score(Annual(EnterpriseMrr, 60) with { ObservedSince = AsOf.AddDays(-20) }, null, null, AsOf);

        Assert.False(score.Flags.Has(HealthFlags.RenewalNotStarted));
        Assert.Equal(100, score.Dimension(HealthDimension.Relationship));
    }

    [Fact]
    public void Score_TechTouchOrMonthlyTerms_NoRenewalConversationExpected()
    {
        var calculator = Calculator();

        var smb = calculator.Score(Annual(50_000, 60), null, null, AsOf);
        var monthly = calculator.Score(Annual(MidMarketMrr, 20) with { BillingPeriodDays = 30 }, null, null, AsOf);

        Assert.Equal(AccountSegment.Smb, smb.Segment);
        Assert.False(smb.Flags.Has(HealthFlags.RenewalNotStarted));
        Assert.False(monthly.Flags.Has(HealthFlags.RenewalNotStarted));
        Assert.Equal(100, monthly.Dimension(HealthDimension.Relationship));
    }

    [Fact]
    public void Score_ConfiguredWindowAndGrace_AreUsed()
    {
        var calculator = Calculator(o => { o.RenewalConversationWindowDays = 120; o.RenewalConversationGraceDays = 30; });

        Assert.True(calculator.Score(Annual(EnterpriseMrr, 85), null, null, AsOf).Flags.Has(HealthFlags.RenewalNotStarted));
        Assert.False(calculator.Score(Annual(EnterpriseMrr, 100), null, null, AsOf).Flags.Has(HealthFlags.RenewalNotStarted));
    }

    [Theory]
    [InlineData(null, 100, false)]
    [InlineData(0, 100, false)]
    [InlineData(1, 88, false)] // (100 + 100 + 100 + 50) / 4
    [InlineData(2, 75, true)] // (100 + 100 + 100 + 0) / 4
    [InlineData(3, 75, true)]
    public void Score_MissedMeetingsInRow_LowerEngagementAndFlagFromTwo(int? missed, int engagement, bool flagged)
    {
        var score = Calculator().Score(Healthy() with { MissedMeetingsInRow = missed }, null, null, AsOf);

        Assert.Equal(engagement, score.Dimension(HealthDimension.Engagement));
        Assert.Equal(flagged, score.Flags.Has(HealthFlags.MissedTouchpoints));
    }

    [Fact]
    public void Score_NoContactButMeetingsMissed_EngagementKnownAndZero()
    {
        var quiet = Healthy(day: (_, d) => d with { Meetings = 0, Qbrs = 0, EmailReplies = 0 });

        var unknown = Calculator().Score(quiet, null, null, AsOf);
        var missed = Calculator().Score(quiet with { MissedMeetingsInRow = 2 }, null, null, AsOf);

        Assert.True(unknown.Flags.Has(HealthFlags.MissingSignalsPrefix + HealthDimension.Engagement));
        Assert.False(missed.Flags.Has(HealthFlags.MissingSignalsPrefix + HealthDimension.Engagement));
        Assert.Equal(0, missed.Dimension(HealthDimension.Engagement));
        Assert.True(missed.Score < unknown.Score);
    }

    private static AccountUser Person(string id, string? role = null, string? title = null, bool stakeholder = false, int seenDaysAgo = 2, bool departed = false) =>
        new(id, id + "@acme.example", Departed: departed, Role: role, Title: title, Stakeholder: stakeholder, LastSeen: AsOf.AddDays(-seenDaysAgo));

    [Fact]
    public void Score_MidMarketWithTwoActiveStakeholders_FullCoverage()
    {
        var signals = Healthy() with { MrrCents = MidMarketMrr, Users = [Person("champ", stakeholder: true), Person("cfo", title: "VP Finance")] };

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(AccountSegment.MidMarket, score.Segment);
        Assert.False(score.Flags.Has(HealthFlags.LowStakeholderCoverage));
        Assert.Equal(100, score.Dimension(HealthDimension.Relationship));
    }

    [Fact]
    public void Score_MidMarketWithOnlyTheChampion_LowCoverageLowersRelationship()
    {
        // The would-be second stakeholder left, or was last seen 40 days ago, or holds no deciding role: one relationship.
        var one = Healthy() with
        {
            MrrCents = MidMarketMrr,
            Users = [Person("champ", stakeholder: true), Person("gone", role: "decision_maker", departed: true), Person("idle", title: "Head of IT", seenDaysAgo: 40), Person("analyst", title: "Analyst")],
        };

        var score = Calculator().Score(one, null, null, AsOf);

        Assert.True(score.Flags.Has(HealthFlags.LowStakeholderCoverage));
        Assert.Equal(85, score.Dimension(HealthDimension.Relationship)); // (45 × 100 + 20 × 50) / 65
    }

    [Fact]
    public void Score_SmbWithOneStakeholder_CoverageNotExpected()
    {
        var score = Calculator().Score(Healthy() with { Users = [Person("champ", stakeholder: true)] }, null, null, AsOf);

        Assert.False(score.Flags.Has(HealthFlags.LowStakeholderCoverage));
        Assert.Equal(100, score.Dimension(HealthDimension.Relationship));
    }

    [Fact]
    public void Score_ConfiguredDecisionMakerRole_Counts()
    {
        var signals = Healthy() with { MrrCents = EnterpriseMrr, Users = [Person("champ", stakeholder: true), Person("buyer", role: "procurement")] };

        var plain = Calculator().Score(signals, null, null, AsOf);
        var configured = Calculator(product: p => p.DecisionMakerRoles = ["procurement"]).Score(signals, null, null, AsOf);

        Assert.True(plain.Flags.Has(HealthFlags.LowStakeholderCoverage));
        Assert.False(configured.Flags.Has(HealthFlags.LowStakeholderCoverage));
    }

    [Fact]
    public void Score_ChampionDepartureStillCapsRelationshipWithFullCoverage()
    {
        var signals = Healthy() with
        {
            MrrCents = EnterpriseMrr,
            Users = [Person("new-champ", stakeholder: true), Person("vp", title: "VP Sales")],
            Relationship = new RelationshipSignals { HasChampion = true, ChampionActive = true, HasExecutiveSponsor = true, ExecutiveSponsorActive = true, ChampionLeftAt = AsOf.AddDays(-10) },
        };

        Assert.Equal(40, Calculator().Score(signals, null, null, AsOf).Dimension(HealthDimension.Relationship));
    }

    [Fact]
    public void Score_RenewalConversationLapses_DriversNameRelationship()
    {
        var calculator = Calculator();
        var before = calculator.Score(Annual(EnterpriseMrr, 61, conversation: AsOf.AddDays(-1)), null, null, AsOf.AddDays(-1));

        // The same account a day later, its conversation record gone from view: the window says not started.
        var after = calculator.Score(Annual(EnterpriseMrr, 60), before, null, AsOf);

        var driver = Assert.Single(after.Drivers);
        Assert.Equal(HealthDimension.Relationship, driver.Dimension);
        Assert.Equal((100, 69), (driver.From, driver.To));
        Assert.True(driver.Points < 0);
    }

    [Fact]
    public void Score_SecondMeetingMissed_DriversNameEngagement()
    {
        var calculator = Calculator();
        var before = calculator.Score(Healthy() with { MissedMeetingsInRow = 1 }, null, null, AsOf.AddDays(-1));

        var after = calculator.Score(Healthy() with { MissedMeetingsInRow = 2 }, before, null, AsOf);

        var driver = Assert.Single(after.Drivers);
        Assert.Equal((HealthDimension.Engagement, 88, 75), (driver.Dimension, driver.From, driver.To));
    }
}
