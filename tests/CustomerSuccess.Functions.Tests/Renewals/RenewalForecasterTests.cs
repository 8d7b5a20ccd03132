using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Renewals;

namespace CustomerSuccess.Functions.Tests.Renewals;

/// <summary>The forecast's rule, one category at a time, and its roll-ups on a portfolio worked out by hand.</summary>
public sealed class RenewalForecasterTests
{
    private static readonly DateTimeOffset AsOf = new(2030, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Renewal = AsOf.AddDays(50);

    private static RenewalCandidate Candidate(
        HealthBand? band,
        string id = "acct",
        DateTimeOffset? renewal = null,
        long arrCents = 1_200_000,
        AccountSegment segment = AccountSegment.Smb,
        bool notice = false,
        DateTimeOffset? conversation = null,
        params RenewalRisk[] risks) =>
        new(id, id + " Inc", "csm@example.com", renewal ?? Renewal, arrCents, segment, band, HealthTrend.Stable, 0, notice, conversation, risks);

    private static RenewalRisk Alert(AlertTier tier, string rule = AlertRules.PaymentRisk) => new(RenewalRiskSource.Alert, rule, tier, "reason");

    [Fact]
    public void Categorize_NoticeGiven_LikelyToChurnWhateverTheBand()
    {
        Assert.Equal(RenewalCategory.LikelyToChurn, RenewalForecaster.Categorize(Candidate(HealthBand.Green, notice: true)).Category);
        Assert.Equal(RenewalCategory.LikelyToChurn, RenewalForecaster.Categorize(Candidate(null, notice: true)).Category);
    }

    [Fact]
    public void Categorize_RedWithoutRenewalConversation_LikelyToChurn()
    {
        var never = RenewalForecaster.Categorize(Candidate(HealthBand.Red));
        var beforeTheWindow = RenewalForecaster.Categorize(Candidate(HealthBand.Red, conversation: Renewal.AddDays(-RenewalForecaster.WindowDays - 1)));

        Assert.Equal((RenewalCategory.LikelyToChurn, "Red, renewal conversation not started"), never);
        Assert.Equal(RenewalCategory.LikelyToChurn, beforeTheWindow.Category);
    }

    [Fact]
    public void Categorize_RedWithRenewalConversationInTheWindow_AtRisk()
    {
        var atTheWindowsStart = RenewalForecaster.Categorize(Candidate(HealthBand.Red, conversation: Renewal.AddDays(-RenewalForecaster.WindowDays)));

        Assert.Equal((RenewalCategory.AtRisk, "Red, renewal conversation started"), atTheWindowsStart);
    }

    [Fact]
    public void Categorize_Yellow_AtRisk() =>
        Assert.Equal(RenewalCategory.AtRisk, RenewalForecaster.Categorize(Candidate(HealthBand.Yellow, conversation: AsOf)).Category);

    [Fact]
    public void Categorize_GreenWithOpenCriticalAlert_AtRisk()
    {
        var result = RenewalForecaster.Categorize(Candidate(HealthBand.Green, risks: Alert(AlertTier.Critical, AlertRules.PaymentRisk)));

        Assert.Equal((RenewalCategory.AtRisk, "Green with an open Critical alert: payment-risk"), result);
    }

    [Fact]
    public void Categorize_GreenWithOnlyMilderAlertsOrDrivers_Likely()
    {
        var result = RenewalForecaster.Categorize(Candidate(
            HealthBand.Green,
            risks: [Alert(AlertTier.Warning, AlertRules.RenewalNotStarted), new RenewalRisk(RenewalRiskSource.Driver, "Support", null, "Support 80 → 60")]));

        Assert.Equal(RenewalCategory.Likely, result.Category);
    }

    [Fact]
    public void Categorize_NotScoredYet_AtRisk() =>
        Assert.Equal((RenewalCategory.AtRisk, "not scored yet"), RenewalForecaster.Categorize(Candidate(null)));

    [Fact]
    public void Build_HandComputedPortfolio_LinesInOrderAndRollupsByMonthAndSegment()
    {
        // A Green Smb $12,000 (Jan) likely; B Yellow Mid-Market $30,000 (Jan) at risk; C Red Enterprise $120,000 (Feb),
        // no conversation, likely to churn; D Green Mid-Market $24,000 (Feb) likely; E Smb $6,000 (Mar) with notice,
        // likely to churn. F renews in 121 days and G renewed yesterday: outside the window.
        RenewalCandidate[] candidates =
        [
            Candidate(HealthBand.Red, "c", new DateTimeOffset(2030, 2, 15, 0, 0, 0, TimeSpan.Zero), 12_000_000, AccountSegment.Enterprise),
            Candidate(HealthBand.Green, "a", new DateTimeOffset(2030, 1, 20, 0, 0, 0, TimeSpan.Zero), 1_200_000, AccountSegment.Smb),
            Candidate(HealthBand.Yellow, "b", new DateTimeOffset(2030, 1, 25, 0, 0, 0, TimeSpan.Zero), 3_000_000, AccountSegment.MidMarket),
            Candidate(HealthBand.Green, "d", new DateTimeOffset(2030, 2, 28, 0, 0, 0, TimeSpan.Zero), 2_400_000, AccountSegment.MidMarket),
            Candidate(HealthBand.Green, "e", new DateTimeOffset(2030, 3, 5, 0, 0, 0, TimeSpan.Zero), 600_000, AccountSegment.Smb, notice: true),
            Candidate(HealthBand.Green, "f", AsOf.AddDays(121), 9_900_000, AccountSegment.Enterprise),
            Candidate(HealthBand.Red, "g", AsOf.AddDays(-1), 9_900_000, AccountSegment.Enterprise),
        ];

        var forecast = RenewalForecaster.Build(AsOf, candidates);

        Assert.Equal(["a", "b", "c", "d", "e"], forecast.Accounts.Select(l => l.AccountId));
        Assert.Equal(
            [RenewalCategory.Likely, RenewalCategory.AtRisk, RenewalCategory.LikelyToChurn, RenewalCategory.Likely, RenewalCategory.LikelyToChurn],
            forecast.Accounts.Select(l => l.Category));
        Assert.Equal([9, 14, 35, 48, 53], forecast.Accounts.Select(l => l.DaysToRenewal));

        // All: renewing 192,000; likely 36,000; at risk 30,000; likely to churn 126,000.
        // Forecast GRR (192,000 − 126,000) / 192,000 = 0.34375; worst case 36,000 / 192,000 = 0.1875.
        Assert.Equal(new RenewalRollup("all", 5, 19_200_000, 3_600_000, 3_000_000, 12_600_000, 0.34375, 0.1875), forecast.Total);

        Assert.Equal(["2030-01", "2030-02", "2030-03"], forecast.ByMonth.Select(m => m.Key));
        Assert.Equal(new RenewalRollup("2030-01", 2, 4_200_000, 1_200_000, 3_000_000, 0, 1.0, 1_200_000d / 4_200_000), forecast.ByMonth[0]);
        Assert.Equal(new RenewalRollup("2030-02", 2, 14_400_000, 2_400_000, 0, 12_000_000, 2_400_000d / 14_400_000, 2_400_000d / 14_400_000), forecast.ByMonth[1]);
        Assert.Equal(new RenewalRollup("2030-03", 1, 600_000, 0, 0, 600_000, 0.0, 0.0), forecast.ByMonth[2]);

        Assert.Equal(["Smb", "MidMarket", "Enterprise"], forecast.BySegment.Select(s => s.Key));
        Assert.Equal(new RenewalRollup("Smb", 2, 1_800_000, 1_200_000, 0, 600_000, 1_200_000d / 1_800_000, 1_200_000d / 1_800_000), forecast.BySegment[0]);
        Assert.Equal(new RenewalRollup("MidMarket", 2, 5_400_000, 2_400_000, 3_000_000, 0, 1.0, 2_400_000d / 5_400_000), forecast.BySegment[1]);
        Assert.Equal(new RenewalRollup("Enterprise", 1, 12_000_000, 0, 0, 12_000_000, 0.0, 0.0), forecast.BySegment[2]);
    }

    [Fact]
    public void Build_WindowEdges_TheLastDayInAndNowOut()
    {
        var forecast = RenewalForecaster.Build(AsOf, [Candidate(HealthBand.Green, "edge", AsOf.AddDays(RenewalForecaster.WindowDays)), Candidate(HealthBand.Green, "now", AsOf)]);

        Assert.Equal(["edge"], forecast.Accounts.Select(l => l.AccountId));
    }

    [Fact]
    public void Build_NothingRenewing_GrrUndefinedAndEverySegmentListed()
    {
        var forecast = RenewalForecaster.Build(AsOf, []);

        Assert.Equal(new RenewalRollup("all", 0, 0, 0, 0, 0, null, null), forecast.Total);
        Assert.Empty(forecast.ByMonth);
        Assert.Equal(3, forecast.BySegment.Count);
    }
}
