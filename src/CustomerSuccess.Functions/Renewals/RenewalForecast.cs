using System.Globalization;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Renewals;

/// <summary>How a renewal is expected to go (see <see cref="RenewalForecaster.Categorize"/> for the rule).</summary>
public enum RenewalCategory
{
    Likely,
    AtRisk,
    LikelyToChurn,
}

/// <summary>Where a risk on a renewal comes from: the customer's cancellation notice, an open alert, or a score driver that pulled the score down.</summary>
public enum RenewalRiskSource
{
    Notice,
    Alert,
    Driver,
}

/// <summary>One open risk on a renewal: its source, the alert rule or dimension it names, the alert's tier, and what it says.</summary>
public sealed record RenewalRisk(RenewalRiskSource Source, string Id, AlertTier? Tier, string Text);

/// <summary>
/// One paying account renewing inside the window, as the forecast reads it: the renewal date and ARR from the
/// account's billing facts, the segment by ARR, the band in force and trend of its latest score (null when not scored
/// yet), whether notice of cancellation is given, when the last renewal meeting or QBR was held, and its open risks.
/// </summary>
public sealed record RenewalCandidate(
    string AccountId,
    string? AccountName,
    string? CsmEmail,
    DateTimeOffset RenewalDate,
    long ArrCents,
    AccountSegment Segment,
    HealthBand? Band,
    HealthTrend? Trend,
    int TrendDelta,
    bool NoticeGiven,
    DateTimeOffset? LastRenewalConversationAt,
    IReadOnlyList<RenewalRisk> Risks);

/// <summary>One renewal of the forecast: the candidate's figures, days to renewal, its category and the reason for it.</summary>
public sealed record RenewalLine(
    string AccountId,
    string? AccountName,
    string? CsmEmail,
    DateTimeOffset RenewalDate,
    int DaysToRenewal,
    long ArrCents,
    AccountSegment Segment,
    HealthBand? Band,
    HealthTrend? Trend,
    int TrendDelta,
    RenewalCategory Category,
    string Reason,
    IReadOnlyList<RenewalRisk> Risks);

/// <summary>
/// The renewals of one group (a month, a segment, or all): how many, the ARR renewing and the ARR in each category,
/// and the forecast GRR (see <see cref="RenewalForecaster"/>); the GRRs are null when no ARR renews.
/// </summary>
public sealed record RenewalRollup(
    string Key,
    int Accounts,
    long ArrRenewingCents,
    long LikelyArrCents,
    long AtRiskArrCents,
    long LikelyToChurnArrCents,
    double? ForecastGrr,
    double? WorstCaseGrr);

/// <summary>The renewal forecast as of <see cref="AsOf"/>: every renewal in the next <see cref="WindowDays"/> days, soonest first, with roll-ups.</summary>
public sealed record RenewalForecast(
    DateTimeOffset AsOf,
    int WindowDays,
    RenewalRollup Total,
    IReadOnlyList<RenewalRollup> ByMonth,
    IReadOnlyList<RenewalRollup> BySegment,
    IReadOnlyList<RenewalLine> Accounts);

/// <summary>
/// The renewal forecast's rule and roll-ups. Pure: no storage, no clock.
/// <para>The window is the 120 days before a renewal, when the renewal process starts (health assessment at T-120).
/// Each renewal falls in one category, the first rule that matches:</para>
/// <list type="number">
/// <item><b>Likely to churn</b>: the customer gave notice of cancellation (the subscription ends at the period's end or
/// at a set date).</item>
/// <item><b>Likely to churn</b>: Red (critical: "&lt;60% confidence") with no renewal meeting or QBR held since the
/// window opened: a critical account nobody has started the renewal with.</item>
/// <item><b>At risk</b>: Red with the renewal conversation started: still savable, the save team is on it.</item>
/// <item><b>At risk</b>: Yellow ("60-89% confidence").</item>
/// <item><b>At risk</b>: Green with an open Critical alert (a failed payment, a departed sponsor...): the band has not
/// caught up with a critical fact.</item>
/// <item><b>At risk</b>: not scored yet: unknown health is not a likely renewal.</item>
/// <item><b>Likely</b>: Green ("90%+ confidence") and no open Critical alert.</item>
/// </list>
/// <para>The band is the one in force (a CSM's override while it lasts). Roll-ups group the renewals by the UTC month
/// of the renewal date and by segment. Forecast GRR of a group = (ARR renewing − ARR likely to churn) ÷ ARR renewing:
/// the renewing ARR kept if the likely-to-churn renewals are lost and the rest renew at their current price.
/// Worst-case GRR = ARR likely ÷ ARR renewing: at-risk renewals lost as well. Contraction at renewal is not
/// forecast (no signal predicts its size), so both are upper bounds on what price cuts would leave.</para>
/// </summary>
public static class RenewalForecaster
{
    /// <summary>Days ahead the forecast looks, and how far back a renewal conversation counts as started.</summary>
    public const int WindowDays = 120;

