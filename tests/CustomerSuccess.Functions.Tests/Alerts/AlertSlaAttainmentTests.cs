using CustomerSuccess.Functions.Alerts;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>Alert SLA attainment per tier on alerts worked out by hand.</summary>
public sealed class AlertSlaAttainmentTests
{
    private static readonly DateTimeOffset From = new(2031, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Until = new(2031, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int month, int day, int hour = 0) => new(2031, month, day, hour, 0, 0, TimeSpan.Zero);

    private static Alert Alert(string rule, AlertTier tier, DateTimeOffset due, DateTimeOffset? acknowledged = null, DateTimeOffset? resolved = null, string? resolvedBy = null) => new()
    {
        AccountId = "acct",
        RuleId = rule,
        Occurrence = 1,
        Tier = tier,
        Status = resolved is not null ? AlertStatus.Resolved : acknowledged is not null ? AlertStatus.Acknowledged : AlertStatus.Open,
        RaisedAt = due.AddDays(-1),
        DueBy = due,
        AcknowledgedAt = acknowledged,
        ResolvedAt = resolved,
        ResolvedBy = resolvedBy,
    };

    [Fact]
    public void Of_HandComputed_OnTimeOverDuePerTier()
    {
        Alert[] alerts =
        [
            Alert("c1", AlertTier.Critical, At(3, 5, 10), acknowledged: At(3, 5, 9)), // on time
            Alert("c2", AlertTier.Critical, At(3, 6), acknowledged: At(3, 6, 12)), // late
            Alert("c3", AlertTier.Critical, At(3, 7)), // never acted on: late
            Alert("w1", AlertTier.Warning, At(3, 10), resolved: At(3, 9), resolvedBy: "pat@example.com"), // resolved by hand in time
            Alert("w2", AlertTier.Warning, At(3, 11), resolved: At(3, 10)), // cleared by the rules first: not due
            Alert("w3", AlertTier.Warning, At(3, 12), resolved: At(3, 13)), // cleared after its due time: late
            Alert("o1", AlertTier.Watch, Until), // due after the period
            Alert("o2", AlertTier.Watch, At(2, 28), acknowledged: At(2, 27)), // due before it
        ];

        var attainment = AlertSlaAttainmentCalculator.Of(alerts, From, Until);

        Assert.Equal(
            [new AlertSlaAttainment(AlertTier.Critical, 3, 1, 1 / 3d), new AlertSlaAttainment(AlertTier.Warning, 2, 1, 0.5), new AlertSlaAttainment(AlertTier.Watch, 0, 0, null)],
            attainment);
    }

    [Fact]
    public void Of_AcknowledgedExactlyAtTheDueTime_OnTime()
    {
        var attainment = AlertSlaAttainmentCalculator.Of([Alert("c", AlertTier.Critical, At(3, 5), acknowledged: At(3, 5))], From, Until);

        Assert.Equal(1.0, attainment[0].Rate);
    }
}
