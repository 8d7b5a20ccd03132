using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>Timer tick → shard invocations → API, through the real pipeline on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HealthApiTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly ManualTime _time = new(AsOf);
    private HealthAppFactory _factory = null!;
    private HttpClient _client = null!;
    private AppTables _tables = null!;

    public async Task InitializeAsync()
    {
        _tables = await HealthStorage.FreshAsync(azurite);
        _factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource(HealthRecomputeTests.Accounts(12)), _time);
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    internal static async Task RunRecomputeAsync(HttpClient client, List<OutgoingMessage> sent)
    {
        using var timer = await client.PostAsync(new Uri("/HealthRecomputeTimer", UriKind.Relative), Json("""{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}"""));
        Assert.Equal(HttpStatusCode.OK, timer.StatusCode);
        foreach (var m in sent.ToList())
        {
            var invocation = new JsonObject
            {
                ["Data"] = new JsonObject { ["message"] = JsonSerializer.Serialize(m.Body) is var quoted ? JsonNode.Parse(quoted) : null },
                ["Metadata"] = new JsonObject { ["MessageId"] = m.MessageId, ["DeliveryCount"] = 1 },
            };
            using var shard = await client.PostAsync(new Uri("/HealthRecomputeShard", UriKind.Relative), Json(invocation.ToJsonString()));
            Assert.Equal(HttpStatusCode.OK, shard.StatusCode);
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task GetAccountHealth_AfterRecompute_ReturnsScoreDimensionsHistory()
    {
        await RunRecomputeAsync(_client, _factory.Sent);

        var health = await _client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-000/health");

        Assert.Equal(3, _factory.Sent.Count);
        Assert.Equal(95, (int)health!["score"]!);
        Assert.Equal("Green", (string)health["band"]!);
        Assert.Equal(0, (int)health["dimensions"]!["Relationship"]!);
        var history = health["history"]!.AsArray();
        Assert.Equal("2026-06-30", (string)Assert.Single(history)!["day"]!);
    }

    [Fact]
    public async Task GetAccountHealth_NamesEachSubSignalKnownOrMissing()
    {
        await RunRecomputeAsync(_client, _factory.Sent);

        var health = await _client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-000/health");

        // Every dimension is explained by its named sub-signals; Relationship (0 above) by champion and sponsor, and
        // the sub-signals this account has no facts for are sent with a null value.
        var sub = health!["subSignals"]!.AsArray().Select(n => n!.AsObject()).ToList();
        Assert.Equal(Enum.GetNames<HealthDimension>().Order(), sub.Select(n => (string)n["dimension"]!).Distinct().Order());
        var champion = Assert.Single(sub, n => (string)n["name"]! == HealthSubSignals.ChampionAndSponsor);
        Assert.Equal(0, (int)champion["value"]!);
        Assert.Contains(sub, n => n["value"] is null);
    }

    [Fact]
    public async Task GetAccountHealth_LoginsAgainstPeersOn_SubSignalReadsTheLastRunsMeasure()
    {
        // One login a day for 8 active users: 0.875 a user-week, a quarter of the fixed 3, at the peers' 0.85.
        var accounts = HealthRecomputeTests.Accounts(3).Select(a => a with { Days = a.Days.Select(d => d with { Logins = 1 }).ToList() }).ToList();
        await using var peersOff = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource(accounts), _time);
        await using var peersOn = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource(accounts), _time, b => b.UseSetting("Health:LoginsAgainstPeers", "true"));
        using var offClient = Client(peersOff);
        using var onClient = Client(peersOn);
        await RunRecomputeAsync(offClient, peersOff.Sent);
        await _tables[HealthTables.Runs].UpsertAsync(HealthLoginBenchmarkEntity.From(new PeerLoginBenchmark("2026063011", 0.85, 0.85, 0.85, 40), AsOf));

        Assert.Equal(25, await LoginFrequencyAsync(offClient));
        Assert.Equal(100, await LoginFrequencyAsync(onClient));

        static HttpClient Client(HealthAppFactory factory)
        {
            var client = factory.CreateClient();
            client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);
            return client;
        }

        static async Task<int> LoginFrequencyAsync(HttpClient client)
        {
            var health = await client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-001/health");
            var sub = health!["subSignals"]!.AsArray().Select(n => n!.AsObject());
            return (int)Assert.Single(sub, n => (string)n["name"]! == HealthSubSignals.LoginFrequency)["value"]!;
        }
    }

    [Fact]
    public async Task GetAccountHealth_HistoryAcrossAMonthEnd_EveryDayInOrder()
    {
        await RunRecomputeAsync(_client, _factory.Sent);
        _factory.Sent.Clear();
        _time.Now = AsOf.AddDays(2);
        await RunRecomputeAsync(_client, _factory.Sent);

        var health = await _client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-000/health");
        var portfolio = await _client.GetFromJsonAsync<JsonObject>("/api/health/history?from=2026-06-01&to=2026-07-31");

        // History rows live in one partition per group and month: both months are read, June before July.
        Assert.Equal(["2026-06-30", "2026-07-02"], health!["history"]!.AsArray().Select(d => (string)d!["day"]!));
        Assert.Null(portfolio!["continuation"]);
        Assert.Equal(24, portfolio["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task GetAccountHealth_Unknown_404()
    {
        using var response = await _client.GetAsync(new Uri("/api/accounts/nobody/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetAccountHealth_NoFunctionKey_401()
    {
        using var anonymous = _factory.CreateClient();

        using var response = await anonymous.GetAsync(new Uri("/api/accounts/acct-000/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Override_PutThenDelete_BandInForceWithComputedBeside()
    {
        await RunRecomputeAsync(_client, _factory.Sent);

        using var put = await _client.PutAsync(new Uri("/api/accounts/acct-000/health/override", UriKind.Relative), Json("""{"band":"Red","reason":"Champion resigned, not yet in data","expiresAt":"2026-07-14T00:00:00Z","setBy":"csm@example.com"}"""));
        var overridden = await _client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-000/health");
        using var delete = await _client.DeleteAsync(new Uri("/api/accounts/acct-000/health/override", UriKind.Relative));
        var cleared = await _client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-000/health");

        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal(("Red", "Green", 95), ((string)overridden!["band"]!, (string)overridden["computedBand"]!, (int)overridden["score"]!));
        Assert.Equal("Champion resigned, not yet in data", (string)overridden["override"]!["reason"]!);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal("Green", (string)cleared!["band"]!);
        Assert.Null(cleared["override"]);
    }

    [Fact]
    public async Task Override_Expired_NoLongerInForce()
    {
        await RunRecomputeAsync(_client, _factory.Sent);
        using var put = await _client.PutAsync(new Uri("/api/accounts/acct-000/health/override", UriKind.Relative), Json("""{"band":"Red","reason":"Escalation","expiresAt":"2026-07-01T00:00:00Z"}"""));

        _time.Now = new DateTimeOffset(2026, 7, 1, 0, 0, 1, TimeSpan.Zero);
        var health = await _client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-000/health");

        Assert.Equal("Green", (string)health!["band"]!);
    }

    [Theory]
    [InlineData("""{"reason":"x","expiresAt":"2026-07-14T00:00:00Z"}""")]
    [InlineData("""{"band":"Red","expiresAt":"2026-07-14T00:00:00Z"}""")]
    [InlineData("""{"band":"Red","reason":"x","expiresAt":"2026-06-01T00:00:00Z"}""")]
    [InlineData("""{"band":"Purple","reason":"x","expiresAt":"2026-07-14T00:00:00Z"}""")]
    [InlineData("""not json""")]
    public async Task Override_Invalid_400AndNothingStored(string body)
    {
        using var put = await _client.PutAsync(new Uri("/api/accounts/acct-000/health/override", UriKind.Relative), Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Empty(await _tables.RowsAsync<HealthScoreEntity>(HealthTables.Scores));
    }

    [Fact]
    public async Task Portfolio_BandsPerSegmentAndAtRiskRanked()
    {
        var accounts = HealthRecomputeTests.Accounts(6);
        accounts[4] = accounts[4] with { SubscriptionStatus = "past_due", CancelAtPeriodEnd = true, Relationship = new() }; // 85
        accounts[5] = accounts[5] with { Milestones = new Dictionary<string, DateTimeOffset>(), Relationship = new(), RenewalDate = AsOf.AddDays(30) }; // 75 → Green
        accounts[2] = accounts[2] with { Milestones = new Dictionary<string, DateTimeOffset>(), Relationship = new(), SubscriptionStatus = "past_due", CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(10) }; // 70 Yellow
        accounts[1] = accounts[1] with { Milestones = new Dictionary<string, DateTimeOffset>(), Relationship = new(), SubscriptionStatus = "past_due", CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(40) }; // 70 Yellow, later renewal
        await using var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource(accounts), _time);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);
        await RunRecomputeAsync(client, factory.Sent);

        var portfolio = await client.GetFromJsonAsync<JsonObject>("/api/portfolio");

        Assert.Equal(4, (int)portfolio!["bands"]!["Smb"]!["Green"]!);
        Assert.Equal(2, (int)portfolio["bands"]!["Smb"]!["Yellow"]!);
        var atRisk = portfolio["atRisk"]!.AsArray();
        Assert.Equal(["acct-002", "acct-001"], atRisk.Select(a => (string)a!["accountId"]!));
        Assert.Equal(10, (int)atRisk[0]!["daysToRenewal"]!);
    }

    [Fact]
    public async Task Churned_LeavesThePortfolioAndKeepsItsFinalScoreWithItsState()
    {
        // acct-002 has cancelled (Payment 0, at risk); the churn is booked half a day after the first run.
        var accounts = HealthRecomputeTests.Accounts(4);
        accounts[2] = accounts[2] with { Milestones = new Dictionary<string, DateTimeOffset>(), Relationship = new(), SubscriptionStatus = "canceled", ChurnedAt = AsOf.AddHours(12) };
        await using var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource(accounts), _time);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);
        await RunRecomputeAsync(client, factory.Sent);
        var before = await client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-002/health");
        Assert.Equal("Active", (string)before!["lifecycle"]!);
        Assert.Contains("acct-002", (await client.GetFromJsonAsync<JsonObject>("/api/portfolio"))!["atRisk"]!.AsArray().Select(a => (string)a!["accountId"]!));

        _time.Now = AsOf.AddDays(1);
        await RunRecomputeAsync(client, factory.Sent);

        var after = await client.GetFromJsonAsync<JsonObject>("/api/accounts/acct-002/health");
        Assert.Equal("Churned", (string)after!["lifecycle"]!);
        Assert.Equal((int)before["score"]!, (int)after["score"]!);
        Assert.Equal((string)before["scoredAt"]!, (string)after["scoredAt"]!);
        var portfolio = await client.GetFromJsonAsync<JsonObject>("/api/portfolio");
        Assert.Empty(portfolio!["atRisk"]!.AsArray());
        Assert.Equal(3, portfolio["bands"]!.AsObject().Sum(s => s.Value!.AsObject().Sum(b => (int)b.Value!)));
    }
}
