using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

public sealed class HealthScoreCalculatorTests
{
    [Fact]
    public void Score_HealthyAccount_Scores100GreenWithNoFlags()
    {
        var score = Calculator().Score(Healthy(), null, null, AsOf);

        Assert.Equal(100, score.Score);
        Assert.Equal(HealthBand.Green, score.Band);
        Assert.Equal([100, 100, 100, 100, 100, 100], score.Dimensions);
        Assert.True(score.Flags.IsEmpty);
        Assert.False(score.Onboarding);
        Assert.Equal(AccountSegment.Smb, score.Segment);
        Assert.Empty(score.Drivers);
        Assert.Equal(HealthTrend.Stable, score.Trend);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(19, 0)]
    [InlineData(20, 40)]
    [InlineData(49, 40)]
    [InlineData(50, 70)]
    [InlineData(74, 70)]
    [InlineData(75, 100)]
    [InlineData(100, 100)]
    public void SeatShareScore_PercentOfSeatsActive_FollowsTable(int activeOf100, int expected) =>
        Assert.Equal(expected, HealthScoreCalculator.SeatShareScore(activeOf100, 100));

    [Theory]
    [InlineData(3, 30, 70)] // 30% at day 30 is 60% at the 60-day pace → 70
    [InlineData(2, 30, 40)] // 20% at day 30 → 40% → 40
    [InlineData(8, 20, 100)] // ahead of the pace: at most every seat → 100
    [InlineData(3, 60, 40)] // the ramp is over: 30% as it stands → 40
    [InlineData(3, 400, 40)] // an established customer: as it stands
    public void SeatShareScore_NewContract_ReadAgainstTheTeamAdoptionPace(int activeOf10, int contractDays, int expected) =>
        Assert.Equal(expected, HealthScoreCalculator.SeatShareScore(activeOf10, 10, contractDays, 60));

    [Fact]
    public void SeatShareScore_UnknownContractAgeOrNoRamp_AsItStands()
    {
        Assert.Equal(40, HealthScoreCalculator.SeatShareScore(3, 10, null, 60));
        Assert.Equal(40, HealthScoreCalculator.SeatShareScore(3, 10, 30, 0));
    }

    [Theory]
    [InlineData(60, 70)]
    [InlineData(0, 40)]
    public void Score_CustomerAMonthIn_SeatShareOnTheAdoptionPaceUnlessTheRampIsOff(int teamAdoptionDays, int expectedSeatShare)
    {
        // A customer since 30 days ago, past first value, 3 of 10 seats active: on pace for 60% at day 60.
        var signals = Healthy() with { CustomerSince = AsOf.AddDays(-30), ActiveUsers30d = 3 };

        var seatShare = Calculator(o => o.TeamAdoptionDays = teamAdoptionDays).Explain(signals, AsOf)
            .Single(x => x.Name == HealthSubSignals.SeatShare).Value;

        Assert.Equal(expectedSeatShare, seatShare);
    }

    [Fact]
    public void Score_KeyFeaturesAndLoginsBelowExpected_BlendsSeatsLoginsBreadthTrend35_20_15_30()
    {
        // Seats 80% → 100; logins 72 in 28 days against 3 × 8 × 4 = 96 → 0.75 → 75; 2 of 4 key features → 50;
        // events steady against the account's own baseline → 100. (35 × 100 + 20 × 75 + 15 × 50 + 30 × 100) / 100 = 87.5 → 88.
        var calculator = Calculator(o => o.ExpectedWeeklyLoginsPerActiveUser = 3, p => p.KeyFeatures = ["a", "b", "c", "d"]);
        var signals = Healthy((age, d) => d with { Logins = age < 28 ? (age < 16 ? 3 : 2) : 4 }) with { KeyFeaturesUsed30d = new HashSet<string> { "a", "b", "x" } };

        var score = calculator.Score(signals, null, null, AsOf);

        Assert.Equal(88, score.Dimension(HealthDimension.ProductUsage));
    }

    [Fact]
    public void Score_NoLicensedSeats_SeatShareLeftOutAndTheOtherSubSignalsCarryUsage()
    {
        // Seats unknown: no weight. Logins 28 in 28 days against 96 → 25; events steady → 100; no key features
        // configured: (20 × 25 + 30 × 100) / 50 = 70. The dimension is known, so it is not flagged missing.
        var score = Calculator(o => o.ExpectedWeeklyLoginsPerActiveUser = 3).Score(Healthy((_, d) => d with { Logins = 1 }) with { LicensedSeats = 0 }, null, null, AsOf);

        Assert.Equal(70, score.Dimension(HealthDimension.ProductUsage));
        Assert.DoesNotContain(HealthFlags.MissingSignalsPrefix + "ProductUsage", score.Flags.ToIds());
    }

