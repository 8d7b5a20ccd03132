using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Pages;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Tests.Pages;

/// <summary>
/// A small portfolio of one CSM, written as the recompute and the alert rules write it: four accounts (two Red, one
/// Yellow, one Green) with ten days of history each, the billing facts of the three that renew, and three open alerts
/// (a Critical due soon, an overdue Warning, a Watch on time). The CSM's email is unique per seed, so filtering by it
/// sees only these rows.
/// </summary>
internal sealed class DashboardSeed
{
    public DashboardSeed()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        Csm = $"csm-{tag}@example.com";
        Red = $"acc-red-{tag}";
        Yellow = $"acc-yellow-{tag}";
        Green = $"acc-green-{tag}";
        RedNoRenewal = $"acc-red2-{tag}";
    }

    public string Csm { get; }

    /// <summary>Enterprise, score 30, renews in 20 days; a Critical alert due in 2 hours (due soon).</summary>
    public string Red { get; }

    /// <summary>MidMarket, score 55, renews in 60 days; a Warning an hour overdue.</summary>
    public string Yellow { get; }

    /// <summary>Smb, score 85, renews in 45 days; no alert.</summary>
    public string Green { get; }

    /// <summary>Smb, score 25, no renewal date; a Watch alert due in 5 days (on time).</summary>
    public string RedNoRenewal { get; }

    public async Task WriteAsync(AppTables tables, AlertStore alerts, DateTimeOffset now)
    {
        await AccountAsync(tables, Red, "Red Corp", AccountSegment.Enterprise, 30, HealthBand.Red, now.AddDays(20.5), now);
        await AccountAsync(tables, Yellow, "Yellow Ltd", AccountSegment.MidMarket, 55, HealthBand.Yellow, now.AddDays(60.5), now);
        await AccountAsync(tables, Green, "Green Inc", AccountSegment.Smb, 85, HealthBand.Green, now.AddDays(45.5), now);
        // Their billing facts, which the renewal forecast and the QBR pack read: $120,000, $30,000 and $6,000 ARR.
        await BillingAsync(tables, Red, "Red Corp", 1_000_000, now.AddDays(20.5), now);
        await BillingAsync(tables, Yellow, "Yellow Ltd", 250_000, now.AddDays(60.5), now);
        await BillingAsync(tables, Green, "Green Inc", 50_000, now.AddDays(45.5), now);
        await AccountAsync(tables, RedNoRenewal, "Red Two", AccountSegment.Smb, 25, HealthBand.Red, null, now);
        await AlertAsync(alerts, Red, "Red Corp", AlertRules.HealthBand, AlertTier.Critical, now.AddHours(2), now);
        await AlertAsync(alerts, Yellow, "Yellow Ltd", AlertRules.SupportEscalation, AlertTier.Warning, now.AddHours(-1), now);
        await AlertAsync(alerts, RedNoRenewal, "Red Two", AlertRules.UsageDecline, AlertTier.Watch, now.AddDays(5), now);
    }

    /// <summary>Two earlier days of the portfolio trend: 30 days ago all four Green, yesterday one Red, one Yellow, two Green (Smb).</summary>
    public static async Task WriteTrendAsync(PortfolioTrendStore trend, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        await trend.RecordAsync(new PortfolioTrendDay(today.AddDays(-30), Counts((AccountSegment.Smb, 0, 0, 4))), CancellationToken.None);
        await trend.RecordAsync(new PortfolioTrendDay(today.AddDays(-1), Counts((AccountSegment.Smb, 1, 1, 2))), CancellationToken.None);
    }

    private static Dictionary<AccountSegment, IReadOnlyDictionary<HealthBand, int>> Counts(params (AccountSegment Segment, int Red, int Yellow, int Green)[] counts) =>
        counts.ToDictionary(c => c.Segment, c => (IReadOnlyDictionary<HealthBand, int>)new Dictionary<HealthBand, int> { [HealthBand.Red] = c.Red, [HealthBand.Yellow] = c.Yellow, [HealthBand.Green] = c.Green });

    private async Task BillingAsync(AppTables tables, string id, string name, long mrrCents, DateTimeOffset renewal, DateTimeOffset now)
    {
        var state = AccountState.New(id, now.AddDays(-400));
        state.Apply(
            new AccountEvent
            {
                Account = new ExternalIdRef(ExternalIdKinds.StripeCustomer, "cus_" + id),
                OccurredAt = now.AddDays(-1),
                Facts = [new ProfileUpdated("stripe", name, Csm), new SubscriptionChanged("sub_" + id, mrrCents, "pro", 10, "active", false, renewal, renewal.AddDays(-365), 365)],
            },
            "evt-" + id,
            now);
        Assert.NotNull(await new AccountStateStore(tables).WriteAsync(null, state, CancellationToken.None));
    }

    /// <summary>The score today and nine days before it, one point lower per day back.</summary>
    private async Task AccountAsync(AppTables tables, string id, string name, AccountSegment segment, int score, HealthBand band, DateTimeOffset? renewal, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var signals = new AccountSignals { AccountId = id, Name = name, CsmEmail = Csm, RenewalDate = renewal };
        for (var back = 9; back >= 0; back--)
        {
            var day = Score(id, segment, score - back, band, today.AddDays(-back), now);
            Assert.True((await tables[HealthTables.History].UpsertAsync(HealthHistoryEntity.From(day))).Succeeded);
        }

        Assert.True((await tables[HealthTables.Scores].UpsertAsync(HealthScoreEntity.From(Score(id, segment, score, band, today, now), signals))).Succeeded);
    }

    private static HealthScore Score(string id, AccountSegment segment, int score, HealthBand band, DateOnly day, DateTimeOffset now) => new()
    {
        AccountId = id,
        Day = day,
        ScoredAt = now,
        Segment = segment,
        Score = score,
        ComputedBand = band,
        Band = band,
        Dimensions = [score, score, score, score, score, score],
        Drivers = [new HealthDriverDelta(HealthDimension.ProductUsage, -12.5, 80, 30)],
        BandSince = day.AddDays(-5),
        FirstScoredOn = day.AddDays(-30),
    };

    private async Task AlertAsync(AlertStore alerts, string account, string name, string rule, AlertTier tier, DateTimeOffset due, DateTimeOffset now)
    {
        var alert = new Alert
        {
            AccountId = account,
            AccountName = name,
            RuleId = rule,
            Occurrence = 1,
            Tier = tier,
            Status = AlertStatus.Open,
            RaisedAt = now.AddHours(-1),
            DueBy = due,
            CsmEmail = Csm,
            Reason = $"{tier} reason for {name}",
        };
        // Written as a change that notifies no one, so no outbox row (and no email) comes of the seed.
        Assert.Equal(AlertWriteStatus.Written, await alerts.ApplyAsync(account, [new AlertChange(AlertChangeKind.Acknowledge, alert)], CancellationToken.None));
    }
}
