using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Metrics;

/// <summary>
/// Composes the CS metrics from the features that own the data: the accounts' revenue and value figures (Accounts'
/// <see cref="RevenueMetricsReader"/>, one pass over the account states; segments by Health's ARR tiers) and the
/// alerts due in the period (Alerts' store, one scan) for SLA attainment, and the opportunities (one scan of their rule)
/// for the expansion pipeline, limited to the accounts counted when a segment is asked for.
/// </summary>
internal sealed class CustomerSuccessMetricsReader(
    RevenueMetricsReader accounts,
    HealthScoreCalculator segments,
    AlertStore alerts,
    IOptions<ProductOptions> product,
    IOptions<MetricsOptions> options,
    TimeProvider time)
{
    public async Task<CustomerSuccessMetrics> ReadAsync(DateOnly from, DateOnly to, AccountSegment? segment, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var query = new AccountMetricsQuery(
            from,
            to,
            DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime),
            ValueMetricsSettings.From(product.Value, o.OnboardingTargetDays, o.QbrCadenceDays),
            segment is { } only ? mrr => segments.SegmentOf(mrr) == only : null,
            mrr => segments.SegmentOf(mrr) >= o.QbrMinSegment);
        var figures = await accounts.ReadAsync(query, cancellationToken);

        var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var until = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var due = new List<Alert>();
        await foreach (var alert in alerts.ListDueAsync(start, until, cancellationToken))
        {
            if (figures.AccountIds is null || figures.AccountIds.Contains(alert.AccountId))
            {
                due.Add(alert);
            }
        }

        var opportunities = new List<Alert>();
        await foreach (var alert in alerts.ListByRuleAsync(AlertRules.ExpansionOpportunity, cancellationToken))
        {
            if (figures.AccountIds is null || figures.AccountIds.Contains(alert.AccountId))
            {
                opportunities.Add(alert);
            }
        }

        var pipeline = ExpansionPipelineCalculator.Of(opportunities, start, until, figures.Revenue.ChurnedMrrCents, figures.Revenue.ContractionMrrCents);
        return CustomerSuccessMetrics.Of(figures.Revenue, figures.Value, AlertSlaAttainmentCalculator.Of(due, start, until), pipeline, segment);
    }
}
