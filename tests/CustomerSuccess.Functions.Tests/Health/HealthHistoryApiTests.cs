using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>GET /api/health/history on Azurite: two days of recomputes through the real pipeline, read back page by page.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HealthHistoryApiTests(AzuriteFixture azurite)
{
    // Days no other test scores, so rows other tests leave in the shared Azurite stay outside the range; one per
    // test, since a recompute run is keyed by its hour and a second run in the same hour is the same run.
    private static readonly DateTimeOffset Day1 = new(2031, 3, 14, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset OtherDay1 = new(2031, 4, 20, 9, 0, 0, TimeSpan.Zero);

    private sealed record Scored(HttpClient Client, HealthAppFactory Factory, string Prefix, List<string> AccountIds) : IDisposable
    {
        public void Dispose()
        {
            Client.Dispose();
            Factory.Dispose();
        }
    }

    /// <summary>Eight accounts (one past due with no usage, so not every band is Green) scored on a day and the day after.</summary>
    private async Task<Scored> ScoreTwoDaysAsync(DateTimeOffset day1)
    {
        var prefix = "hh" + Guid.NewGuid().ToString("N")[..6] + "-";
        var accounts = HealthRecomputeTests.Accounts(8).Select(a => a with { AccountId = prefix + a.AccountId }).ToList();
        accounts[5] = accounts[5] with { SubscriptionStatus = "past_due", ActiveUsers30d = 0, ActiveUsers7d = 0, Days = [] };
        var time = new ManualTime(day1);
        var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource(accounts), time);
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);

        await HealthApiTests.RunRecomputeAsync(client, factory.Sent);
        factory.Sent.Clear();
        time.Now = day1.AddDays(1);
        await HealthApiTests.RunRecomputeAsync(client, factory.Sent);
        return new Scored(client, factory, prefix, [.. accounts.Select(a => a.AccountId)]);
    }

    private static async Task<(List<JsonObject> Items, int Pages)> ReadAllAsync(HttpClient client, string query)
    {
        var items = new List<JsonObject>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await client.GetFromJsonAsync<JsonObject>($"/api/health/history?{query}" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation)));
            pages++;
            items.AddRange(page!["items"]!.AsArray().Select(i => i!.AsObject()));
            continuation = (string?)page["continuation"];
        }
        while (continuation is not null);
        return (items, pages);
    }

    [Fact]
    public async Task History_SmallPages_EveryAccountEveryDayOnceWithBandScoreAndSegment()
    {
        using var run = await ScoreTwoDaysAsync(Day1);

        var (all, pages) = await ReadAllAsync(run.Client, "from=2031-03-14&to=2031-03-15&pageSize=3");
        var mine = all.Where(i => ((string)i["accountId"]!).StartsWith(run.Prefix, StringComparison.Ordinal)).ToList();

        Assert.True(pages > 2, $"expected several pages of 3, got {pages}");
        Assert.Equal(16, mine.Count);
        Assert.Equal(
            run.AccountIds.SelectMany(a => new[] { (a, "2031-03-14"), (a, "2031-03-15") }).Order(),
            mine.Select(i => ((string)i["accountId"]!, (string)i["day"]!)).Order());
        Assert.Contains(mine, i => (string)i["band"]! == "Green");
        Assert.Contains(mine, i => (string)i["band"]! != "Green");
        Assert.All(mine, i => Assert.Equal("Smb", (string)i["segment"]!));

        // The same rows the per-account API shows as its history.
        foreach (var accountId in run.AccountIds)
        {
            var health = await run.Client.GetFromJsonAsync<JsonObject>($"/api/accounts/{accountId}/health");
            var expected = health!["history"]!.AsArray().Select(h => ((string)h!["day"]!, (int)h["score"]!, (string)h["band"]!)).Order();
            var actual = mine.Where(i => (string)i["accountId"]! == accountId).Select(i => ((string)i["day"]!, (int)i["score"]!, (string)i["band"]!)).Order();
            Assert.Equal(expected, actual);
            Assert.All(mine.Where(i => (string)i["accountId"]! == accountId), i => Assert.NotNull((string?)i["computedBand"]));
        }
    }

    [Fact]
    public async Task History_OneDayRange_OnlyThatDay()
    {
        using var run = await ScoreTwoDaysAsync(OtherDay1);

        var (all, _) = await ReadAllAsync(run.Client, "from=2031-04-21&to=2031-04-21");
        var mine = all.Where(i => ((string)i["accountId"]!).StartsWith(run.Prefix, StringComparison.Ordinal)).ToList();

        Assert.Equal(8, mine.Count);
        Assert.All(mine, i => Assert.Equal("2031-04-21", (string)i["day"]!));
    }

    [Theory]
    [InlineData("to=2031-03-15")]
    [InlineData("from=2031-03-14")]
    [InlineData("from=14.03.2031&to=2031-03-15")]
    [InlineData("from=2031-03-16&to=2031-03-15")]
    [InlineData("from=2031-03-14&to=2031-03-15&pageSize=0")]
    [InlineData("from=2031-03-14&to=2031-03-15&pageSize=1001")]
    [InlineData("from=2031-03-14&to=2031-03-15&pageSize=ten")]
    [InlineData("from=2031-03-14&to=2031-03-15&continuation=not*base64")]
    [InlineData("from=2031-03-14&to=2031-03-15&continuation=YQFi")]
    public async Task History_BadQuery_400WithReason(string query)
    {
        using var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource([]), TimeProvider.System);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);

        using var response = await client.GetAsync(new Uri("/api/health/history?" + query, UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((string?)problem!["title"]));
    }

    [Fact]
    public async Task History_NoFunctionKey_401()
    {
        using var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource([]), TimeProvider.System);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/health/history?from=2031-03-14&to=2031-03-15", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task History_StorageDown_503()
    {
        // Nothing listens on port 1: every call is refused, as when the storage account cannot be reached.
        var unreachable = $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:1/{AzuriteFixture.AccountName}";
        using var factory = new HealthAppFactory(unreachable, new FakeSignalSource([]), TimeProvider.System);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", HealthAppFactory.FunctionKey);

        using var response = await client.GetAsync(new Uri("/api/health/history?from=2031-03-14&to=2031-03-15", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
