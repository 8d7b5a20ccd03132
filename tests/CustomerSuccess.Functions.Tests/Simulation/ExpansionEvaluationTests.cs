using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>Opportunity alerts against the simulator's expansions, on a hand-made run where every count can be worked out on paper.</summary>
public sealed class ExpansionEvaluationTests
{
    /// <summary>
    /// A run of days 0-119. Expansions: a on day 80 (an Opportunity listed days 20-79: preceded), b on day 100 (its
    /// Opportunity ended on day 30, 70 days before: not within 60), c on day 50 (no Opportunity), d on day 10 (before day
    /// 14: left out of recall), e on day 150 (after the run: only for precision). Opportunities: a's, b's, e's (days
    /// 100-119, e expands on day 150, within 60 days of day 119), f's (days 40-60, never expands).
    /// </summary>
    private static ExpansionFigures Evaluate() => ExpansionEvaluation.Evaluate(
        [
            new("a", Behaviour.ExpansionNearSeatLimit, 80),
            new("b", Behaviour.HealthyAdopter, 100),
            new("c", Behaviour.ExpansionNearSeatLimit, 50),
            new("d", Behaviour.ExpansionNearSeatLimit, 10),
            new("e", Behaviour.ExpansionNearSeatLimit, 150),
        ],
        [new("a", 20, 79), new("b", 12, 30), new("e", 100, 119), new("f", 40, 60)],
        lastDay: 119);

    [Fact]
    public void Recall_ExpansionsFromDay14InTheRun_PrecededWithinTheWindow()
    {
        var x = Evaluate();

        // Eligible: a, b, c (d is before day 14, e after the run); preceded: a only.
        Assert.Equal((1, 3), (x.Recall.Successes, x.Recall.Total));
        Assert.Equal((4, 1), (x.Expansions, x.ExpansionsNotEligible));
    }

    [Fact]
    public void Precision_OpportunitiesFollowedByAnExpansionWithinTheWindow_ReplayIncluded()
    {
        var x = Evaluate();

        // a (80 within 20..139), e (150 within 100..179) followed; b (100 after 30 + 60 = 90) and f not.
        Assert.Equal((2, 4), (x.Precision.Successes, x.Precision.Total));
        Assert.Equal(4, x.OpportunityAlerts);
        Assert.Equal(0.5, x.Precision.Value);
    }

    [Fact]
    public void PerStory_RecallOfEachStorysEligibleExpansions()
    {
        var x = Evaluate();

        Assert.Equal(
            [new StoryRecall(nameof(Behaviour.ExpansionNearSeatLimit), 2, 1), new StoryRecall(nameof(Behaviour.HealthyAdopter), 1, 0)],
            x.PerStory);
    }

    [Fact]
    public void Evaluate_NoExpansionsNoAlerts_NoCases()
    {
        var x = ExpansionEvaluation.Evaluate([], [], 119);

        Assert.Equal((0, 0, null), (x.Recall.Total, x.Precision.Total, x.Recall.Value));
    }

    [Fact]
    public void SeenAlert_OpportunityTier_CountedApartFromRisk()
    {
        var view = new AlertView("acc-expansion-opportunity-1", "acc", "expansion-opportunity", "Opportunity", null, null, null, "Open", "seats", null);

        Assert.True(new SeenAlert(view, 3, new HashSet<string> { "Opportunity" }, 9).IsOpportunity);
        Assert.False(new SeenAlert(view with { Tier = "Watch" }, 3, new HashSet<string> { "Watch" }, 9).IsOpportunity);
    }
}
