using CustomerSuccess.Functions.Alerts;

namespace CustomerSuccess.Functions.Pages;

public enum SlaStatus
{
    OnTime,
    DueSoon,
    Overdue,
}

/// <summary>
/// Where an active alert stands against its service level: overdue past its due time, due soon in the last quarter of
/// its tier's window (6 hours of a Critical's 24, 18 of a Warning's 3 days), on time before that. Pure.
/// </summary>
public static class AlertSla
{
    public static SlaStatus Of(Alert alert, DateTimeOffset now, AlertsOptions options)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(options);
        if (alert.DueBy <= now)
        {
            return SlaStatus.Overdue;
        }

        return alert.DueBy - now <= options.DueFor(alert.Tier) / 4 ? SlaStatus.DueSoon : SlaStatus.OnTime;
    }
}
