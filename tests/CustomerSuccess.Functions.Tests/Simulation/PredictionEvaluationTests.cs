using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>The prediction figures on small hand-made histories, where every count can be worked out on paper.</summary>
public sealed class PredictionEvaluationTests
{
    private static readonly PredictionRun Run = new("test", 1, 4, 120, 120, false, "2026-01-05");

    private static SortedDictionary<int, HealthPoint> History(int from, int to, Func<int, string> band) =>
        new(Enumerable.Range(from, to - from + 1).ToDictionary(d => d, d => new HealthPoint(d, band(d) == "Green" ? 80 : band(d) == "Yellow" ? 60 : 30, band(d), band(d))));

    /// <summary>
    /// a: churns on day 100, Yellow from day 34 (so sustained from day 40, 60 days before). b: churns on day 125 (after
    /// the run), Green to the end. c: stays, Green but Yellow on days 58-60. d: new on day 10, onboarding until day 40, stays Green.
    /// </summary>
    private static PredictionReport Evaluate(IReadOnlyDictionary<string, Dictionary<int, int>>? usage = null, int alertEmails = 0)
    {
        AccountOutcome[] accounts =
        [
            new("a", Segment.Smb, Behaviour.SilentChurner, 0, false, null, 100, TroubleBeganDay: 20),
            new("b", Segment.MidMarket, Behaviour.ChampionLeaves, 0, false, null, 125, TroubleBeganDay: 60),
            new("c", Segment.Smb, Behaviour.HealthyAdopter, 0, false, null, null),
            new("d", Segment.Enterprise, Behaviour.HealthyAdopter, 10, true, 40, null),
        ];
        var history = new Dictionary<string, SortedDictionary<int, HealthPoint>>
        {
            ["a"] = History(0, 99, d => d >= 34 ? "Yellow" : "Green"),
            ["b"] = History(0, 119, _ => "Green"),
            ["c"] = History(0, 119, d => d is >= 58 and <= 60 ? "Yellow" : "Green"),
            ["d"] = History(10, 119, _ => "Green"),
        };
        return PredictionEvaluation.Evaluate(Run, accounts, history, usage ?? new Dictionary<string, Dictionary<int, int>>(), alertEmails);
    }

    [Fact]
    public void Evaluate_Snapshots_PairsOutcomesAndRules()
    {
        var p = Evaluate();

        // Past onboarding: a at 30, 60, 90; b at 30, 60, 90; c at 30, 60, 90; d at 60, 90 (onboarding at 30).
        Assert.Equal([30, 60, 90], p.Overall.SnapshotDays);
        Assert.Equal(11, p.Overall.Pairs);

        // Churn within 90 days: a at 30, 60, 90 (day 100); b at 60 and 90 (day 125), not at 30 (125 > 120).
        Assert.Equal(5, p.Overall.Churners);

        // Yellow or Red at T: a at 60 and 90, c at 60 (Yellow on day 60). So 2 of 5 churners, 1 of 6 stayers.
        Assert.Equal(new ConfusionCounts(2, 1, 3, 5), p.Overall.YellowOrRed.Counts);

        // Sustained: a at 60 and 90 (Yellow since 34); c's three Yellow days are not 7.
        Assert.Equal(new ConfusionCounts(2, 0, 3, 6), p.Overall.YellowOrRedSustained.Counts);
        Assert.Equal((1, 0), (p.Onboarding.Pairs, p.Onboarding.Churners)); // d at 30, counted apart
    }