    [Theory]
    [InlineData(100, 100)] // steady: (35 × 100 + 20 × 100 + 30 × 100) / 85 = 100 (logins 112 in 28 days against 96 expected → 100)
    [InlineData(85, 100)] // 85% of its own baseline: less than the seeds' 20% decline, ordinary variation
    [InlineData(80, 100)] // 80%: the line itself
    [InlineData(70, 82)] // 70% → 50: 7000 / 85 = 82.4
    [InlineData(50, 72)] // 50% → 20: 6100 / 85 = 71.8
    [InlineData(30, 65)] // 30% → 0: 5500 / 85 = 64.7
    public void Score_UsageAgainstItsOwnBaseline_LastTwoWeeksAgainstTheSixBefore(int recentEventsPerDay, int expected)
    {
        // 100 events a day for weeks 3-8, recentEventsPerDay in the last two weeks; seats and logins unchanged (100).
        var signals = Healthy((age, d) => age < 14 ? d with { Events = recentEventsPerDay } : d);

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(expected, score.Dimension(HealthDimension.ProductUsage));
    }

    [Fact]
    public void Explain_NoLicensedSeats_SeatShareMissingAndTheKnownSubSignalsGiveTheDimension()
    {
        var calculator = Calculator(o => o.ExpectedWeeklyLoginsPerActiveUser = 3);
        var signals = Healthy((_, d) => d with { Logins = 1 }) with { LicensedSeats = 0 };

        var sub = calculator.Explain(signals, AsOf).Where(x => x.Dimension == HealthDimension.ProductUsage).ToList();

        // As in the test above: seats unknown, logins 25, trend 100; (20 × 25 + 30 × 100) / 50 = 70.
        Assert.Null(sub.Single(x => x.Name == HealthSubSignals.SeatShare).Value);
        Assert.Equal(25, sub.Single(x => x.Name == HealthSubSignals.LoginFrequency).Value);
        Assert.Equal(100, sub.Single(x => x.Name == HealthSubSignals.UsageTrend).Value);
        var known = sub.Where(x => x.Value is not null).ToList();
        var weighted = (int)Math.Round((double)known.Sum(x => x.Weight * x.Value!.Value) / known.Sum(x => x.Weight), MidpointRounding.AwayFromZero);
        Assert.Equal(calculator.Score(signals, null, null, AsOf).Dimension(HealthDimension.ProductUsage), weighted);
    }

    [Fact]
    public void Explain_NoRatingInTheWindow_SatisfactionMissingAndSupportStillScored()
    {
        var signals = Healthy((_, d) => d with { SatisfactionGood = 0, SatisfactionBad = 0 });

        var sub = Calculator().Explain(signals, AsOf).Where(x => x.Dimension == HealthDimension.Support).ToList();

        Assert.Equal([HealthSubSignals.TicketVolume, HealthSubSignals.UrgentShare, HealthSubSignals.OpenUrgentTickets, HealthSubSignals.Satisfaction], sub.Select(x => x.Name));
        Assert.Null(sub.Single(x => x.Name == HealthSubSignals.Satisfaction).Value);
        Assert.All(sub.Where(x => x.Name != HealthSubSignals.Satisfaction), x => Assert.NotNull(x.Value));
    }

    [Theory]
    [InlineData(10, 100)] // steady against its own past
    [InlineData(7, 100)] // 70%: not yet the seeds' >30% drop
    [InlineData(6, 50)] // 60% → 50
    [InlineData(5, 50)] // 50% → 50
    [InlineData(4, 20)] // 40% → 20
    [InlineData(3, 20)] // 30% → 20
    [InlineData(2, 0)] // 20% → 0
    public void Score_LoginFrequencyYardstickCleared_AgainstTheAccountsOwnPast(int recentLoginsPerDay, int expected)
    {
        // 10 logins a day for weeks 3-8, recentLoginsPerDay in the last two weeks; events and seats steady.
        var signals = Healthy((age, d) => d with { Logins = age < 14 ? recentLoginsPerDay : 10 });

        var login = Calculator(o => o.ExpectedWeeklyLoginsPerActiveUser = null).Explain(signals, AsOf).Single(x => x.Name == HealthSubSignals.LoginFrequency);

        Assert.Equal(expected, login.Value);
    }

    [Fact]
    public void Score_LoginFrequencyYardstickCleared_UnknownBeforeTwoFortnightsWatched()
    {
        var signals = Healthy() with { ObservedSince = AsOf.AddDays(-20) };

        var login = Calculator(o => o.ExpectedWeeklyLoginsPerActiveUser = null).Explain(signals, AsOf).Single(x => x.Name == HealthSubSignals.LoginFrequency);

        Assert.Null(login.Value);
        Assert.Equal(100, Calculator(o => o.ExpectedWeeklyLoginsPerActiveUser = null).Score(signals, null, null, AsOf).Dimension(HealthDimension.ProductUsage));
    }

    [Fact]
    public void Score_UsageFallBeforeTwoFortnightsWatched_NotReadAsATrend()
    {
        // Watched 20 days: no full fortnight before the last one, so the fall has no baseline to be read against.
        var signals = Healthy((age, d) => age < 14 ? d with { Events = 10 } : d) with { ObservedSince = AsOf.AddDays(-19) };

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(100, score.Dimension(HealthDimension.ProductUsage));
        Assert.DoesNotContain(HealthFlags.MissingSignalsPrefix + "ProductUsage", score.Flags.ToIds());
    }