    public static (RenewalCategory Category, string Reason) Categorize(RenewalCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.NoticeGiven)
        {
            return (RenewalCategory.LikelyToChurn, "cancellation notice given");
        }

        var conversationStarted = candidate.LastRenewalConversationAt is { } held && held >= candidate.RenewalDate.AddDays(-WindowDays);
        var critical = candidate.Risks.FirstOrDefault(r => r.Source == RenewalRiskSource.Alert && r.Tier == AlertTier.Critical);
        return candidate.Band switch
        {
            HealthBand.Red when !conversationStarted => (RenewalCategory.LikelyToChurn, "Red, renewal conversation not started"),
            HealthBand.Red => (RenewalCategory.AtRisk, "Red, renewal conversation started"),
            HealthBand.Yellow => (RenewalCategory.AtRisk, "Yellow"),
            HealthBand.Green when critical is not null => (RenewalCategory.AtRisk, "Green with an open Critical alert: " + critical.Id),
            HealthBand.Green => (RenewalCategory.Likely, "Green, no open Critical alert"),
            _ => (RenewalCategory.AtRisk, "not scored yet"),
        };
    }

    /// <summary>The forecast of <paramref name="candidates"/> renewing in (<paramref name="asOf"/>, +<see cref="WindowDays"/> days]; others are left out.</summary>
    public static RenewalForecast Build(DateTimeOffset asOf, IEnumerable<RenewalCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var end = asOf.AddDays(WindowDays);
        var lines = candidates
            .Where(c => c.RenewalDate > asOf && c.RenewalDate <= end)
            .Select(c =>
            {
                var (category, reason) = Categorize(c);
                return new RenewalLine(
                    c.AccountId, c.AccountName, c.CsmEmail, c.RenewalDate, (int)Math.Floor((c.RenewalDate - asOf).TotalDays), c.ArrCents, c.Segment,
                    c.Band, c.Trend, c.TrendDelta, category, reason, c.Risks);
            })
            .OrderBy(l => l.RenewalDate)
            .ThenBy(l => l.AccountId, StringComparer.Ordinal)
            .ToList();

        var byMonth = lines
            .GroupBy(l => l.RenewalDate.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Rollup(g.Key, g))
            .ToList();
        var bySegment = Enum.GetValues<AccountSegment>()
            .Select(s => Rollup(s.ToString(), lines.Where(l => l.Segment == s)))
            .ToList();
        return new RenewalForecast(asOf, WindowDays, Rollup("all", lines), byMonth, bySegment, lines);
    }

    /// <summary>Counts and sums one group of renewals; see the class for the GRR formulas.</summary>
    public static RenewalRollup Rollup(string key, IEnumerable<RenewalLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var (accounts, renewing, likely, atRisk, churn) = (0, 0L, 0L, 0L, 0L);
        foreach (var line in lines)
        {
            accounts++;
            renewing += line.ArrCents;
            switch (line.Category)
            {
                case RenewalCategory.Likely:
                    likely += line.ArrCents;
                    break;
                case RenewalCategory.AtRisk:
                    atRisk += line.ArrCents;
                    break;
                default:
                    churn += line.ArrCents;
                    break;
            }
        }

        double? forecast = renewing == 0 ? null : (double)(renewing - churn) / renewing;
        double? worst = renewing == 0 ? null : (double)likely / renewing;
        return new RenewalRollup(key, accounts, renewing, likely, atRisk, churn, forecast, worst);
    }
}