    [Fact]
    public void Evaluate_PerStory_SplitsTheSnapshotsByTheSimulatedStory()
    {
        var p = Evaluate();

        // Silent churner a: 3 pairs, all churn, flagged at 60 and 90. Champion leaves b: 3 pairs, 2 churn, never flagged.
        // Healthy adopters c (30, 60, 90) and d (60, 90): 5 pairs, none churn, c flagged at 60. No other story has pairs.
        Assert.Equal(["HealthyAdopter", "SilentChurner", "ChampionLeaves"], p.PerStory.Select(s => s.Label));
        var silent = p.PerStory.Single(s => s.Label == "SilentChurner");
        Assert.Equal(new ConfusionCounts(2, 0, 1, 0), silent.YellowOrRed.Counts);
        var champion = p.PerStory.Single(s => s.Label == "ChampionLeaves");
        Assert.Equal(new ConfusionCounts(0, 0, 2, 1), champion.YellowOrRed.Counts);
        var healthy = p.PerStory.Single(s => s.Label == "HealthyAdopter");
        Assert.Equal(new ConfusionCounts(0, 1, 0, 4), healthy.YellowOrRed.Counts);
    }

    [Fact]
    public void Evaluate_ScoreAuc_RanksChurnersBelowStayers()
    {
        var p = Evaluate();

        // Churner scores 80, 60, 60, 80, 80 against stayer scores 80, 60, 80, 80, 80, 80:
        // each 60 is below five 80s and ties one 60 (2 × 5.5); each 80 ties five 80s (3 × 2.5): 18.5 of 30.
        Assert.Equal(18.5 / 30, p.Overall.ScoreAuc.Value!.Value, 12);
        Assert.Equal((5, 6), (p.Overall.ScoreAuc.Positives, p.Overall.ScoreAuc.Negatives));
    }

    [Fact]
    public void Evaluate_TroubleShowing_TheSimulatorsRecordAsAFlagOnTheSamePairs()
    {
        var p = Evaluate();

        // a's fade began on day 20: showing at 30, 60, 90 (all churn). b's champion left on day 60: showing at 60 and
        // 90 (both churn), not at 30 (no churn within 90 days then). c and d have no trouble. 5 of 5 churners, 0 of 6.
        var t = p.TroubleShowing!;
        Assert.Equal(new ConfusionCounts(5, 0, 0, 6), t.TroubleShowing.Counts);
        Assert.Equal(1.0, t.Auc.Value!.Value, 12);
        Assert.Equal((5, 6), (t.Auc.Positives, t.Auc.Negatives));
    }

    [Fact]
    public void Evaluate_TroubleShowing_StayersInTroubleAndHiddenChurnCostIt()
    {
        // a churns on day 100 with its trouble from day 70 (hidden at 30 and 60); c stays although its trouble began on 50.
        AccountOutcome[] accounts =
        [
            new("a", Segment.Smb, Behaviour.SilentChurner, 0, false, null, 100, TroubleBeganDay: 70),
            new("c", Segment.Smb, Behaviour.SupportStorm, 0, false, null, null, TroubleBeganDay: 50),
        ];
        var history = new Dictionary<string, SortedDictionary<int, HealthPoint>>
        {
            ["a"] = History(0, 99, _ => "Green"),
            ["c"] = History(0, 119, _ => "Green"),
        };

        var t = PredictionEvaluation.Evaluate(Run, accounts, history, new Dictionary<string, Dictionary<int, int>>(), 0).TroubleShowing!;

        // a: churns at 30, 60, 90, showing only at 90. c: stays, showing at 60 and 90. Recall 1/3, false-positive rate 2/3.
        Assert.Equal(new ConfusionCounts(1, 2, 2, 1), t.TroubleShowing.Counts);
        Assert.Equal(0.5 * (1 + (1 / 3.0) - (2 / 3.0)), t.Auc.Value!.Value, 12);
    }