    [Fact]
    public void Score_UsageFallingAgainstBaseline_DriverIsProductUsage()
    {
        var previous = Calculator().Score(Healthy(), null, null, AsOf.AddDays(-1));
        var signals = Healthy((age, d) => age < 14 ? d with { Events = 30 } : d);

        var score = Calculator().Score(signals, previous, null, AsOf);

        Assert.Equal(HealthDimension.ProductUsage, score.Drivers[0].Dimension);
        Assert.True(score.Drivers[0].Points < 0);
        Assert.True(score.Score < previous.Score);
    }

    [Fact]
    public void Score_NoContactSignals_EngagementNeutralAndFlaggedNotZero()
    {
        var signals = Healthy((_, d) => d with { Meetings = 0, Qbrs = 0, EmailReplies = 0 });

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(50, score.Dimension(HealthDimension.Engagement));
        Assert.Contains(HealthFlags.MissingSignalsPrefix + "Engagement", score.Flags.ToIds());
        Assert.DoesNotContain(HealthFlags.DimensionZeroPrefix + "Engagement", score.Flags.ToIds());
    }

    [Fact]
    public void Score_StaleContactNoMeetings_EngagementFromRecencyMeetingsReplies()
    {
        // Last contact: one reply 20 days ago → recency 70; no meetings/QBRs → 30; 1 reply in 30 days → 70. (170) / 3 = 56.7 → 57.
        var signals = Healthy((age, d) => d with { Meetings = 0, Qbrs = 0, EmailReplies = age == 20 ? 1 : 0 });

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(57, score.Dimension(HealthDimension.Engagement));
    }

    [Fact]
    public void Score_SupportStrain_AveragesVolumeUrgencyOpenUrgentSatisfaction()
    {
        // Tickets: 4 in days 30-59 (baseline), 7 in the last 30, a rise of 3 → 7 ≤ 2 × 4 → 40; 2 of 7 urgent (29%) → 40;
        // 1 open urgent → 50; 3 good / 1 bad (75%) → 70. (40 + 40 + 50 + 70) / 4 = 50.
        var signals = Healthy((age, d) => age switch
        {
            40 or 45 => d with { TicketsOpened = 2 },
            1 => d with { TicketsOpened = 4, UrgentOrHighTicketsOpened = 2 },
            2 => d with { TicketsOpened = 3, SatisfactionGood = 2, SatisfactionBad = 1 },
            _ => d,
        }) with { OpenUrgentTickets = 1 };

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(50, score.Dimension(HealthDimension.Support));
    }

    [Theory]
    [InlineData(0, 2, 0, 100, 100)] // two tickets after a month with none: a rise of 2, below the spike minimum of 3
    [InlineData(0, 3, 0, 0, 100)] // three after none: a spike (3 > 2 × 1)
    [InlineData(4, 6, 0, 100, 100)] // six after four: a rise of 2, ordinary
    [InlineData(4, 7, 0, 40, 100)] // seven after four: a rise of 3, 7 ≤ 2 × 4
    [InlineData(0, 1, 1, 100, 100)] // one urgent ticket: an incident, no share to judge (open-urgent tells it while open)
    [InlineData(2, 2, 2, 100, 0)] // two urgent of two: the share counts
    public void Score_SupportVolumeAndUrgency_CountPatternsNotSingleTickets(int before, int recent, int urgent, int volume, int urgency)
    {
        var signals = Healthy((age, d) => age switch
        {
            40 => d with { TicketsOpened = before },
            1 => d with { TicketsOpened = recent, UrgentOrHighTicketsOpened = urgent },
            _ => d,
        });

        var support = Calculator().Explain(signals, AsOf).Where(x => x.Dimension == HealthDimension.Support).ToDictionary(x => x.Name, x => x.Value);

        Assert.Equal(volume, support[HealthSubSignals.TicketVolume]);
        Assert.Equal(urgency, support[HealthSubSignals.UrgentShare]);
    }

    [Fact]
    public void Score_SupportMinimumsOfOne_JudgeEverySingleTicket()
    {
        // The minimums are CS operations' call: set to 1, one urgent ticket after a quiet month sinks volume and urgency.
        var signals = Healthy((age, d) => age == 1 ? d with { TicketsOpened = 2, UrgentOrHighTicketsOpened = 1 } : d);

        var support = Calculator(o => { o.TicketSpikeMinimum = 1; o.UrgentTicketsMinimum = 1; })
            .Explain(signals, AsOf).Where(x => x.Dimension == HealthDimension.Support).ToDictionary(x => x.Name, x => x.Value);

        Assert.Equal(40, support[HealthSubSignals.TicketVolume]); // 2 ≤ 2 × 1
        Assert.Equal(40, support[HealthSubSignals.UrgentShare]); // 1 of 2 (50%)
    }

    [Fact]
    public void Score_NoRatings_SupportFromVolumeUrgencyAndOpenTickets_NotMissing()
    {
        var signals = Healthy((_, d) => d with { SatisfactionGood = 0 });

        var score = Calculator().Score(signals, null, null, AsOf);

        // (100 + 100 + 100) / 3: no rating is no penalty, and the dimension still counts.
        Assert.Equal(100, score.Dimension(HealthDimension.Support));
        Assert.DoesNotContain(HealthFlags.MissingSignalsPrefix + "Support", score.Flags.ToIds());
    }

