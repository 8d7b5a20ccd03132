using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Renewals;

/// <summary>
/// <c>GET /api/renewals</c> and the renewals page through the real pipeline on an Azurite of this class's own (so the
/// forecast holds only its accounts): billing facts from the account states, bands from the score rows, open alerts
/// from the alerts table, as the features write them.
/// </summary>
public sealed class RenewalsApiTests : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Key = "test-function-key";
    private static readonly DateTimeOffset Now = new(2031, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly WebhookAppFactory _factory;

    public RenewalsApiTests(AzuriteFixture azurite)
    {
        _factory = new WebhookAppFactory(new ManualTimeProvider(Now), azurite.ConnectionString);
        _factory.Settings["LocalRunner:Enabled"] = "false";
    }

    public async Task InitializeAsync()
    {
        var store = _factory.Services.GetRequiredService<AccountStateStore>();
        var tables = _factory.Services.GetRequiredService<AppTables>();
        var alerts = _factory.Services.GetRequiredService<AlertStore>();

        // Green Smb $12,000 in 20 days, a Watch alert open: likely.
        await AccountAsync(store, "green", 100_000, 20);
        await ScoreAsync(tables, "green", AccountSegment.Smb, HealthBand.Green);
        await AlertAsync(alerts, "green", AlertRules.UsageDecline, AlertTier.Watch);
        // Yellow Mid-Market $30,000 in 40 days: at risk.
        await AccountAsync(store, "yellow", 250_000, 40);
        await ScoreAsync(tables, "yellow", AccountSegment.MidMarket, HealthBand.Yellow);
        // Red Enterprise $120,000 in 70 days, no renewal conversation, a Critical alert: likely to churn.
        await AccountAsync(store, "red", 1_000_000, 70);
        await ScoreAsync(tables, "red", AccountSegment.Enterprise, HealthBand.Red);
        await AlertAsync(alerts, "red", AlertRules.HealthBand, AlertTier.Critical);
        // Smb $6,000 in 10 days with notice given, never scored: likely to churn.
        await AccountAsync(store, "notice", 50_000, 10, notice: true);
        // Mid-Market $24,000 in 100 days, never scored: at risk.
        await AccountAsync(store, "unscored", 200_000, 100);
        // Left out: renews in 200 days, a trial, a churned account.
        await AccountAsync(store, "far", 100_000, 200);
        await AccountAsync(store, "trial", 100_000, 5, status: "trialing");
        await AccountAsync(store, "gone", 100_000, 5, status: "canceled");
    }

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    private static Uri U(string path) => new(path, UriKind.Relative);

    private static async Task AccountAsync(AccountStateStore store, string id, long mrrCents, int renewalInDays, string status = "active", bool notice = false)
    {
        var state = AccountState.New(id, Now.AddDays(-400));
        state.Apply(
            new AccountEvent
            {
                Account = new ExternalIdRef(ExternalIdKinds.StripeCustomer, "cus_" + id),
                OccurredAt = Now.AddDays(-1),
                Facts =
                [
                    new ProfileUpdated("stripe", id + " Inc", "csm@example.com"),
                    new SubscriptionChanged("sub_" + id, mrrCents, "pro", 10, status, notice, Now.AddDays(renewalInDays), Now.AddDays(-365 + renewalInDays), 365),
                ],
            },
            "evt-" + id,
            Now);
        // Each test seeds the class's Azurite again: the same accounts, written over themselves.
        Assert.NotNull(await store.WriteAsync(await store.ReadAsync(id, CancellationToken.None), state, CancellationToken.None));
    }

    private static async Task ScoreAsync(AppTables tables, string id, AccountSegment segment, HealthBand band)
    {
        var score = new HealthScore
        {
            AccountId = id,
            Day = DateOnly.FromDateTime(Now.UtcDateTime),
            ScoredAt = Now.AddHours(-2),
            Segment = segment,
            Score = 50,
            ComputedBand = band,
            Band = band,
            Dimensions = [50, 50, 50, 50, 50, 50],
            Drivers = [new HealthDriverDelta(HealthDimension.Support, -6, 80, 50), new HealthDriverDelta(HealthDimension.ProductUsage, 2, 60, 65)],
            Trend = HealthTrend.Declining,
            TrendDelta = -9,
            BandSince = DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-5),
        };
        Assert.True((await tables[HealthTables.Scores].UpsertAsync(HealthScoreEntity.From(score, new AccountSignals { AccountId = id }))).Succeeded);
    }

    private static async Task AlertAsync(AlertStore alerts, string id, string rule, AlertTier tier)
    {
        if (await alerts.GetAsync(id, rule, CancellationToken.None) is not null)
        {
            return;
        }

        var alert = new Alert
        {
            AccountId = id,
            RuleId = rule,
            Occurrence = 1,
            Tier = tier,
            Status = AlertStatus.Open,
            RaisedAt = Now.AddHours(-1),
            DueBy = Now.AddHours(20),
            Reason = $"{tier} on {id}",
        };
        // A change that notifies no one: no outbox row comes of the seed.
        Assert.Equal(AlertWriteStatus.Written, await alerts.ApplyAsync(id, [new AlertChange(AlertChangeKind.Acknowledge, alert)], CancellationToken.None));
    }

    private async Task<JsonElement> ForecastAsync()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", Key);
        using var response = await client.GetAsync(U("/api/renewals"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    [Fact]
    public async Task Renewals_SeededPortfolio_EachRenewalCategorizedAndRolledUp()
    {
        var forecast = await ForecastAsync();

        var lines = forecast.GetProperty("accounts").EnumerateArray().ToList();
        Assert.Equal(["notice", "green", "yellow", "red", "unscored"], lines.Select(l => l.GetProperty("accountId").GetString()));
        Assert.Equal(["LikelyToChurn", "Likely", "AtRisk", "LikelyToChurn", "AtRisk"], lines.Select(l => l.GetProperty("category").GetString()));
        Assert.Equal([600_000L, 1_200_000, 3_000_000, 12_000_000, 2_400_000], lines.Select(l => l.GetProperty("arrCents").GetInt64()));
        Assert.Equal(["Smb", "Smb", "MidMarket", "Enterprise", "MidMarket"], lines.Select(l => l.GetProperty("segment").GetString()));
        Assert.Equal([10, 20, 40, 70, 100], lines.Select(l => l.GetProperty("daysToRenewal").GetInt32()));

        var red = lines[3];
        Assert.Equal(("Red", "Declining", -9), (red.GetProperty("band").GetString(), red.GetProperty("trend").GetString(), red.GetProperty("trendDelta").GetInt32()));
        Assert.Equal(
            [("Alert", "health-band", "Critical"), ("Driver", "Support", null)],
            red.GetProperty("risks").EnumerateArray().Select(r => (r.GetProperty("source").GetString(), r.GetProperty("id").GetString(), r.GetProperty("tier").GetString())));
        Assert.Equal(JsonValueKind.Null, lines[0].GetProperty("band").ValueKind);
        Assert.Equal("Notice", lines[0].GetProperty("risks")[0].GetProperty("source").GetString());

        // Renewing 192,000; likely 12,000; at risk 54,000; likely to churn 126,000: forecast GRR 66,000 / 192,000.
        var total = forecast.GetProperty("total");
        Assert.Equal(
            (5, 19_200_000L, 1_200_000L, 5_400_000L, 12_600_000L),
            (total.GetProperty("accounts").GetInt32(), total.GetProperty("arrRenewingCents").GetInt64(), total.GetProperty("likelyArrCents").GetInt64(),
                total.GetProperty("atRiskArrCents").GetInt64(), total.GetProperty("likelyToChurnArrCents").GetInt64()));
        Assert.Equal(6_600_000d / 19_200_000, total.GetProperty("forecastGrr").GetDouble(), 12);
        Assert.Equal(["2031-03", "2031-04", "2031-05", "2031-06"], forecast.GetProperty("byMonth").EnumerateArray().Select(m => m.GetProperty("key").GetString()));
        Assert.Equal(
            [1_800_000L, 5_400_000, 12_000_000],
            forecast.GetProperty("bySegment").EnumerateArray().Select(s => s.GetProperty("arrRenewingCents").GetInt64()));
    }

    [Fact]
    public async Task Renewals_WithoutKey_401()
    {
        using var anonymous = _factory.CreateClient();

        using var response = await anonymous.GetAsync(U("/api/renewals"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task RenewalsPage_SignedIn_ShowsEveryRenewalAndItsJsonTwinIsTheForecast()
    {
        using var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using (var signIn = await client.GetAsync(U($"/api/dashboard/signin/key?code={Key}&user=pat%40example.com&returnUrl=%2Fapi%2Fdashboard%2Frenewals")))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        var html = await client.GetStringAsync(U("/api/dashboard/renewals"));
        using var request = new HttpRequestMessage(HttpMethod.Get, U("/api/dashboard/renewals"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var twin = await client.SendAsync(request);
        using var json = JsonDocument.Parse(await twin.Content.ReadAsStringAsync());
        var api = await ForecastAsync();

        Assert.Contains("<a href=\"/api/dashboard/renewals\">Renewals</a>", html, StringComparison.Ordinal);
        Assert.Contains("<tr data-account=\"red\" data-category=\"LikelyToChurn\">", html, StringComparison.Ordinal);
        Assert.Contains("<tr data-account=\"green\" data-category=\"Likely\">", html, StringComparison.Ordinal);
        Assert.Contains("<tr data-account=\"unscored\" data-category=\"AtRisk\">", html, StringComparison.Ordinal);
        Assert.Contains("$192,000", html, StringComparison.Ordinal);
        Assert.Contains("34.4%", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-account=\"far\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, twin.StatusCode);
        Assert.Equal(api.GetProperty("total").GetRawText(), json.RootElement.GetProperty("total").GetRawText());
        Assert.Equal(api.GetProperty("accounts").GetArrayLength(), json.RootElement.GetProperty("accounts").GetArrayLength());
    }

    [Fact]
    public async Task RenewalsPage_NotSignedIn_RedirectsToSignIn()
    {
        using var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync(U("/api/dashboard/renewals"));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/api/dashboard/signin?returnUrl=", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }
}
