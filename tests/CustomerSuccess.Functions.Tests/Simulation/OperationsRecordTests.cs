using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>The simulator's record of alert SLA, QBRs and expansions, by the app's documented formulas, on hand-made examples.</summary>
public sealed class OperationsRecordTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SlaOf_EpisodesDueInThePeriod_OwedOnlyWhenActedOnOrLeftOpenPastDue()
    {
        var from = Day0.AddDays(1);
        var until = Day0.AddDays(11);
        AlertEpisodeRecord[] episodes =
        [
            new("Critical", Day0.AddDays(2), Day0.AddDays(2).AddHours(-1), false), // on time
            new("Critical", Day0.AddDays(3), Day0.AddDays(3).AddHours(2), true),   // late
            new("Critical", Day0.AddDays(4), null, true),                         // never acknowledged, left open: missed
            new("Critical", Day0.AddDays(5), null, false),                        // cleared before due, nobody acted: owed nothing
            new("Warning", Day0.AddDays(6), Day0.AddDays(6), false),              // acknowledged at the due time: on time
            new("Warning", Day0.AddDays(11), Day0.AddDays(10), false),            // due after the period
            new("Watch", Day0.AddDays(1).AddTicks(-1), Day0, false),              // due before the period
        ];

        var sla = OperationsRecord.SlaOf(episodes, from, until);

        Assert.Equal([("Critical", 3, 1), ("Warning", 1, 1), ("Watch", 0, 0)], sla.Select(t => (t.Tier, t.Due, t.OnTime)));
        Assert.Equal(1.0 / 3, sla[0].Rate!.Value, 12);
        Assert.Null(sla[2].Rate);
    }

    [Fact]
    public void QbrsOf_HeldByTheAccountsDueOverAccountsTimesDaysOverCadence()
    {
        (string, Segment, int)[] accounts =
        [
            ("ent", Segment.Enterprise, 0),
            ("mid", Segment.MidMarket, 0),
            ("smb", Segment.Smb, 0),       // tech-touch: no QBRs due
            ("late", Segment.Enterprise, 70), // started after the window opened
            ("gone", Segment.MidMarket, 0),   // churned before the window
        ];
        ChurnRecord[] churns = [new("gone", 40, "left", 100, false), new("mid", 90, "left", 100, false)];
        (string, int)[] held = [("ent", 61), ("ent", 100), ("mid", 75), ("smb", 80), ("late", 80), ("gone", 70), ("ent", 59), ("mid", 121)];

        var q = OperationsRecord.QbrsOf(accounts, churns, held, firstDay: 61, lastDay: 120, cadenceDays: 91);

        // ent and mid are due (mid churned inside the window, after its start): 2 × 60 ÷ 91 QBRs due; held 61, 100, 75.
        Assert.Equal((2, 3), (q.AccountsDue, q.QbrsHeld));
        Assert.Equal(2 * 60 / 91.0, q.QbrsDue, 12);
        Assert.Equal(3 / (2 * 60 / 91.0), q.Rate!.Value, 12);
    }

    [Fact]
    public void ExpansionsOf_ExpansionMrrOverChurnAndContractionInThePeriod()
    {
        MrrMovement[] movements =
        [
            new(5, "a", MrrMovementKind.Expansion, 12_000),
            new(9, "b", MrrMovementKind.Expansion, 3_000),
            new(0, "c", MrrMovementKind.Expansion, 50_000),  // before the period
            new(7, "d", MrrMovementKind.Churn, -20_000),
            new(8, "e", MrrMovementKind.Contraction, -5_000),
            new(6, "f", MrrMovementKind.NewBusiness, 9_000),
        ];

        var e = OperationsRecord.ExpansionsOf(movements, firstDay: 1, lastDay: 10);

        Assert.Equal((2, 15_000L, 25_000L), (e.Expansions, e.ExpansionMrrCents, e.ChurnAndContractionMrrCents));
        Assert.Equal(0.6, e.Coverage!.Value, 12);
        Assert.Null(OperationsRecord.ExpansionsOf([new(5, "a", MrrMovementKind.Expansion, 1)], 1, 10).Coverage);
    }
}
