using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>End to end on the real Table client and a real Azurite: duplicates, ordering, linking, replay and an outage.</summary>
public sealed class WebhookAzuriteTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly PersistentAzurite _azurite = new();
    private readonly ManualTimeProvider _clock = new(Now);
    private WebhookAppFactory _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _azurite.StartAsync();
        _factory = new WebhookAppFactory(_clock, _azurite.ConnectionString);
        _client = _factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    private AppTables Tables => _factory.Services.GetRequiredService<AppTables>();

    private static string Fixture(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));

    private static string SubscriptionEvent(string eventId, long created, int quantity)
    {
        var node = JsonNode.Parse(Fixture("Stripe/customer.subscription.updated.json"))!;
        node["id"] = eventId;
        node["created"] = created;
        node["data"]!["object"]!["items"]!["data"]![0]!["quantity"] = quantity;

        // A subscription whose metadata does not name the account: it waits for a link.
        node["data"]!["object"]!["metadata"] = new JsonObject();
        return node.ToJsonString();
    }

    private async Task<HttpResponseMessage> PostStripeAsync(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigning.StripeHeader(_factory.StripeSecret, _clock.GetUtcNow().ToUnixTimeSeconds(), body));
        return await _client.SendAsync(request);
    }

    /// <summary>Every event stored: waiting in the inbox or archived (read in that order, so one moving between them is seen).</summary>
    private async Task<List<string>> StoredEventIdsAsync()
    {
        var inbox = await Tables[WebhookInbox.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.All).Select(e => e.EventId!).ToListAsync();
        var archive = await Tables[WebhookArchive.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.All).Select(e => e.EventId!).ToListAsync();
        return [.. inbox.Union(archive, StringComparer.Ordinal)];
    }

    [Fact]
    public async Task SegmentBatch_StoredInAFewTransactions_NotOneInsertPerEvent()
    {
        await using var factory = new WebhookAppFactory(_clock, _azurite.ConnectionString);
        factory.Settings["Webhooks:ApplyInProcess"] = "false";
        using var client = factory.CreateClient();
        var messages = Enumerable.Range(0, 40).Select(i => (JsonNode)new JsonObject
        {
            ["type"] = "track",
            ["messageId"] = $"m-group-{i:00}",
            ["event"] = "Login",
            ["userId"] = "usr_9f8e7d6c",
            ["timestamp"] = "2025-11-22T00:09:00Z",
        });
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["batch"] = new JsonArray([.. messages]) }.ToJsonString());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/segment") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        request.Headers.TryAddWithoutValidation("X-Signature", WebhookSigning.SegmentSignature(factory.SegmentSecret, body));
        factory.Traffic.Reset();

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"stored\":40", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var writes = factory.Traffic.Requests(WebhookInbox.Table, "insert") + factory.Traffic.Requests(WebhookInbox.Table, "batch");
        // The batch's events arrive in the same second, so they share one inbox partition: the first insert goes alone,
        // the rest together.
        Assert.InRange(writes, 1, 3);
        var stored = await factory.Services.GetRequiredService<AppTables>()[WebhookInbox.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.All).Select(r => r.EventId!).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"m-group-{i:00}"), stored.Order());
    }

    [Fact]
    public async Task ConcurrentDuplicates_OneRowInAzurite()
    {
        var json = Fixture("Stripe/invoice.payment_failed.json");

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => PostStripeAsync(json)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));

        // While the event waits in the inbox a copy answers "duplicate"; one that arrives after the event was applied
        // and left the inbox is stored again and dropped at the archive's claim. Either way: one event, archived once.
        Assert.Contains(bodies, b => b.Contains("\"status\":\"stored\"", StringComparison.Ordinal));
        Assert.Contains(bodies, b => b.Contains("\"status\":\"duplicate\"", StringComparison.Ordinal));
        await Eventually.WaitUntilAsync(async () => (await Tables[WebhookInbox.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.All).CountAsync()) == 0);
        Assert.Equal(["evt_1QgA1bLkdIwHu7ixPmF4aD2s"], await StoredEventIdsAsync());
        var archived = Assert.Single(await Tables[WebhookArchive.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.All).ToListAsync());
        Assert.Equal(DeliveryOutcomes.Parked, archived.Outcome);
    }

    [Fact]
    public async Task OutOfOrderSubscriptionUpdates_UnlinkedThenLinked_ReplayIdempotent()
    {
        Assert.Equal(HttpStatusCode.OK, (await PostStripeAsync(SubscriptionEvent("evt_new", 1763769900, 30))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostStripeAsync(SubscriptionEvent("evt_old", 1763769700, 25))).StatusCode);

        using var unlinkedRequest = new HttpRequestMessage(HttpMethod.Get, "/api/accounts/unlinked");
        unlinkedRequest.Headers.Add("x-functions-key", "test-function-key");
        await Eventually.WaitUntilAsync(async () =>
        {
            var archived = await Tables[WebhookArchive.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.All).ToListAsync();
            return archived.Count == 2 && archived.All(d => d.Outcome == DeliveryOutcomes.Parked);
        });
        var unlinked = await (await _client.SendAsync(unlinkedRequest)).Content.ReadAsStringAsync();
        Assert.Contains("cus_RYx8n1H3dq9ZpA", unlinked, StringComparison.Ordinal);

        using var noKey = await _client.PostAsync("/api/accounts/links", JsonContent("""{"accountId":"acme-corp","kind":"stripe-customer","externalId":"cus_RYx8n1H3dq9ZpA"}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);

        using var link = new HttpRequestMessage(HttpMethod.Post, "/api/accounts/links") { Content = JsonContent("""{"accountId":"acme-corp","kind":"stripe-customer","externalId":"cus_RYx8n1H3dq9ZpA"}""") };
        link.Headers.Add("x-functions-key", "test-function-key");
        using var linked = await _client.SendAsync(link);
        Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
        Assert.Contains("\"appliedPendingEvents\":2", await linked.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var source = _factory.Services.GetRequiredService<IAccountSignalSource>();
        var account = Assert.Single((await source.ReadPageAsync(0, 1, new DateOnly(2025, 11, 22), null, 10, CancellationToken.None)).Accounts);
        Assert.Equal(30, account.LicensedSeats);
        Assert.Equal(30 * 4900, account.MrrCents);

        using var replay = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/replay?provider=stripe");
        replay.Headers.Add("x-functions-key", "test-function-key");
        using var replayed = await _client.SendAsync(replay);
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        var again = Assert.Single((await source.ReadPageAsync(0, 1, new DateOnly(2025, 11, 22), null, 10, CancellationToken.None)).Accounts);
        Assert.Equal(30 * 4900, again.Days.Sum(d => d.MrrDeltaCents));
        Assert.Equal(30, again.LicensedSeats);
    }

    [Fact]
    public async Task AzuriteStoppedMidRun_503ThenRetryStored_NoAcknowledgedEventLost()
    {
        var acknowledged = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = "evt_before_" + i;
            using var ok = await PostStripeAsync(SubscriptionEvent(id, 1763769600 + i, 10 + i));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            acknowledged.Add(id);
        }

        // Azurite's --location store saves to disk every few seconds; give it that long so the restart below
        // shows what a durable store would, and any missing row is the app's loss, not the emulator's.
        await Task.Delay(TimeSpan.FromSeconds(6));
        await _azurite.StopAsync();
        using var during = await PostStripeAsync(SubscriptionEvent("evt_during", 1763769700, 20));
        var duringBody = await during.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.DoesNotContain("Exception", duringBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Functions.Tests.Infrastructure.AzuriteFixture.AccountKey, duringBody, StringComparison.Ordinal);

        await _azurite.StartAsync();
        using var retried = await PostStripeAsync(SubscriptionEvent("evt_during", 1763769700, 20));
        Assert.True(retried.StatusCode == HttpStatusCode.OK, await retried.Content.ReadAsStringAsync());
        acknowledged.Add("evt_during");

        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), (await StoredEventIdsAsync()).Order(StringComparer.Ordinal));
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");
}
