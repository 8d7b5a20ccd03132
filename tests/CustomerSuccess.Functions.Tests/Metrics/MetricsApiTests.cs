using System.Net;
using System.Text.Json;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Metrics;

/// <summary>
/// <c>GET /api/metrics</c> through the real pipeline: revenue from the app's own MRR movements (the contract the
/// simulator reads), the value metrics beside it, alert SLA attainment from the alerts table, and the segment filter.
/// An Azurite of this class's own, so the totals hold only its accounts.
/// </summary>
public sealed class MetricsApiTests : IClassFixture<AzuriteFixture>, IDisposable
{
    private static readonly DateTimeOffset Now = new(2031, 3, 31, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _clock = new(Now);
    private readonly WebhookAppFactory _factory;
    private readonly HttpClient _client;
    private readonly IngestionKit _kit;

    public MetricsApiTests(AzuriteFixture azurite)
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
            ["from", "to", "startingMrrCents", "endingMrrCents", "newMrrCents", "expansionMrrCents", "contractionMrrCents", "churnedMrrCents", "reactivationMrrCents", "nrr", "grr", "logosAtStart", "logosChurned", "logoChurnRate", "segment", "timeToValue", "onboarding", "qbr", "alertSla", "expansionPipeline"],
            m.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("2031-03-01", "2031-03-31"), (m.GetProperty("from").GetString(), m.GetProperty("to").GetString()));
        Assert.Equal(15 * 4900, m.GetProperty("startingMrrCents").GetInt64());
        Assert.Equal(12 * 4900, m.GetProperty("endingMrrCents").GetInt64());
        Assert.Equal((2 * 4900, 5 * 4900), (m.GetProperty("expansionMrrCents").GetInt64(), m.GetProperty("churnedMrrCents").GetInt64()));
        Assert.Equal(12.0 / 15, m.GetProperty("nrr").GetDouble(), 10);
        Assert.Equal(10.0 / 15, m.GetProperty("grr").GetDouble(), 10);
        Assert.Equal((2, 1, 0.5), (m.GetProperty("logosAtStart").GetInt32(), m.GetProperty("logosChurned").GetInt32(), m.GetProperty("logoChurnRate").GetDouble()));
    }

    [Fact]
    public async Task Metrics_SegmentFilter_CountsThatSegmentsAccountsAndOnlyTheirAlerts()
    {
        // In 2030 (before the other test's period, and gone by then): an Enterprise account ($176,400 ARR) and an Smb
        // one ($1,176 ARR), both from May to July; June's alerts: the Enterprise one's Critical acknowledged in time,
        // the Smb one's Warning never acknowledged.
        var events = new TestEvents();
        async Task SubscriptionAsync(string customer, string name, DateTimeOffset created, int quantity, string status = "active")
        {
            var json = events.Subscription(name, created.ToUnixTimeSeconds(), quantity, status).Replace(events.Customer, customer, StringComparison.Ordinal)
                .Replace(events.Account, "acct-" + customer, StringComparison.Ordinal);
            Assert.Equal(DeliveryOutcomes.Applied, await _kit.StoreAndApplyAsync(WebhookProvider.Stripe, events.Id(name), "customer.subscription.updated", json));
        }

        var big = "big" + events.Suffix;
        var small = "small" + events.Suffix;
        await SubscriptionAsync(big, "b1", new DateTimeOffset(2030, 5, 10, 0, 0, 0, TimeSpan.Zero), 300);
        await SubscriptionAsync(big, "b2", new DateTimeOffset(2030, 7, 10, 0, 0, 0, TimeSpan.Zero), 300, "canceled");
        await SubscriptionAsync(small, "s1", new DateTimeOffset(2030, 5, 10, 0, 0, 0, TimeSpan.Zero), 2);
        await SubscriptionAsync(small, "s2", new DateTimeOffset(2030, 7, 10, 0, 0, 0, TimeSpan.Zero), 2, "canceled");
        var alerts = _factory.Services.GetRequiredService<AlertStore>();
        await AlertAsync(alerts, "acct-" + big, AlertTier.Critical, new DateTimeOffset(2030, 6, 15, 12, 0, 0, TimeSpan.Zero), acknowledged: true);
        await AlertAsync(alerts, "acct-" + small, AlertTier.Warning, new DateTimeOffset(2030, 6, 16, 12, 0, 0, TimeSpan.Zero), acknowledged: false);
        await OpportunityAsync(alerts, "acct-" + big, new DateTimeOffset(2030, 6, 20, 12, 0, 0, TimeSpan.Zero), 30 * 4900);

        var all = await MetricsAsync("/api/metrics?from=2030-06-01&to=2030-06-30");
        var enterprise = await MetricsAsync("/api/metrics?from=2030-06-01&to=2030-06-30&segment=Enterprise");
        var smb = await MetricsAsync("/api/metrics?from=2030-06-01&to=2030-06-30&segment=smb");

        Assert.Equal(302 * 4900, all.GetProperty("startingMrrCents").GetInt64());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("segment").ValueKind);
        Assert.Equal([(1, 1), (1, 0), (0, 0)], Sla(all));
        Assert.Equal(("Enterprise", 300 * 4900L, 1), (enterprise.GetProperty("segment").GetString(), enterprise.GetProperty("startingMrrCents").GetInt64(), enterprise.GetProperty("logosAtStart").GetInt32()));
        Assert.Equal([(1, 1), (0, 0), (0, 0)], Sla(enterprise));
        Assert.Equal(("Smb", 2 * 4900L), (smb.GetProperty("segment").GetString(), smb.GetProperty("startingMrrCents").GetInt64()));
        Assert.Equal([(0, 0), (1, 0), (0, 0)], Sla(smb));
        Assert.Equal(0.0, smb.GetProperty("alertSla")[1].GetProperty("rate").GetDouble());

        // The Enterprise account's opportunity is the pipeline; June lost nothing, so there is no coverage to give.
        Assert.Equal((1, 30 * 4900L, 0L), Pipeline(enterprise));
        Assert.Equal((0, 0L, 0L), Pipeline(smb));
        Assert.Equal(JsonValueKind.Null, enterprise.GetProperty("expansionPipeline").GetProperty("coverage").ValueKind);
    }

    private static (int Opportunities, long Mrr, long Lost) Pipeline(JsonElement metrics)
    {
        var p = metrics.GetProperty("expansionPipeline");
        return (p.GetProperty("opportunities").GetInt32(), p.GetProperty("opportunityMrrCents").GetInt64(), p.GetProperty("churnAndContractionMrrCents").GetInt64());
    }

    private static async Task OpportunityAsync(AlertStore alerts, string accountId, DateTimeOffset raised, long estimateCents)
    {
        var alert = new Alert
        {
            AccountId = accountId,
            RuleId = AlertRules.ExpansionOpportunity,
            Occurrence = 1,
            Tier = AlertTier.Opportunity,
            Status = AlertStatus.Acknowledged,
            RaisedAt = raised,
            DueBy = raised.AddDays(14),
            AcknowledgedAt = raised.AddHours(1),
            Opportunity = new CustomerSuccess.Functions.Expansion.ExpansionOpportunity([], new CustomerSuccess.Functions.Expansion.ExpansionEstimate(300, 290, 30, 4900, estimateCents), "seats"),
        };
        Assert.Equal(AlertWriteStatus.Written, await alerts.ApplyAsync(accountId, [new AlertChange(AlertChangeKind.Acknowledge, alert)], CancellationToken.None));
    }

    private static (int Due, int OnTime)[] Sla(JsonElement metrics) =>
        [.. metrics.GetProperty("alertSla").EnumerateArray().Select(t => (t.GetProperty("due").GetInt32(), t.GetProperty("onTime").GetInt32()))];

    private async Task<JsonElement> MetricsAsync(string url)
    {
        using var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    private static async Task AlertAsync(AlertStore alerts, string accountId, AlertTier tier, DateTimeOffset due, bool acknowledged)
    {
        var alert = new Alert
        {
            AccountId = accountId,
            RuleId = AlertRules.HealthBand,
            Occurrence = 1,
            Tier = tier,
            Status = acknowledged ? AlertStatus.Acknowledged : AlertStatus.Open,
            RaisedAt = due.AddHours(-20),
            DueBy = due,
            AcknowledgedAt = acknowledged ? due.AddHours(-2) : null,
        };
        // A change that notifies no one: no outbox row comes of the seed.
        Assert.Equal(AlertWriteStatus.Written, await alerts.ApplyAsync(accountId, [new AlertChange(AlertChangeKind.Acknowledge, alert)], CancellationToken.None));
    }

    [Theory]
    [InlineData("/api/metrics?from=2031-03-01&to=2031-03-31&segment=Huge")]
    [InlineData("/api/metrics?from=2031-03-01&to=2031-03-31&segment=1")]
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