    [Fact]
    public void Score_UrgentTicketStormWithoutRatings_SinksSupportAndTheScore()
    {
        // 4 urgent tickets in the last 30 days against none before → volume 0, urgency 0; 2 still open → 0.
        var signals = Healthy((age, d) => age < 4 ? d with { TicketsOpened = 1, UrgentOrHighTicketsOpened = 1, SatisfactionGood = 0 } : d with { SatisfactionGood = 0 }) with { OpenUrgentTickets = 2 };

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(0, score.Dimension(HealthDimension.Support));
        Assert.Contains(HealthFlags.DimensionZeroPrefix + "Support", score.Flags.ToIds());
        Assert.Equal(90, score.Score); // the SMB 10% support weight lost
    }

    [Theory]
    [InlineData(-3, 50, true)] // watched 4 days: no usage picture yet
    [InlineData(-6, 100, false)] // watched 7 days: 28 logins against 3/week × 8 users × 4 weeks × 7/28 = 24 expected (the yardstick is set here)
    [InlineData(null, 82, false)] // watched all along: the same 28 logins against 96 → 25; events steady → 100; (35×100 + 20×25 + 30×100) / 85 = 82
    public void Score_ProductUsageOfANewlyWatchedAccount_MissingForAWeekThenScoredOnTheDaysWatched(int? observedSinceDays, int expected, bool flaggedMissing)
    {
        // 8 of 10 seats active; 4 logins a day, only in the last 7 days; no key features configured.
        var signals = Healthy((age, d) => age < 7 ? d : d with { Logins = 0 }) with { ObservedSince = observedSinceDays is { } o ? AsOf.AddDays(o) : null };

        var score = Calculator(o => o.ExpectedWeeklyLoginsPerActiveUser = 3).Score(signals, null, null, AsOf);

        Assert.Equal(expected, score.Dimension(HealthDimension.ProductUsage));
        Assert.Equal(flaggedMissing, score.Flags.ToIds().Contains(HealthFlags.MissingSignalsPrefix + "ProductUsage"));
    }

    [Theory]
    [InlineData(-400, -200, 50, true)] // onboarded out of sight (observed 200 days after a 90-day onboarding could end): missing
    [InlineData(-400, -320, 0, false)] // watched since day 80 of the customer's life: milestones could have been seen
    [InlineData(-400, null, 0, false)] // never linked through the directory: nothing to go on, scored as recorded
    public void Score_OutcomesWithNoMilestoneRecorded_NeutralOnlyWhenOnboardingPredatesObservation(int customerSinceDays, int? observedSinceDays, int expected, bool flaggedMissing)
    {
        var signals = Healthy() with
        {
            Milestones = new Dictionary<string, DateTimeOffset>(),
            CustomerSince = AsOf.AddDays(customerSinceDays),
            ObservedSince = observedSinceDays is { } d ? AsOf.AddDays(d) : null,
        };

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Equal(expected, score.Dimension(HealthDimension.Outcomes));
        Assert.Equal(flaggedMissing, score.Flags.ToIds().Contains(HealthFlags.MissingSignalsPrefix + "Outcomes"));
    }

    [Fact]
    public void Score_OutcomesMilestones_ShareOfConfiguredReached()
    {
        // first_value + 2 success milestones configured; first_value and "kpi" reached → 2 / 3 → 67.
        var calculator = Calculator(product: p => p.SuccessMilestones = ["kpi", "expansion"]);
        var signals = Healthy() with
        {
            Milestones = new Dictionary<string, DateTimeOffset> { ["first_value"] = AsOf.AddDays(-300), ["kpi"] = AsOf.AddDays(-10) },
        };

        Assert.Equal(67, calculator.Score(signals, null, null, AsOf).Dimension(HealthDimension.Outcomes));
    }

    [Theory]
    [InlineData(true, true, true, true, 100)]
    [InlineData(true, false, true, true, 70)] // 60 × 50 + 40 × 100
    [InlineData(true, true, false, false, 60)]
    [InlineData(false, false, true, false, 20)] // 40 × 50
    [InlineData(false, false, false, false, 0)]
    public void Relationship_ChampionAndSponsor_Weighted60_40(bool champion, bool championActive, bool sponsor, bool sponsorActive, int expected)
    {
        var r = new RelationshipSignals { HasChampion = champion, ChampionActive = championActive, HasExecutiveSponsor = sponsor, ExecutiveSponsorActive = sponsorActive };

        Assert.Equal(expected, HealthScoreCalculator.Relationship(r, AsOf));
    }

    [Fact]
    public void Score_NoExecutiveSponsor_ExpectedAboveTechTouchOnly()
    {
        // Champion active, no sponsor: SMB (tech-touch) is read on its champion → 100; Mid-Market and Enterprise
        // expect a sponsor → 60 × 100 / 100 = 60.
        var smb = Healthy() with { Relationship = new RelationshipSignals { HasChampion = true, ChampionActive = true } };

        Assert.Equal(100, Calculator().Score(smb, null, null, AsOf).Dimension(HealthDimension.Relationship));
        Assert.Equal(60, Calculator().Score(smb with { MrrCents = 200_000 }, null, null, AsOf).Dimension(HealthDimension.Relationship));
        Assert.Equal(60, Calculator().Score(smb with { MrrCents = 1_000_000 }, null, null, AsOf).Dimension(HealthDimension.Relationship));
    }

