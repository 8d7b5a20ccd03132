namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Revenue retention over [<see cref="From"/>, <see cref="To"/>] (UTC days, both included) from the app's own MRR
/// movements. The cohort is the accounts with MRR at the start of <see cref="From"/>. Expansion (a cohort account's
/// new subscriptions included), contraction, churn and reactivation are the cohort's movements in the period;
/// <see cref="NewMrrCents"/> is the MRR at the end of every account outside the cohort (new business, net of its own
/// changes), so ending = starting + new + expansion + reactivation − contraction − churn.
/// NRR = (start + expansion + reactivation − contraction − churn) / start, the cohort's MRR at the end over its MRR at
/// the start; GRR = (start − contraction − churn) / start, never below 0. A logo churned when a cohort account has no
/// MRR at the end. Contraction and churn are positive amounts lost.
/// </summary>
public sealed record RevenueMetrics(
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
    double? LogoChurnRate);

/// <summary>Adds accounts one at a time (a page at a time from storage), then computes <see cref="RevenueMetrics"/>. Pure.</summary>
internal sealed class RevenueMetricsBuilder(DateOnly from, DateOnly to)
{
    private long _starting;
    private long _ending;
    private long _new;
    private long _expansion;
    private long _contraction;
    private long _churned;
    private long _reactivation;
    private int _logos;
    private int _logosChurned;

    public void Add(AccountState account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var start = account.MrrAtStartOf(from.DayNumber);
        var end = account.MrrAtStartOf(to.DayNumber + 1);
        _ending += end;
        if (start <= 0)
        {
            _new += end;
            return;
        }

        _starting += start;
        _logos++;
        _logosChurned += end <= 0 ? 1 : 0;
        foreach (var movement in account.Movements)
        {
            if (movement.Day >= from.DayNumber && movement.Day <= to.DayNumber)
            {
                switch (movement.Kind)
                {
                    case MrrMovementKind.New or MrrMovementKind.Expansion:
                        _expansion += movement.DeltaCents;
                        break;
                    case MrrMovementKind.Contraction:
                        _contraction -= movement.DeltaCents;
                        break;
                    case MrrMovementKind.Churn:
                        _churned -= movement.DeltaCents;
                        break;
                    case MrrMovementKind.Reactivation:
                        _reactivation += movement.DeltaCents;
                        break;
                }
            }
        }
    }

    public RevenueMetrics Build()
    {
        // With no cohort (no account had MRR at the start) the rates are undefined, not 0%: null in the API.
        double? nrr = _starting == 0 ? null : (double)(_starting + _expansion + _reactivation - _contraction - _churned) / _starting;
        double? grr = _starting == 0 ? null : (double)Math.Max(0, _starting - _contraction - _churned) / _starting;
        double? logoChurn = _logos == 0 ? null : (double)_logosChurned / _logos;
        return new RevenueMetrics(from, to, _starting, _ending, _new, _expansion, _contraction, _churned, _reactivation, nrr, grr, _logos, _logosChurned, logoChurn);
    }
}
