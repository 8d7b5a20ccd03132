using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using FsCheck;
using FsCheck.Fluent;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

public sealed class HealthScorePropertyTests
{
    private static readonly string[] Statuses = ["active", "trialing", "past_due", "unpaid", "canceled", "paused", "incomplete"];

    private static readonly Gen<DailySignals> DayGen =
        from age in Gen.Choose(-2, 70)
        from logins in Gen.Choose(0, 5_000)
        from events in Gen.Choose(0, 1_000_000)
        from tickets in Gen.Choose(0, 50)
        from urgent in Gen.Choose(0, 50)
        from good in Gen.Choose(0, 20)
        from bad in Gen.Choose(0, 20)
        from failed in Gen.Choose(0, 3)
        from disputes in Gen.Choose(0, 2)
        from meetings in Gen.Choose(0, 3)
        from qbrs in Gen.Choose(0, 1)
        from replies in Gen.Choose(0, 5)
        from mrrDelta in Gen.Choose(-100_000, 100_000)
        select new DailySignals
        {
            Day = Today.AddDays(-age),
            Logins = logins,
            Events = events,
            TicketsOpened = tickets,
            UrgentOrHighTicketsOpened = urgent,
            SatisfactionGood = good,
            SatisfactionBad = bad,
            PaymentsFailed = failed,
            DisputesOpened = disputes,
            Meetings = meetings,
            Qbrs = qbrs,
            EmailReplies = replies,
            MrrDeltaCents = mrrDelta,
        };

    private static readonly Gen<AccountSignals> SignalsGen =
        from seats in Gen.Choose(-1, 500)
        from active in Gen.Choose(0, 1_000)
        from mrr in Gen.Choose(0, 5_000_000)
        from status in Gen.Elements(Statuses)
        from cancel in Gen.Elements(true, false)
        from sinceDays in Gen.Choose(-5, 400)
        from days in DayGen.ListOf()
        from openUrgent in Gen.Choose(0, 5)
        from champion in Gen.Elements(true, false)
        from championActive in Gen.Elements(true, false)
        from sponsor in Gen.Elements(true, false)
        from championLeftDaysAgo in Gen.Choose(-1, 200)
        from firstValue in Gen.Elements(true, false)
        select new AccountSignals
        {
            AccountId = "acct",
            LicensedSeats = seats,
            ActiveUsers30d = active,
            MrrCents = mrr,
            SubscriptionStatus = status,
            CancelAtPeriodEnd = cancel,
            CustomerSince = AsOf.AddDays(-sinceDays),
            Days = [.. days.OrderBy(d => d.Day)],
            OpenUrgentTickets = openUrgent,
            Milestones = firstValue ? new Dictionary<string, DateTimeOffset> { ["first_value"] = AsOf } : new Dictionary<string, DateTimeOffset>(),
            Relationship = new RelationshipSignals
            {
                HasChampion = champion,
                ChampionActive = championActive,
                HasExecutiveSponsor = sponsor,
                ChampionLeftAt = championLeftDaysAgo < 0 ? null : AsOf.AddDays(-championLeftDaysAgo),
            },
        };

    // Six weights 0-100 summing to 100: five cut points in 0..100, sorted, differences.
    private static readonly Gen<HealthWeights> WeightsGen =
        from cuts in Gen.Choose(0, 100).ArrayOf(5)
        let c = cuts.Order().ToArray()
        select new HealthWeights
        {
            ProductUsage = c[0],
            Engagement = c[1] - c[0],
            Outcomes = c[2] - c[1],
            Support = c[3] - c[2],
            Relationship = c[4] - c[3],
            Payment = 100 - c[4],
        };

    [Fact]
    public void Score_AnySignals_ScoreAndDimensionsWithin0To100()
    {
        var calculator = Calculator();

        Prop.ForAll(SignalsGen.ToArbitrary(), signals =>
        {
            var score = calculator.Score(signals, null, null, AsOf);
            var ok = score.Score is >= 0 and <= 100;
            foreach (var d in score.Dimensions)
            {
                ok &= d is >= 0 and <= 100;
            }

            return ok && score.Band == calculator.BandOf(score.Segment, score.Score);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Weighted_AnyValidWeights_MonotonicInEachDimensionAndWithin0To100()
    {
        var gen =
            from weights in WeightsGen
            from dims in Gen.Choose(0, 100).ArrayOf(6)
            from dimension in Gen.Choose(0, 5)
            from raise in Gen.Choose(0, 100)
            select (weights, dims, dimension, raise);

        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var calculator = Calculator(o => o.Weights.MidMarket = c.weights);
            var before = calculator.Weighted(AccountSegment.MidMarket, c.dims);
            var raised = (int[])c.dims.Clone();
            raised[c.dimension] = Math.Min(100, raised[c.dimension] + c.raise);
            var after = calculator.Weighted(AccountSegment.MidMarket, raised);
            return after >= before && before is >= 0 and <= 100 && after <= 100;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Weighted_AllDimensionsEqual_ScoreEqualsThem()
    {
        var gen = from weights in WeightsGen from v in Gen.Choose(0, 100) select (weights, v);

        Prop.ForAll(gen.ToArbitrary(), c =>
            Calculator(o => o.Weights.Smb = c.weights).Weighted(AccountSegment.Smb, [c.v, c.v, c.v, c.v, c.v, c.v]) == c.v)
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void SeatShareScore_MoreActiveSeats_NeverLower()
    {
        var gen = from seats in Gen.Choose(1, 10_000) from active in Gen.Choose(0, 10_000) from more in Gen.Choose(0, 1_000) select (seats, active, more);

        Prop.ForAll(gen.ToArbitrary(), c =>
            HealthScoreCalculator.SeatShareScore(c.active + c.more, c.seats) >= HealthScoreCalculator.SeatShareScore(c.active, c.seats))
            .QuickCheckThrowOnFailure();
    }
}