    [Fact]
    public void Relationship_ChampionLeftRecentlyNoReplacement_IsZero()
    {
        var r = new RelationshipSignals { HasExecutiveSponsor = true, ExecutiveSponsorActive = true, ChampionLeftAt = AsOf.AddDays(-10) };

        Assert.Equal(0, HealthScoreCalculator.Relationship(r, AsOf));
    }

    [Fact]
    public void Relationship_ChampionLeftRecentlyNewChampion_CappedAt40()
    {
        var r = new RelationshipSignals { HasChampion = true, ChampionActive = true, HasExecutiveSponsor = true, ExecutiveSponsorActive = true, ChampionLeftAt = AsOf.AddDays(-10) };

        Assert.Equal(40, HealthScoreCalculator.Relationship(r, AsOf));
    }

    [Fact]
    public void Relationship_ChampionLeftOver90DaysAgo_NoLongerPenalized()
    {
        var r = new RelationshipSignals { HasChampion = true, ChampionActive = true, HasExecutiveSponsor = true, ExecutiveSponsorActive = true, ChampionLeftAt = AsOf.AddDays(-91) };

        Assert.Equal(100, HealthScoreCalculator.Relationship(r, AsOf));
    }

    [Fact]
    public void Score_FailedPaymentAndPastDue_Payment30()
    {
        var signals = Healthy((age, d) => age == 5 ? d with { PaymentsFailed = 1 } : d) with { SubscriptionStatus = "past_due" };

        Assert.Equal(30, Calculator().Score(signals, null, null, AsOf).Dimension(HealthDimension.Payment));
    }

    [Fact]
    public void Score_CancelAtPeriodEndAndDowngrade_Payment20()
    {
        var signals = Healthy((age, d) => age == 5 ? d with { MrrDeltaCents = -10_000 } : d) with { CancelAtPeriodEnd = true };

        Assert.Equal(20, Calculator().Score(signals, null, null, AsOf).Dimension(HealthDimension.Payment));
    }

    [Fact]
    public void Score_Canceled_PaymentZeroAndFlagged()
    {
        var score = Calculator().Score(Healthy() with { SubscriptionStatus = "canceled" }, null, null, AsOf);

        Assert.Equal(0, score.Dimension(HealthDimension.Payment));
        Assert.Contains(HealthFlags.DimensionZeroPrefix + "Payment", score.Flags.ToIds());
        Assert.Equal(80, score.Score); // the SMB 20% payment weight lost
    }

    [Theory]
    [InlineData(166_666, AccountSegment.Smb)] // ARR $19,999.92
    [InlineData(166_667, AccountSegment.MidMarket)] // ARR $20,000.04
    [InlineData(833_333, AccountSegment.MidMarket)] // ARR $99,999.96
    [InlineData(833_334, AccountSegment.Enterprise)] // ARR $100,000.08
    public void SegmentOf_ArrTiers_DefaultBoundaries(long mrrCents, AccountSegment expected) =>
        Assert.Equal(expected, Calculator().SegmentOf(mrrCents));

    [Fact]
    public void Weighted_MissingDimensions_CarryNoWeight_HandComputed()
    {
        var calculator = Calculator();
        int[] dims = [100, 50, 50, 100, 60, 100];
        var engagementAndOutcomesMissing = default(HealthFlagMask).WithMissingSignals(HealthDimension.Engagement).WithMissingSignals(HealthDimension.Outcomes);

        // SMB 45/–/–/10/5/20 over 80: (4500 + 1000 + 300 + 2000) / 80 = 97.5 → 98; weighing in the neutral 50s gives (7800 + 250 + 750) / 100 = 88.
        Assert.Equal(98, calculator.Weighted(AccountSegment.Smb, dims, engagementAndOutcomesMissing));
        Assert.Equal(88, calculator.Weighted(AccountSegment.Smb, dims, default));
        Assert.Equal(HealthScoreCalculator.Neutral, calculator.Weighted(AccountSegment.Smb, dims, Enum.GetValues<HealthDimension>().Aggregate(default(HealthFlagMask), (f, d) => f.WithMissingSignals(d))));
    }

    [Fact]
    public void Score_AccountWithoutContactSignals_ScoredOnTheDimensionsItHas()
    {
        // Healthy() with no meetings, QBRs or replies at all: engagement is missing, not a drag towards Yellow.
        var signals = Healthy((_, d) => d with { Meetings = 0, Qbrs = 0, EmailReplies = 0 });

        var score = Calculator().Score(signals, null, null, AsOf);

        Assert.Contains(HealthFlags.MissingSignalsPrefix + "Engagement", score.Flags.ToIds());
        Assert.Equal(HealthScoreCalculator.Neutral, score.Dimension(HealthDimension.Engagement));
        var others = new[] { HealthDimension.ProductUsage, HealthDimension.Outcomes, HealthDimension.Support, HealthDimension.Relationship, HealthDimension.Payment };
        int[] smbWeights = [45, 0, 15, 10, 5, 20];
        var expected = (int)Math.Round(others.Sum(d => smbWeights[(int)d] * score.Dimension(d)) / 95.0, MidpointRounding.AwayFromZero);
        Assert.Equal(expected, score.Score);
    }

