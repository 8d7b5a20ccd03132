using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Metrics;

namespace CustomerSuccess.Functions.Tests.Metrics;

/// <summary>Expansion pipeline coverage, pure, on a hand-computed example.</summary>
public sealed class ExpansionPipelineTests
{
    private static readonly DateTimeOffset From = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Until = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private static Alert Opportunity(string account, DateTimeOffset raised, long estimate, DateTimeOffset? resolved = null, AlertTier tier = AlertTier.Opportunity) => new()
    {
        AccountId = account,
        RuleId = AlertRules.ExpansionOpportunity,
        Occurrence = 1,
        Tier = tier,
        Status = resolved is null ? AlertStatus.Open : AlertStatus.Resolved,
        RaisedAt = raised,
        DueBy = raised.AddDays(14),
        ResolvedAt = resolved,
        Opportunity = new ExpansionOpportunity([], new ExpansionEstimate(10, 9, 2, estimate / 2, estimate), "seats"),
    };

    [Fact]
    public void Of_OpportunitiesOpenInThePeriod_OverChurnAndContraction()
    {
        var alerts = new[]
        {
            Opportunity("a", From.AddDays(-20), 80_000), // raised before, still open: counts
            Opportunity("b", From.AddDays(5), 50_000, resolved: From.AddDays(12)), // open for a week inside: counts
            Opportunity("c", From.AddDays(-40), 70_000, resolved: From.AddDays(-1)), // ended before the period
            Opportunity("d", Until, 90_000), // raised after it
            Opportunity("e", From.AddDays(2), 60_000, tier: AlertTier.Warning), // not an opportunity
        };

        // (80,000 + 50,000) ÷ (200,000 churned + 60,000 contracted) = 130,000 ÷ 260,000 = 0.5.
        var pipeline = ExpansionPipelineCalculator.Of(alerts, From, Until, churnedMrrCents: 200_000, contractionMrrCents: 60_000);

        Assert.Equal(new ExpansionPipelineMetrics(2, 130_000, 260_000, 0.5), pipeline);
    }

    [Fact]
    public void Of_NothingLost_CoverageNull() =>
        Assert.Equal(new ExpansionPipelineMetrics(1, 80_000, 0, null), ExpansionPipelineCalculator.Of([Opportunity("a", From, 80_000)], From, Until, 0, 0));
}
