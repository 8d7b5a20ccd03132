namespace CustomerSuccess.Functions.Alerts;

/// <summary>One tier's alert SLA attainment over a period: alerts due, acted on by their due time, and the rate (null when none was due).</summary>
public sealed record AlertSlaAttainment(AlertTier Tier, int Due, int OnTime, double? Rate);

/// <summary>
/// Alert SLA attainment per tier. Pure. The alerts due in a period are those whose due time falls in it, except an
/// alert the rules resolved before its due time with nobody acting on it (the condition went away: nothing was owed).
/// One is on time when someone acted by its due time: acknowledged it, or resolved it by hand. Attainment = on time ÷
/// due. An alert is read as stored: its current tier and due time (an alert escalated for being overdue counts once,
/// at its new tier), and only the latest occurrence of each account's rule. Opportunities are no risk and have no SLA:
/// left out.
/// </summary>
public static class AlertSlaAttainmentCalculator
{
    /// <summary>Attainment of each tier, most severe first, over alerts due in [<paramref name="from"/>, <paramref name="until"/>).</summary>
    public static IReadOnlyList<AlertSlaAttainment> Of(IEnumerable<Alert> alerts, DateTimeOffset from, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var due = new int[3];
        var onTime = new int[3];
        foreach (var alert in alerts)
        {
            if (!alert.Tier.IsRisk() || alert.DueBy < from || alert.DueBy >= until)
            {
                continue;
            }

            var actedAt = Earliest(alert.AcknowledgedAt, alert.ResolvedBy is null ? null : alert.ResolvedAt);
            var clearedFirst = actedAt is null && alert.Status == AlertStatus.Resolved && alert.ResolvedAt < alert.DueBy;
            if (clearedFirst)
            {
                continue;
            }

            due[(int)alert.Tier]++;
            onTime[(int)alert.Tier] += actedAt <= alert.DueBy ? 1 : 0;
        }

        return [.. AlertTiers.Risk.Select(t => new AlertSlaAttainment(t, due[(int)t], onTime[(int)t], due[(int)t] == 0 ? null : (double)onTime[(int)t] / due[(int)t]))];
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