    [Fact]
    public void Evaluate_SixtyDaysAhead_EligibleChurnersAndStayersFalsePositives()
    {
        var p = Evaluate().EarlyWarning;

        // a churns on 100: day 40 is Yellow and so are 34-39: flagged. b churns on 125 (after the run): day 65 is inside it, Green.
        Assert.Equal((1, 2), (p.AtLead.FlaggedSustained.Successes, p.AtLead.FlaggedSustained.Total));
        Assert.Equal((1, 1), (p.AtLead.EligibleChurnedInRun, p.AtLead.EligibleChurnedAfterRun));
        Assert.Equal(1, p.AtLead.PerSegment.Single(s => s.Segment == "Smb").Flagged);

        // Trouble showing 67 days ahead: a's fade began on day 20 (80 days before its churn) and it was flagged; b's
        // champion left on day 60, 65 days before its churn on 125: too late to show 60 sustained days ahead.
        Assert.Equal((1, 1), (p.AtLead.TroubleShowingAtLead!.Successes, p.AtLead.TroubleShowingAtLead.Total));

        // Stayers c and d: 5 snapshot pairs past onboarding (c 30, 60, 90; d 60, 90), none sustained.
        Assert.Equal((0, 5), (p.StayersFlaggedSustainedAtSnapshots.Successes, p.StayersFlaggedSustainedAtSnapshots.Total));
        Assert.Equal((0, 2), (p.StayersEverFlaggedSustained.Successes, p.StayersEverFlaggedSustained.Total));
    }

    [Fact]
    public void Evaluate_HealthyAdopters_DaysAfterOnboardingInGreen()
    {
        var p = Evaluate().EarlyWarning;

        // c: 120 days, 117 Green. d: days 41-119 after onboarding (completed on 40), all Green.
        Assert.Equal((117 + 79, 120 + 79), (p.HealthyAdopterPostOnboardingDaysGreen.Successes, p.HealthyAdopterPostOnboardingDaysGreen.Total));
    }

    [Fact]
    public void Evaluate_LeadTime_FromTheDayTheFlagBecameSustained()
    {
        var p = Evaluate().LeadTime;

        // Only a churned inside the run: sustained from day 40, churned on 100.
        Assert.Equal([60], p.LeadDays);
        Assert.Equal((1, 0), (p.Flagged, p.NeverFlagged));
        Assert.Equal(1, p.Buckets.Single(b => b.Label == "60-89").Churners);
    }

    [Fact]
    public void Evaluate_AlertLoad_PerLiveAccountMonth()
    {
        // Live account-days: a 100, b 120, c 120, d 110 = 450, 15 account-months.
        var p = Evaluate(alertEmails: 30).EarlyWarning.AlertEmails;

        Assert.Equal(15, p.AccountMonths, 6);
        Assert.Equal(2.0, p.EmailsPerAccountMonth!.Value, 12);
    }

    [Fact]
    public void Evaluate_Baseline_UsageHalvedMonthOverMonth_FlaggedFromDay56()
    {
        // a's usage: 10 a day until day 40, then 4; everyone else 10 a day throughout.
        var usage = new Dictionary<string, Dictionary<int, int>>();
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            usage[id] = Enumerable.Range(0, 120).ToDictionary(d => d, d => id == "a" && d >= 40 ? 4 : 10);
        }

        var b = Evaluate(usage).Baseline;

        // Snapshots 60 and 90 only. At 60: a's last 28 days (32-59) 8×10 + 20×4 = 160 against 280 before: -43%, flagged.
        // At 90: 112 against 4×28 + ... (34-61: 6×10 + 22×4 = 148): -24%, not flagged.
        Assert.Equal([60, 90], b.SnapshotDays);
        Assert.Equal(new ConfusionCounts(1, 0, 3, 4), b.Baseline.Counts);
        Assert.Equal(b.Pairs, b.ModelYellowOrRed.Counts.TruePositives + b.ModelYellowOrRed.Counts.FalsePositives + b.ModelYellowOrRed.Counts.FalseNegatives + b.ModelYellowOrRed.Counts.TrueNegatives);
    }

    [Theory]
    [InlineData(7, true)]
    [InlineData(6, false)]
    public void SustainedOn_SevenYellowDaysEndingThatDay(int yellowDays, bool sustained)
    {
        var days = History(0, 20, d => d > 20 - yellowDays ? "Yellow" : "Green");

        Assert.Equal(sustained, PredictionEvaluation.SustainedOn(days, 20));
    }

    [Fact]
    public void SustainedOn_AMissingDay_BreaksIt()
    {
        var days = History(0, 20, _ => "Red");
        days.Remove(17);

        Assert.False(PredictionEvaluation.SustainedOn(days, 20));
    }
}
