using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Pages;

namespace CustomerSuccess.Functions.Tests.Pages;

public sealed class MyDayRankingTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 9, 0, 0, TimeSpan.Zero);

    private static Alert A(string account, AlertTier tier, DateTimeOffset due, AlertStatus status = AlertStatus.Open, string rule = AlertRules.HealthBand) => new()
    {
        AccountId = account,
        RuleId = rule,
        Occurrence = 1,
        Tier = tier,
        Status = status,
        RaisedAt = Now.AddDays(-1),
        DueBy = due,
    };

    private static AtRiskAccount R(string account, HealthBand band, int? days) => new(account, null, AccountSegment.Smb, 40, band, days);

    [Fact]
    public void Rank_EveryReason_OverdueThenNewCriticalThenWarningThenRenewalThenWatch()
    {
        var ranked = MyDayRanking.Rank(
            [A("watch", AlertTier.Watch, Now.AddDays(3)), A("warning", AlertTier.Warning, Now.AddDays(1)), A("critical", AlertTier.Critical, Now.AddHours(5)), A("overdue", AlertTier.Watch, Now.AddHours(-2))],
            [R("renewal", HealthBand.Yellow, 12)],
            Now);

        Assert.Equal(["overdue", "critical", "warning", "renewal", "watch"], ranked.Select(i => i.AccountId));
    }

    [Fact]
    public void Rank_AccountWithSeveralReasons_AppearsOnceAtTheMostUrgent()
    {
        var ranked = MyDayRanking.Rank([A("a", AlertTier.Watch, Now.AddDays(3), rule: AlertRules.UsageDecline), A("a", AlertTier.Critical, Now.AddHours(1))], [R("a", HealthBand.Red, 5)], Now);

        Assert.Equal(MyDayReason.NewCritical, Assert.Single(ranked).Reason);
    }

    [Fact]
    public void Rank_AcknowledgedCritical_IsNoLongerNewButStillAWarningToWorkOn()
    {
        var ranked = MyDayRanking.Rank([A("a", AlertTier.Critical, Now.AddHours(1), AlertStatus.Acknowledged)], [], Now);

        Assert.Equal(MyDayReason.Warning, Assert.Single(ranked).Reason);
    }

    [Theory]
    [InlineData(HealthBand.Green, 10)]
    [InlineData(HealthBand.Yellow, 31)]
    [InlineData(HealthBand.Red, -1)]
    public void Rank_RenewalGreenOrOutsideThirtyDays_IsNotOnTheList(HealthBand band, int days) =>
        Assert.Empty(MyDayRanking.Rank([], [R("a", band, days)], Now));

    [Fact]
    public void Rank_SameReason_EarliestDueFirst()
    {
        var ranked = MyDayRanking.Rank([A("late", AlertTier.Warning, Now.AddDays(2)), A("soon", AlertTier.Warning, Now.AddHours(3))], [], Now);

        Assert.Equal(["soon", "late"], ranked.Select(i => i.AccountId));
    }
}
