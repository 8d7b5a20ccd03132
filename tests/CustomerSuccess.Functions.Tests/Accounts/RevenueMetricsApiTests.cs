using System.Net;
using System.Text.Json;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>
/// <c>GET /api/metrics</c> through the real pipeline: revenue from the app's own MRR movements, the contract the
/// simulator reads. An Azurite of this class's own, so the totals hold only its accounts.
/// </summary>
public sealed class RevenueMetricsApiTests : IClassFixture<AzuriteFixture>, IDisposable
{
    private static readonly DateTimeOffset Now = new(2031, 3, 31, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _clock = new(Now);
    private readonly WebhookAppFactory _factory;
    private readonly HttpClient _client;
    private readonly IngestionKit _kit;

    public RevenueMetricsApiTests(AzuriteFixture azurite)
    {
        _factory = new WebhookAppFactory(_clock, azurite.ConnectionString);
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Add("x-functions-key", "test-function-key");
        _kit = new IngestionKit(azurite.ConnectionString, _clock);
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task Metrics_SubscriptionsThroughTheApplier_ExactContract()
    {
        // One account grows, one churns.
        var events = new TestEvents();
        async Task SubscriptionAsync(string customer, string name, long created, int quantity, string status = "active")
        {
            var json = events.Subscription(name, created, quantity, status).Replace(events.Customer, customer, StringComparison.Ordinal)
                .Replace(events.Account, "acct-" + customer, StringComparison.Ordinal);
            Assert.Equal(DeliveryOutcomes.Applied, await _kit.StoreAndApplyAsync(WebhookProvider.Stripe, events.Id(name), "customer.subscription.updated", json));
        }

        var january = new DateTimeOffset(2031, 1, 10, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var march = new DateTimeOffset(2031, 3, 5, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        await SubscriptionAsync("grow" + events.Suffix, "g1", january, 10);
        await SubscriptionAsync("grow" + events.Suffix, "g2", march, 12);
        await SubscriptionAsync("gone" + events.Suffix, "c1", january, 5);
        await SubscriptionAsync("gone" + events.Suffix, "c2", march, 5, "canceled");

        using var response = await _client.GetAsync(new Uri("/api/metrics?from=2031-03-01&to=2031-03-31", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        var m = json.RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            ["from", "to", "startingMrrCents", "endingMrrCents", "newMrrCents", "expansionMrrCents", "contractionMrrCents", "churnedMrrCents", "reactivationMrrCents", "nrr", "grr", "logosAtStart", "logosChurned", "logoChurnRate"],
            m.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("2031-03-01", "2031-03-31"), (m.GetProperty("from").GetString(), m.GetProperty("to").GetString()));
        Assert.Equal(15 * 4900, m.GetProperty("startingMrrCents").GetInt64());
        Assert.Equal(12 * 4900, m.GetProperty("endingMrrCents").GetInt64());
        Assert.Equal((2 * 4900, 5 * 4900), (m.GetProperty("expansionMrrCents").GetInt64(), m.GetProperty("churnedMrrCents").GetInt64()));
        Assert.Equal(12.0 / 15, m.GetProperty("nrr").GetDouble(), 10);
        Assert.Equal(10.0 / 15, m.GetProperty("grr").GetDouble(), 10);
        Assert.Equal((2, 1, 0.5), (m.GetProperty("logosAtStart").GetInt32(), m.GetProperty("logosChurned").GetInt32(), m.GetProperty("logoChurnRate").GetDouble()));
    }

    [Theory]
    [InlineData("/api/metrics?from=2031-13-01&to=2031-03-31")]
    [InlineData("/api/metrics?from=2031-04-01&to=2031-03-31")]
    public async Task Metrics_BadPeriod_400(string url)
    {
        using var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_WithoutKey_401()
    {
        using var anonymous = _factory.CreateClient();
        using var response = await anonymous.GetAsync(new Uri("/api/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
