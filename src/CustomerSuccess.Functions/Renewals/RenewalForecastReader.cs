using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Renewals;

/// <summary>
/// Reads the renewal forecast through the other features' ports: the accounts' billing facts
/// (<see cref="IAccountSignalSource"/>, a page of 100 at a time), their latest scores (<see cref="IHealthScores"/>,
/// one range query per page) and the open alerts (<see cref="AlertCommands"/>, one scan), then hands the renewals to
/// the pure <see cref="RenewalForecaster"/>. Only paying accounts whose renewal date falls in the window are kept in
/// memory.
/// </summary>
public sealed class RenewalForecastReader(IAccountSignalSource accounts, IHealthScores scores, AlertCommands alerts, HealthScoreCalculator segments, TimeProvider time)
{
    private const int PageSize = 100;

    public async Task<RenewalForecast> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var end = now.AddDays(RenewalForecaster.WindowDays);
        var open = (await alerts.ListActiveAsync(null, null, null, cancellationToken)).ToLookup(a => a.AccountId, StringComparer.Ordinal);
        var candidates = new List<RenewalCandidate>();
        string? continuation = null;
        do
        {
            var page = await accounts.ReadPageAsync(0, 1, today, continuation, PageSize, cancellationToken);
            var renewing = page.Accounts.Where(a => IsRenewing(a, now, end)).ToList();
            if (renewing.Count > 0)
            {
                var latest = await scores.GetLatestAsync([.. renewing.Select(a => a.AccountId)], cancellationToken);
                foreach (var account in renewing)
                {
                    var score = latest.GetValueOrDefault(account.AccountId);
                    if (score?.Lifecycle != AccountLifecycleState.Churned)
                    {
                        candidates.Add(CandidateOf(account, score, open[account.AccountId], segments.SegmentOf(account.MrrCents), now));
                    }
                }
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return RenewalForecaster.Build(now, candidates);
    }

    /// <summary>A paying, live subscription (not a trial: its period end is a conversion, not a renewal) whose period ends inside the window.</summary>
    private static bool IsRenewing(AccountSignals account, DateTimeOffset now, DateTimeOffset end) =>
        account.ChurnedAt is null
        && account.MrrCents > 0
        && account.SubscriptionStatus is not ("canceled" or "trialing" or "incomplete_expired")
        && account.RenewalDate is { } renewal && renewal > now && renewal <= end;

    internal static RenewalCandidate CandidateOf(AccountSignals account, HealthScore? score, IEnumerable<Alert> openAlerts, AccountSegment segment, DateTimeOffset now)
    {
        var risks = new List<RenewalRisk>();
        var noticeGiven = account.CancelAtPeriodEnd || account.CancelAt is not null;
        if (noticeGiven)
        {
            var ends = account.CancelAt ?? account.RenewalDate;
            risks.Add(new RenewalRisk(RenewalRiskSource.Notice, "cancellation", null, ends is { } at ? $"notice of cancellation: ends {at.UtcDateTime:yyyy-MM-dd}" : "notice of cancellation"));
        }

        risks.AddRange(openAlerts.Where(a => a.Tier.IsRisk()).OrderByDescending(a => a.Tier).ThenBy(a => a.DueBy).Select(a => new RenewalRisk(RenewalRiskSource.Alert, a.RuleId, a.Tier, a.Reason)));
        if (score is not null)
        {
            risks.AddRange(score.Drivers.Where(d => d.Points < 0).Select(d => new RenewalRisk(RenewalRiskSource.Driver, d.Dimension.ToString(), null, d.ToDriver().Explanation)));
        }

        HealthBand? band = score is null ? null : score.Override is { } o && o.IsActiveAt(now) ? o.Band : score.ComputedBand;
        return new RenewalCandidate(
            account.AccountId,
            account.Name,
            account.CsmEmail,
            account.RenewalDate!.Value,
            account.MrrCents * 12,
            segment,
            band,
            score?.Trend,
            score?.TrendDelta ?? 0,
            noticeGiven,
            account.LastRenewalConversationAt,
            risks);
    }
}
