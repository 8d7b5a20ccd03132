using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Pages;

namespace CustomerSuccess.Functions.Tests.Pages;

public sealed class AlertSlaTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 9, 0, 0, TimeSpan.Zero);
    private static readonly AlertsOptions Options = new();

    private static Alert Due(AlertTier tier, TimeSpan fromNow) => new()
    {
        AccountId = "a",
        RuleId = AlertRules.HealthBand,
        Occurrence = 1,
        Tier = tier,
        Status = AlertStatus.Open,
        RaisedAt = Now.AddDays(-1),
        DueBy = Now + fromNow,
    };

    [Theory]
    [InlineData(AlertTier.Critical, -1, SlaStatus.Overdue)]
    [InlineData(AlertTier.Critical, 0, SlaStatus.Overdue)]
    [InlineData(AlertTier.Critical, 6 * 60, SlaStatus.DueSoon)]
    [InlineData(AlertTier.Critical, 6 * 60 + 1, SlaStatus.OnTime)]
    [InlineData(AlertTier.Warning, 18 * 60, SlaStatus.DueSoon)]
    [InlineData(AlertTier.Warning, 18 * 60 + 1, SlaStatus.OnTime)]
    [InlineData(AlertTier.Watch, 42 * 60, SlaStatus.DueSoon)]
    public void Of_LastQuarterOfTheTiersWindow_IsDueSoon(AlertTier tier, int minutesToDue, SlaStatus expected) =>
        Assert.Equal(expected, AlertSla.Of(Due(tier, TimeSpan.FromMinutes(minutesToDue)), Now, Options));
}
