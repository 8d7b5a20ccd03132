using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Pages;

/// <summary>Why an account is on a CSM's list today, most urgent first.</summary>
public enum MyDayReason
{
    OverdueAlert,
    NewCritical,
    Warning,
    RenewalAtRisk,
    Watch,
}

public sealed record MyDayItem(MyDayReason Reason, string AccountId, string? AccountName, string What, DateTimeOffset? DueBy, int? DaysToRenewal, HealthBand? Band);

/// <summary>
/// A CSM's accounts ranked by what needs action today: overdue alerts first, then new (unacknowledged) Critical
/// alerts, Warnings, renewals within <see cref="RenewalDays"/> days in Yellow or Red, and Watch alerts. Each account
/// appears once, at its most urgent reason; within a reason the earliest due (or nearest renewal) comes first. Pure.
/// </summary>
public static class MyDayRanking
{
    public const int RenewalDays = 30;

    public static IReadOnlyList<MyDayItem> Rank(IEnumerable<Alert> activeAlerts, IEnumerable<AtRiskAccount> atRisk, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(activeAlerts);
        ArgumentNullException.ThrowIfNull(atRisk);
        var items = new List<MyDayItem>();
        foreach (var a in activeAlerts.Where(a => a.IsActive && a.Tier.IsRisk()))
        {
            MyDayReason? reason = a switch
            {
                _ when a.DueBy <= now && a.Status == AlertStatus.Open => MyDayReason.OverdueAlert,
                { Tier: AlertTier.Critical, Status: AlertStatus.Open } => MyDayReason.NewCritical,
                { Tier: AlertTier.Warning } or { Tier: AlertTier.Critical } => MyDayReason.Warning,
                { Tier: AlertTier.Watch } => MyDayReason.Watch,
                _ => null,
            };
            if (reason is { } r)
            {
                items.Add(new MyDayItem(r, a.AccountId, a.AccountName, $"{a.Tier}: {a.Reason}", a.DueBy, null, null));
            }
        }

        foreach (var account in atRisk)
        {
            if (account is { Band: HealthBand.Red or HealthBand.Yellow, DaysToRenewal: >= 0 and <= RenewalDays })
            {
                items.Add(new MyDayItem(MyDayReason.RenewalAtRisk, account.AccountId, account.AccountName, $"Renews in {account.DaysToRenewal} days while {account.Band}", null, account.DaysToRenewal, account.Band));
            }
        }

        return [.. items
            .GroupBy(i => i.AccountId, StringComparer.Ordinal)
            .Select(g => g.OrderBy(i => i.Reason).ThenBy(i => i.DueBy ?? DateTimeOffset.MaxValue).First())
            .OrderBy(i => i.Reason)
            .ThenBy(i => i.DueBy ?? DateTimeOffset.MaxValue)
            .ThenBy(i => i.DaysToRenewal ?? int.MaxValue)
            .ThenBy(i => i.AccountId, StringComparer.Ordinal)];
    }
}