    [Fact]
    public void Weighted_DefaultAndSegmentWeights_HandComputed()
    {
        var calculator = Calculator(o => o.Weights.Enterprise = new HealthWeights { ProductUsage = 10, Engagement = 10, Outcomes = 10, Support = 10, Relationship = 50, Payment = 10 });
        int[] dims = [100, 50, 0, 100, 0, 100];

        // SMB default 45/5/15/10/5/20: 4500 + 250 + 0 + 1000 + 0 + 2000 = 7750 → 77.5 → 78.
        Assert.Equal(78, calculator.Weighted(AccountSegment.Smb, dims));

        // Mid-Market default 35/15/15/10/15/10: 3500 + 750 + 0 + 1000 + 0 + 1000 = 6250 → 62.5 → 63.
        Assert.Equal(63, calculator.Weighted(AccountSegment.MidMarket, dims));

        // Enterprise 10/10/10/10/50/10: 1000 + 500 + 0 + 1000 + 0 + 1000 = 3500 → 35.
        Assert.Equal(35, calculator.Weighted(AccountSegment.Enterprise, dims));
    }

    [Fact]
    public void Score_EnterpriseAccount_UsesEnterpriseWeights()
    {
        // No champion or sponsor: relationship 0. SMB weights lose 5 → 95 Green; Enterprise weights (relationship 50) lose 50 → 50 Yellow.
        var calculator = Calculator(o => o.Weights.Enterprise = new HealthWeights { ProductUsage = 10, Engagement = 10, Outcomes = 10, Support = 10, Relationship = 50, Payment = 10 });
        var smb = Healthy() with { Relationship = new RelationshipSignals() };
        var enterprise = smb with { MrrCents = 1_000_000 };

        var smbScore = calculator.Score(smb, null, null, AsOf);
        var enterpriseScore = calculator.Score(enterprise, null, null, AsOf);

        Assert.Equal((95, HealthBand.Green), (smbScore.Score, smbScore.Band));
        Assert.Equal((AccountSegment.Enterprise, 50, HealthBand.Yellow), (enterpriseScore.Segment, enterpriseScore.Score, enterpriseScore.Band));
    }

    [Theory]
    [InlineData(100, HealthBand.Green)]
    [InlineData(75, HealthBand.Green)]
    [InlineData(74, HealthBand.Yellow)]
    [InlineData(50, HealthBand.Yellow)]
    [InlineData(49, HealthBand.Red)]
    [InlineData(0, HealthBand.Red)]
    public void BandOf_DefaultThresholds(int score, HealthBand expected)
    {
        foreach (var segment in Enum.GetValues<AccountSegment>())
        {
            Assert.Equal(expected, Calculator().BandOf(segment, score));
        }
    }

    [Theory]
    [InlineData(80, HealthBand.Green)]
    [InlineData(79, HealthBand.Yellow)]
    [InlineData(60, HealthBand.Yellow)]
    [InlineData(59, HealthBand.Red)]
    public void BandOf_ConfiguredThresholds(int score, HealthBand expected) =>
        Assert.Equal(expected, Calculator(o => o.Bands = new HealthBandOptions { Green = 80, Yellow = 60 }).BandOf(AccountSegment.MidMarket, score));

    [Fact]
    public void BandOf_SegmentThresholds_OverrideOnlyThatSegmentAndFallBackPerValue()
    {
        var calculator = Calculator(o => o.Bands.Enterprise = new SegmentBandOptions { Green = 82 });

        // Enterprise: its own Green, the global Yellow.
        Assert.Equal(HealthBand.Yellow, calculator.BandOf(AccountSegment.Enterprise, 80));
        Assert.Equal(HealthBand.Green, calculator.BandOf(AccountSegment.Enterprise, 82));
        Assert.Equal(HealthBand.Red, calculator.BandOf(AccountSegment.Enterprise, 49));

        // The other segments keep the global thresholds.
        Assert.Equal(HealthBand.Green, calculator.BandOf(AccountSegment.MidMarket, 80));
        Assert.Equal(HealthBand.Green, calculator.BandOf(AccountSegment.Smb, 75));
    }

    [Fact]
    public void Score_SegmentThresholds_BandFollowsTheAccountsSegment()
    {
        // The same signals score the same; a segment with a higher Green line calls that score Yellow.
        var plain = Calculator().Score(Healthy(), null, null, AsOf);
        var strict = Calculator(o => o.Bands.Smb = new SegmentBandOptions { Green = plain.Score + 1 }).Score(Healthy(), null, null, AsOf);

        Assert.Equal(AccountSegment.Smb, strict.Segment);
        Assert.Equal(plain.Score, strict.Score);
        Assert.Equal(HealthBand.Green, plain.Band);
        Assert.Equal(HealthBand.Yellow, strict.Band);
    }

