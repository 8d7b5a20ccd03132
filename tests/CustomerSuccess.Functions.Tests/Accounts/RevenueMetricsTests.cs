using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>NRR, GRR and logo churn from MRR movements, against figures worked out by hand.</summary>
public sealed class RevenueMetricsTests
{
    private static readonly DateOnly From = new(2026, 1, 1);
    private static readonly DateOnly To = new(2026, 1, 31);

    private static AccountState Account(string id, params (DateOnly Day, MrrMovementKind Kind, long Delta)[] movements)
    {
        var state = AccountState.New(id, DateTimeOffset.UnixEpoch);
        state.Movements.AddRange(movements.Select(m => new MrrMovement { Day = m.Day.DayNumber, Kind = m.Kind, DeltaCents = m.Delta }));
        return state;
    }

    [Fact]
    public void Build_FivePortfolioStories_MatchTheHandWorkedFigures()
    {
        var metrics = new RevenueMetricsBuilder(From, To);

        // a: 1,000 at start, expands by 500 in the period.           cohort, end 1,500
        // b: 2,000 at start, contracts by 500, churns the other 1,500. cohort, end 0 (a lost logo)
        // c: 1,000 at start, churns, comes back at 800.               cohort, end 800
        // d: new in the period at 700, then expands by 300.           outside, end 1,000 (new business)
        // e: 3,000 at start, an expansion after the period.           cohort, end 3,000
        metrics.Add(Account("a", (From.AddDays(-40), MrrMovementKind.New, 1_000), (From.AddDays(10), MrrMovementKind.Expansion, 500)));
        metrics.Add(Account("b", (From.AddDays(-90), MrrMovementKind.New, 2_000), (From.AddDays(3), MrrMovementKind.Contraction, -500), (To, MrrMovementKind.Churn, -1_500)));
        metrics.Add(Account("c", (From.AddDays(-10), MrrMovementKind.New, 1_000), (From, MrrMovementKind.Churn, -1_000), (From.AddDays(20), MrrMovementKind.Reactivation, 800)));
        metrics.Add(Account("d", (From.AddDays(5), MrrMovementKind.New, 700), (From.AddDays(15), MrrMovementKind.Expansion, 300)));
        metrics.Add(Account("e", (From.AddDays(-1), MrrMovementKind.New, 3_000), (To.AddDays(1), MrrMovementKind.Expansion, 999)));

        var m = metrics.Build();

        // start 1,000 + 2,000 + 1,000 + 3,000 = 7,000; expansion 500; contraction 500; churn 1,500 + 1,000 = 2,500;
        // reactivation 800. NRR = (7,000 + 500 + 800 − 500 − 2,500) / 7,000 = 5,300 / 7,000; GRR = (7,000 − 3,000) / 7,000.
        Assert.Equal((7_000, 6_300, 1_000), (m.StartingMrrCents, m.EndingMrrCents, m.NewMrrCents));
        Assert.Equal((500, 500, 2_500, 800), (m.ExpansionMrrCents, m.ContractionMrrCents, m.ChurnedMrrCents, m.ReactivationMrrCents));
        Assert.Equal(5_300.0 / 7_000, m.Nrr!.Value, 10);
        Assert.Equal(4_000.0 / 7_000, m.Grr!.Value, 10);
        Assert.Equal((4, 1, 0.25), (m.LogosAtStart, m.LogosChurned, m.LogoChurnRate!.Value));
        Assert.Equal(m.EndingMrrCents, m.StartingMrrCents + m.NewMrrCents + m.ExpansionMrrCents + m.ReactivationMrrCents - m.ContractionMrrCents - m.ChurnedMrrCents);
    }

    [Fact]
    public void Build_NoRevenueAtStart_RatesAreUndefinedNotZero()
    {
        var metrics = new RevenueMetricsBuilder(From, To);
        metrics.Add(Account("new", (From.AddDays(2), MrrMovementKind.New, 900)));

        var m = metrics.Build();

        Assert.Equal((0L, (double?)null, (double?)null, 0, (double?)null), (m.StartingMrrCents, m.Nrr, m.Grr, m.LogosAtStart, m.LogoChurnRate));
        Assert.Equal(900, m.NewMrrCents);
    }

    [Fact]
    public void Build_MovementsPrunedBeforeThePeriod_StartFromTheKeptBaseline()
    {
        var state = Account("old", (From.AddDays(-3), MrrMovementKind.Expansion, 200));
        state.MrrBeforeMovements = 1_000;
        var metrics = new RevenueMetricsBuilder(From, To);

        metrics.Add(state);

        Assert.Equal(1_200, metrics.Build().StartingMrrCents);
    }
}
