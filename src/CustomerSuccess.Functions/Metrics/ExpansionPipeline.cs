using CustomerSuccess.Functions.Alerts;

namespace CustomerSuccess.Functions.Metrics;

/// <summary>
/// Expansion pipeline coverage over a period: the estimated expansion MRR of the opportunities open at any time in it
/// (<see cref="Opportunities"/> of them, <see cref="OpportunityMrrCents"/> together) over the MRR the period lost to churn
/// and contraction (<see cref="ChurnAndContractionMrrCents"/>); <see cref="Coverage"/> is null when nothing was lost.
/// Above 1, the open pipeline would make good what was lost.
/// </summary>
public sealed record ExpansionPipelineMetrics(int Opportunities, long OpportunityMrrCents, long ChurnAndContractionMrrCents, double? Coverage);

/// <summary>Expansion pipeline coverage. Pure.</summary>
public static class ExpansionPipelineCalculator
{
    /// <summary>
    /// Opportunities open at any time in [<paramref name="from"/>, <paramref name="until"/>): raised before its end and
    /// not resolved before its start; each counts its estimate as raised. Coverage = their estimated MRR ÷
    /// (<paramref name="churnedMrrCents"/> + <paramref name="contractionMrrCents"/>). An account's alert is read as
    /// stored: its latest opportunity.
    /// </summary>
    public static ExpansionPipelineMetrics Of(IEnumerable<Alert> opportunities, DateTimeOffset from, DateTimeOffset until, long churnedMrrCents, long contractionMrrCents)
    {
        ArgumentNullException.ThrowIfNull(opportunities);
        var count = 0;
        long mrr = 0;
        foreach (var alert in opportunities)
        {
            if (alert.Tier != AlertTier.Opportunity || alert.Opportunity is not { } opportunity || alert.RaisedAt >= until
                || (alert.Status == AlertStatus.Resolved && alert.ResolvedAt < from))
            {
                continue;
            }

            count++;
            mrr += opportunity.Estimate.ExpansionMrrCents;
        }

        var lost = churnedMrrCents + contractionMrrCents;
        return new ExpansionPipelineMetrics(count, mrr, lost, lost <= 0 ? null : (double)mrr / lost);
    }
}