    [Fact]
    public void Score_OnboardingBehindPaceByOneOfFour_Scores75AndIsMarked()
    {
        // Day 52 of 90, grace 14: 4 × (52 − 14) / (90 − 14) = 2 milestones expected; 1 reached → 1 behind → 100 × 3 / 4 = 75.
        var calculator = Calculator(product: p => p.OnboardingMilestones = ["invited", "connected", "imported", "shared"]);
        var signals = Healthy() with
        {
            CustomerSince = AsOf.AddDays(-52),
            Milestones = new Dictionary<string, DateTimeOffset> { ["invited"] = AsOf.AddDays(-50) },
        };

        var score = calculator.Score(signals, null, null, AsOf);

        Assert.True(score.Onboarding);
        Assert.Equal(75, score.Score);
        Assert.Equal(HealthBand.Green, score.Band);
        Assert.Equal(100, score.Dimension(HealthDimension.ProductUsage)); // dimensions are still computed and kept
        Assert.Equal(0, score.Dimension(HealthDimension.Outcomes));
    }

    [Fact]
    public void Score_OnboardingByFirstValueOnly_DeclinesLinearlyAfterGrace()
    {
        // No onboarding milestones configured: first value is the one expected. Day 52: 0.5 behind → 50; day 14: 100; day 90: 0.
        var calculator = Calculator();
        var at = (int days) => calculator.Score(Healthy() with { CustomerSince = AsOf.AddDays(-days), Milestones = new Dictionary<string, DateTimeOffset>() }, null, null, AsOf);

        Assert.Equal((true, 50), (at(52).Onboarding, at(52).Score));
        Assert.Equal(100, at(14).Score);
        Assert.Equal((0, HealthBand.Red), (at(90).Score, at(90).Band));
    }

    [Fact]
    public void Score_FirstValueReachedOrPastOnboardingWindow_ScoredNormally()
    {
        var calculator = Calculator();
        var reached = calculator.Score(Healthy() with { CustomerSince = AsOf.AddDays(-5) }, null, null, AsOf);
        var overdue = calculator.Score(Healthy() with { CustomerSince = AsOf.AddDays(-91), Milestones = new Dictionary<string, DateTimeOffset>() }, null, null, AsOf);

        Assert.False(reached.Onboarding);
        Assert.Equal(100, reached.Score);
        Assert.False(overdue.Onboarding);
        Assert.Equal(85, overdue.Score); // outcomes 0 of 15%
    }

    [Fact]
    public void Score_ActiveOverride_BandInForceComputedStaysVisible()
    {
        var bandOverride = new HealthBandOverride(HealthBand.Red, "Exec escalation", AsOf.AddDays(1), "csm@example.com", AsOf.AddDays(-2));

        var score = Calculator().Score(Healthy(), null, bandOverride, AsOf);

        Assert.Equal(HealthBand.Red, score.Band);
        Assert.Equal(HealthBand.Green, score.ComputedBand);
        Assert.Equal(100, score.Score);
        Assert.Same(bandOverride, score.Override);
    }

    [Fact]
    public void Score_ExpiredOverride_Ignored()
    {
        var bandOverride = new HealthBandOverride(HealthBand.Red, "Exec escalation", AsOf, "csm@example.com", AsOf.AddDays(-2));

        var score = Calculator().Score(Healthy(), null, bandOverride, AsOf);

        Assert.Equal(HealthBand.Green, score.Band);
        Assert.Null(score.Override);
    }

    [Theory]
    [InlineData(80, HealthTrend.Improving, 20)]
    [InlineData(95, HealthTrend.Improving, 5)]
    [InlineData(96, HealthTrend.Stable, 4)]
    public void Score_Trend_AgainstOldestScoreInLast30Days(int scoreThirtyDaysAgo, HealthTrend expected, int delta)
    {
        var history = HealthScoreHistory.Empty.With(Today.AddDays(-30), scoreThirtyDaysAgo).With(Today.AddDays(-1), 60);

        var score = Calculator().Score(Healthy(), Previous([100, 100, 100, 100, 100, 100], history: history, score: 60), null, AsOf);

        Assert.Equal((expected, delta), (score.Trend, score.TrendDelta));
    }

    [Fact]
    public void Score_Trend_DecliningWhenDownByThreshold()
    {
        var history = HealthScoreHistory.Empty.With(Today.AddDays(-20), 100);

        // Notice given and a dispute: Payment 0, the SMB score 100 − 20.
        var signals = Healthy((age, d) => age == 1 ? d with { DisputesOpened = 1 } : d) with { CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(10) };
        var score = Calculator().Score(signals, Previous([100, 100, 100, 100, 100, 100], history: history), null, AsOf);

        Assert.Equal((HealthTrend.Declining, -20), (score.Trend, score.TrendDelta));
    }

    [Fact]
    public void Score_Trend_IgnoresScoresOlderThan30Days()
    {
        var history = HealthScoreHistory.Empty.With(Today.AddDays(-31), 40);

        var score = Calculator().Score(Healthy(), Previous([100, 100, 100, 100, 100, 100], history: history), null, AsOf);

        Assert.Equal((HealthTrend.Stable, 0), (score.Trend, score.TrendDelta));
        Assert.Equal(100, score.History.ScoreOn(Today));
        Assert.Null(score.History.ScoreOn(Today.AddDays(-31)));
    }

