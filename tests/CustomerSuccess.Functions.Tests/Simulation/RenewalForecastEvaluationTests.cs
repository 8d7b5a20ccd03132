using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>The app's renewal forecast against the simulator's record of what renewed, on a hand-made run.</summary>
public sealed class RenewalForecastEvaluationTests
{
    [Fact]
    public void Evaluate_EachForecastAgainstItsRenewalsOutcome_PerCategory()
    {
        RenewalForecastSeen[] forecasts =
        [
            new(30, "a", 50, "Likely", 100_000),        // churns on 55: within 14 days of the renewal, so it churned
            new(30, "b", 40, "AtRisk", 200_000),        // never churns: renewed
            new(60, "c", 70, "LikelyToChurn", 300_000), // churns on 70: churned
            new(60, "d", 200, "Likely", 400_000),       // renews on 200: past what the record knows (150)
            new(30, "f", 100, "AtRisk", 500_000),       // churns on 130, after this renewal's 14 days: it renewed
        ];
        var churns = new Dictionary<string, int> { ["a"] = 55, ["c"] = 70, ["f"] = 130 };

        var r = RenewalForecastEvaluation.Evaluate(forecasts, churns, knownUntilDay: 150);

        Assert.Equal([30, 60], r.ForecastDays);
        Assert.Equal((4, 1), (r.Forecasts, r.OutcomeUnknown));
        var likely = r.PerCategory.Single(c => c.Category == "Likely");
        var atRisk = r.PerCategory.Single(c => c.Category == "AtRisk");
        var toChurn = r.PerCategory.Single(c => c.Category == "LikelyToChurn");
        Assert.Equal((1, 100_000L, 1, 1), (likely.Forecasts, likely.ArrCents, likely.Churned.Successes, likely.Churned.Total));
        Assert.Equal((2, 700_000L, 0, 2), (atRisk.Forecasts, atRisk.ArrCents, atRisk.Churned.Successes, atRisk.Churned.Total));
        Assert.Equal((1, 1), (toChurn.Churned.Successes, toChurn.Churned.Total));

        // Churned renewals: a (forecast Likely) and c (LikelyToChurn): one of two flagged.
        Assert.Equal((1, 2), (r.ChurnedRenewalsFlagged.Successes, r.ChurnedRenewalsFlagged.Total));
    }

    [Theory]
    [InlineData("""{"category":"AtRisk"}""", "AtRisk")]
    [InlineData("""{"category":2}""", "LikelyToChurn")]
    [InlineData("""{}""", "Unknown")]
    public void RenewalCategory_NameOrEnumPosition(string json, string expected)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(expected, TolerantJson.RenewalCategory(doc.RootElement, "category"));
    }
}
