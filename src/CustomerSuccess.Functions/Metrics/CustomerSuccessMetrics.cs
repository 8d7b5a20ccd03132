using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Metrics;

/// <summary>
/// What <c>GET /api/metrics</c> answers for [<see cref="From"/>, <see cref="To"/>] (UTC days, both included), of one
/// segment or of all (<see cref="Segment"/> null): the revenue retention of <see cref="RevenueMetrics"/> (same names,
/// same formulas), time to value, onboarding completion within the target, QBR completion (see
/// <see cref="ValueMetrics"/>), alert SLA attainment per tier (see <see cref="AlertSlaAttainmentCalculator"/>) and the
/// expansion pipeline's coverage of the MRR lost (see <see cref="ExpansionPipelineCalculator"/>).
/// An account is in a segment by its ARR at the start of the period, or at its end when it had none at the start.
/// </summary>
public sealed record CustomerSuccessMetrics(
    DateOnly From,
    DateOnly To,
    long StartingMrrCents,
    long EndingMrrCents,
    long NewMrrCents,
    long ExpansionMrrCents,
    long ContractionMrrCents,
    long ChurnedMrrCents,
    long ReactivationMrrCents,
    double? Nrr,
    double? Grr,
    int LogosAtStart,
    int LogosChurned,
    double? LogoChurnRate,
    AccountSegment? Segment,
    TimeToValueMetrics TimeToValue,
    OnboardingCompletionMetrics Onboarding,
    QbrCompletionMetrics Qbr,
    IReadOnlyList<AlertSlaAttainment> AlertSla,
    ExpansionPipelineMetrics ExpansionPipeline)
{
    public static CustomerSuccessMetrics Of(RevenueMetrics revenue, ValueMetrics value, IReadOnlyList<AlertSlaAttainment> alertSla, ExpansionPipelineMetrics expansionPipeline, AccountSegment? segment)
    {
        ArgumentNullException.ThrowIfNull(revenue);
        ArgumentNullException.ThrowIfNull(value);
        return new(
            revenue.From, revenue.To, revenue.StartingMrrCents, revenue.EndingMrrCents, revenue.NewMrrCents, revenue.ExpansionMrrCents,
            revenue.ContractionMrrCents, revenue.ChurnedMrrCents, revenue.ReactivationMrrCents, revenue.Nrr, revenue.Grr,
            revenue.LogosAtStart, revenue.LogosChurned, revenue.LogoChurnRate, segment, value.TimeToValue, value.Onboarding, value.Qbr, alertSla, expansionPipeline);
    }
}