    [Fact]
    public void Score_SameBand_DaysInBandCarriedFromPrevious()
    {
        var score = Calculator().Score(Healthy(), Previous([100, 100, 100, 100, 100, 100], HealthBand.Green, Today.AddDays(-21)), null, AsOf);

        Assert.Equal(21, score.DaysInBand);
    }

    [Fact]
    public void Score_BandChanged_DaysInBandRestarts()
    {
        // One band-change day: the band follows today's score (the hysteresis has its own tests).
        var score = Calculator(o => o.BandChangeDays = 1).Score(Healthy(), Previous([100, 100, 100, 100, 100, 100], HealthBand.Yellow, Today.AddDays(-21)), null, AsOf);

        Assert.Equal((HealthBand.Green, 0), (score.Band, score.DaysInBand));
    }

    [Fact]
    public void Score_Drivers_LargestWeightedMovesFirst()
    {
        // Previous ProductUsage 70 and Payment 50; now both 100: +30 × 45% = +13.5 points, +50 × 20% = +10 points.
        var score = Calculator().Score(Healthy(), Previous([70, 100, 100, 100, 100, 50]), null, AsOf);

        Assert.Equal(
            [new HealthDriverDelta(HealthDimension.ProductUsage, 13.5, 70, 100), new HealthDriverDelta(HealthDimension.Payment, 10, 50, 100)],
            score.Drivers);
        Assert.Equal("ProductUsage", score.Drivers[0].ToDriver().Name);
    }

    [Fact]
    public void Score_NothingMoved_PreviousDriversKept()
    {
        var previous = Previous([100, 100, 100, 100, 100, 100]);
        HealthDriverDelta[] drivers = [new(HealthDimension.Support, -3, 70, 40)];
        previous = new HealthScore { AccountId = previous.AccountId, Day = previous.Day, ScoredAt = previous.ScoredAt, Dimensions = previous.Dimensions, Drivers = drivers, Band = HealthBand.Green };

        Assert.Equal(drivers, Calculator().Score(Healthy(), previous, null, AsOf).Drivers);
    }

    // The windows as of the scored day alone (their hysteresis over days has its own tests).
    private static void OneDay(HealthOptions o) => o.BandChangeDays = 1;

    [Fact]
    public void Score_LoginsDownMoreThan30PercentTwoWeeksRunning_Flagged()
    {
        // Weeks (ages 14-20, 7-13, 0-6): 100 → 69 → 48 logins: each below 70% of the week before.
        var score = Calculator(OneDay).Score(Healthy(LoginWeeks(100, 69, 48)), null, null, AsOf);

        Assert.True(score.Flags.Has(HealthFlags.LoginsDownWeekOverWeek));
    }

    [Fact]
    public void Score_LoginsDownExactly30Percent_NotFlagged()
    {
        var score = Calculator(OneDay).Score(Healthy(LoginWeeks(100, 70, 48)), null, null, AsOf);

        Assert.False(score.Flags.Has(HealthFlags.LoginsDownWeekOverWeek));
    }

    [Theory]
    [InlineData(80, true)]
    [InlineData(81, false)]
    public void Score_UsageDown20PercentOver4Weeks_Flagged(int lastFourWeeks, bool expected)
    {
        // Events on one day per 4-week block: ages 30 (prior 4 weeks) = 100 and 5 (last 4 weeks) = lastFourWeeks.
        var score = Calculator(OneDay).Score(Healthy((age, d) => d with { Events = age switch { 30 => 100, 5 => lastFourWeeks, _ => 0 } }), null, null, AsOf);

        Assert.Equal(expected, score.Flags.Has(HealthFlags.UsageDown4Weeks));
    }

    [Theory]
    [InlineData(80, true)]
    [InlineData(81, false)]
    public void Score_UsageDown20PercentOver2Weeks_Flagged(int lastTwoWeeks, bool expected)
    {
        var score = Calculator(OneDay).Score(Healthy((age, d) => d with { Events = age switch { 20 => 100, 3 => lastTwoWeeks, _ => 0 } }), null, null, AsOf);

        Assert.Equal(expected, score.Flags.Has(HealthFlags.UsageDown2Weeks));
    }

    [Fact]
    public void Score_SignalsOutside60DayWindowOrInFuture_Ignored()
    {
        var signals = Healthy((age, d) => age == 0 ? d with { PaymentsFailed = 0 } : d);
        var days = signals.Days.ToList();
        days.Insert(0, new DailySignals { Day = Today.AddDays(-61), DisputesOpened = 3 });
        days.Add(new DailySignals { Day = Today.AddDays(1), PaymentsFailed = 2 });

        var score = Calculator().Score(signals with { Days = days }, null, null, AsOf);

        Assert.Equal(100, score.Dimension(HealthDimension.Payment));
    }

    private static Func<int, DailySignals, DailySignals> LoginWeeks(int twoWeeksAgo, int lastWeek, int thisWeek) =>
        (age, d) => d with { Logins = age switch { 14 => twoWeeksAgo, 7 => lastWeek, 0 => thisWeek, _ => 0 } };
}
