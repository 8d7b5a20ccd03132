using System.Net;
using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Reviews;

/// <summary>
/// <c>GET /api/accounts/{id}/qbr</c> through the real pipeline on Azurite: an account's state, score, 90-day history
/// and open alert as the features write them, the pack as JSON and as the printable page, each with the same figures.
/// An Azurite of this class's own, so its account stays out of the shared one's portfolio.
/// </summary>
public sealed class QbrPackApiTests : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Key = "test-function-key";
    private static readonly DateTimeOffset Now = new(2031, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);
    private readonly WebhookAppFactory _factory;
    private readonly string _id = "qbr-" + Guid.NewGuid().ToString("N")[..8];

    public QbrPackApiTests(AzuriteFixture azurite)
    {
        _factory = new WebhookAppFactory(new ManualTimeProvider(Now), azurite.ConnectionString);
        _factory.Settings["LocalRunner:Enabled"] = "false";
        _factory.Settings["Product:KeyFeatures:0"] = "Reports";
        _factory.Settings["Product:KeyFeatures:1"] = "API";
    }

    public async Task InitializeAsync()
    {
        var state = AccountState.New(_id, Now.AddDays(-300));
        var yesterday = Now.AddDays(-1);
        state.Apply(
            new AccountEvent
            {
                Account = new ExternalIdRef(ExternalIdKinds.StripeCustomer, "cus_" + _id),
                OccurredAt = yesterday,
                Facts =
                [
                    new ProfileUpdated("stripe", "Qbr Corp", "pat@example.com"),
                    new SubscriptionChanged("sub_" + _id, 250_000, "pro", 20, "active", false, Now.AddDays(60), Now.AddDays(-305), 365),
                    new MilestoneReached("first_value"),
                    new FeatureUsed("Reports"),
                ],
            },
            "evt-" + _id,
            Now);
        Assert.NotNull(await _factory.Services.GetRequiredService<AccountStateStore>().WriteAsync(null, state, CancellationToken.None));

        var tables = _factory.Services.GetRequiredService<AppTables>();
        for (var back = 89; back >= 0; back -= 89)
        {
            var day = Score(back == 0 ? 42 : 75, back == 0 ? HealthBand.Red : HealthBand.Green, back == 0 ? 30 : 80, Today.AddDays(-back));
            Assert.True((await tables[HealthTables.History].UpsertAsync(HealthHistoryEntity.From(day))).Succeeded);
        }

        Assert.True((await tables[HealthTables.Scores].UpsertAsync(HealthScoreEntity.From(Score(42, HealthBand.Red, 30, Today), new AccountSignals { AccountId = _id, Name = "Qbr Corp" }))).Succeeded);
        var alert = new Alert
        {
            AccountId = _id, RuleId = AlertRules.HealthBand, Occurrence = 1, Tier = AlertTier.Critical, Status = AlertStatus.Open,
            RaisedAt = Now.AddHours(-2), DueBy = Now.AddHours(22), Reason = "Score fell to Red",
        };
        Assert.Equal(AlertWriteStatus.Written, await _factory.Services.GetRequiredService<AlertStore>().ApplyAsync(_id, [new AlertChange(AlertChangeKind.Acknowledge, alert)], CancellationToken.None));
    }

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    private HealthScore Score(int score, HealthBand band, int usage, DateOnly day) => new()
    {
        AccountId = _id,
        Day = day,
        ScoredAt = Now,
        Segment = AccountSegment.MidMarket,
        Score = score,
        ComputedBand = band,
        Band = band,
        Dimensions = [usage, 50, 50, 50, 50, 50],
        Trend = HealthTrend.Declining,
        TrendDelta = score - 75,
        BandSince = day,
        FirstScoredOn = Today.AddDays(-200),
    };

    private HttpClient Client()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", Key);
        return client;
    }

    [Fact]
    public async Task Qbr_Json_FiguresOfTheAccountsOwnData()
    {
        using var client = Client();

        using var response = await client.GetAsync(new Uri($"/api/accounts/{_id}/qbr?format=json", UriKind.Relative));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var pack = json.RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("Qbr Corp", 3_000_000L, "MidMarket"), (pack.GetProperty("accountName").GetString(), pack.GetProperty("arrCents").GetInt64(), pack.GetProperty("segment").GetString()));
        var health = pack.GetProperty("health");
        Assert.Equal((42, "Red", 75, 2), (health.GetProperty("score").GetInt32(), health.GetProperty("band").GetString(), health.GetProperty("scoreThen").GetInt32(), health.GetProperty("days").GetArrayLength()));
        // MidMarket weighs product usage 35: (30 − 80) × 35 / 100 = −17.5 points.
        Assert.Equal("Product usage fell from 80 to 30, taking 17.5 points from the score", health.GetProperty("drivers")[0].GetProperty("words").GetString());
        Assert.Equal(["Reports"], pack.GetProperty("adoption").GetProperty("keyFeaturesUsed").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["API"], pack.GetProperty("adoption").GetProperty("keyFeaturesNotUsed").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("first_value", pack.GetProperty("milestones")[0].GetProperty("name").GetString());
        Assert.NotEqual(JsonValueKind.Null, pack.GetProperty("milestones")[0].GetProperty("reachedAt").ValueKind);
        Assert.Equal(["Critical: Score fell to Red"], pack.GetProperty("risks").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("Renewal in 60 days while Red: assemble the save team (CS, Sales, Exec) now.", pack.GetProperty("nextSteps").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task Qbr_Html_PrintablePageWithTheSameFigures()
    {
        using var client = Client();

        using var response = await client.GetAsync(new Uri($"/api/accounts/{_id}/qbr", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/html", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Contains("Quarterly business review: Qbr Corp", html, StringComparison.Ordinal);
        Assert.Contains("data-test=\"score\">42<", html, StringComparison.Ordinal);
        Assert.Contains("data-test=\"score-then\">75<", html, StringComparison.Ordinal);
        Assert.Contains("Product usage fell from 80 to 30, taking 17.5 points from the score.", html, StringComparison.Ordinal);
        Assert.Contains("@media print", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Qbr_UnknownAccount_404()
    {
        using var client = Client();

        using var response = await client.GetAsync(new Uri("/api/accounts/no-such-account-qbr/qbr", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Qbr_WithoutKey_401()
    {
        using var anonymous = _factory.CreateClient();

        using var response = await anonymous.GetAsync(new Uri($"/api/accounts/{_id}/qbr", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
