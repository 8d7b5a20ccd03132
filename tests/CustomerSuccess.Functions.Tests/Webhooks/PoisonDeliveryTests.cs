using System.Net;
using System.Text;
using System.Text.Json;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Poison events through the real pipeline on Azurite: the edge, the in-process apply workers, the background
/// sweep, the WebhookSweep function and replay. Black-box: signed raw bytes in over HTTP, outcomes read from the
/// app's own APIs (dead letters, health, unlinked ids), plus <see cref="StoredDeliveries"/> for what only storage
/// can show. Each poison event is either refused with 400 at the edge (nothing stored) or quarantined with its
/// reason and listed as dead-letter queue "webhooks"; healthy events around it are applied; the app stays up.
/// </summary>
public sealed class PoisonDeliveryTests : IAsyncLifetime
{
    private const string Key = "test-function-key";
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly PersistentAzurite _azurite = new();
    private readonly ManualTimeProvider _clock = new(Now);
    private WebhookAppFactory? _factory;
    private HttpClient _client = null!;
    private SignedWebhooks _webhooks = null!;
    private StoredDeliveries _stored = null!;

    public Task InitializeAsync() => _azurite.StartAsync();

    /// <summary>The app on this test's Azurite; <paramref name="sweepIntervalSeconds"/> paces the standalone background sweep.</summary>
    private void StartApp(int sweepIntervalSeconds = 1)
    {
        _factory = new WebhookAppFactory(_clock, _azurite.ConnectionString);
        _factory.Settings["Webhooks:SweepIntervalSeconds"] = sweepIntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _factory.Settings["Webhooks:SweepGraceSeconds"] = "30";
        _factory.Settings["Webhooks:MaxApplyAttempts"] = "3";
        _factory.Settings["Webhooks:MaxBodyBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Add("x-functions-key", Key);
        _webhooks = new SignedWebhooks(_client, _factory, _clock);
        _stored = new StoredDeliveries(_factory.Services.GetRequiredService<AppTables>());
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await _azurite.DisposeAsync();
    }

    private static string Jwt { get; } = "eyJhbGciOiJIUzI1NiJ9." + new string('A', 3000);

    private static string StripeEvent(string id, string type, string created, string obj) =>
        $$"""{"id":"{{id}}","object":"event","type":"{{type}}","created":{{created}},"data":{"object":{{obj}} } }""";

    private static string InvoicePaid(string id, string customer) => StripeEvent(id, "invoice.paid", "1763769600", $$"""{"object":"invoice","customer":"{{customer}}"}""");

    private static string SegmentTrack(string messageId, string userIdJson) =>
        $$"""{"type":"track","messageId":"{{messageId}}","userId":{{userIdJson}},"event":"Report Exported","timestamp":"2025-11-22T09:00:00Z"}""";

    private static string ZendeskTicket(string id, string organization) =>
        $$"""{"id":"{{id}}","type":"zen:event-type:ticket.created","time":"2025-11-22T00:05:00Z","detail":{"id":"5158","organization_id":"{{organization}}","status":"new","priority":"high"} }""";

    private static byte[] WithInvalidUtf8(string json, string marker)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker));
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        return bytes;
    }

    /// <summary>Every input class that got 500 or stopped the app: missing ids, lone surrogates, invalid UTF-8, long ids, wrong types, nulls.</summary>
    public static TheoryData<string, string, byte[], string> EdgePoison => new()
    {
        { "stripe customer without id", "Stripe", Encoding.UTF8.GetBytes(StripeEvent("evt_p1", "customer.updated", "1763769600", """{"object":"customer","name":"Acme"}""")), "data.object.id" },
        { "stripe lone-surrogate customer", "Stripe", Encoding.UTF8.GetBytes(StripeEvent("evt_p2", "customer.subscription.created", "1763769600", """{"id":"sub_1","customer":"cus_\udfff"}""")), "surrogate" },
        { "stripe invalid UTF-8", "Stripe", WithInvalidUtf8(StripeEvent("evt_p3", "customer.updated", "1763769600", """{"id":"cus_1","name":"Acme XX"}"""), "XX"), "UTF-8" },
        { "stripe created null", "Stripe", Encoding.UTF8.GetBytes(StripeEvent("evt_p4", "invoice.paid", "null", """{"customer":"cus_1"}""")), "created" },
        { "stripe created string", "Stripe", Encoding.UTF8.GetBytes(StripeEvent("evt_p5", "invoice.paid", "\"1763769600\"", """{"customer":"cus_1"}""")), "created" },
        { "stripe customer an object", "Stripe", Encoding.UTF8.GetBytes(StripeEvent("evt_p6", "customer.subscription.updated", "1763769600", """{"id":"sub_1","customer":{"id":"cus_1"}}""")), "data.object.customer" },
        { "stripe account id with a slash", "Stripe", Encoding.UTF8.GetBytes(StripeEvent("evt_p7", "customer.created", "1763769600", """{"id":"cus_1","metadata":{"account_id":"acme/corp"}}""")), "account id" },
        { "stripe event id too long", "Stripe", Encoding.UTF8.GetBytes(StripeEvent("evt_" + new string('9', 9000), "invoice.paid", "1763769600", """{"customer":"cus_1"}""")), "event id" },
        { "segment lone-surrogate user", "Segment", Encoding.UTF8.GetBytes(SegmentTrack("ajs-p1", "\"\\ud800\"")), "surrogate" },
        { "segment no messageId", "Segment", Encoding.UTF8.GetBytes("""{"type":"track","userId":"u1","timestamp":"2025-11-22T09:00:00Z"}"""), "messageId" },
        { "segment messageId null", "Segment", Encoding.UTF8.GetBytes("""{"type":"track","messageId":null,"userId":"u1"}"""), "messageId" },
        { "segment user id too long", "Segment", Encoding.UTF8.GetBytes(SegmentTrack("ajs-p2", "\"" + new string('u', 9000) + "\"")), "segment-user id" },
        { "segment batch with one bad message", "Segment", Encoding.UTF8.GetBytes("[" + SegmentTrack("ajs-p3", "\"u1\"") + "," + SegmentTrack("ajs-p4", "\"\\udc00\"") + "]"), "$[1].userId" },
        { "segment body null", "Segment", Encoding.UTF8.GetBytes("null"), "expected" },
        { "zendesk detail null", "Zendesk", Encoding.UTF8.GetBytes("""{"id":"z-p1","type":"zen:event-type:ticket.created","detail":null}"""), "detail" },
        { "zendesk numeric id", "Zendesk", Encoding.UTF8.GetBytes("""{"id":42,"type":"zen:event-type:ticket.created","detail":{}}"""), "event id" },
        { "zendesk invalid UTF-8", "Zendesk", WithInvalidUtf8(ZendeskTicket("z-p2", "XX"), "XX"), "UTF-8" },
    };

    [Theory]
    [MemberData(nameof(EdgePoison))]
    public async Task Edge_PoisonEvent_400WithTheReasonAndNothingStored(string name, string provider, byte[] body, string reason)
    {
        StartApp();
        var before = await _stored.CountAsync();

        using var response = await _webhooks.PostAsync(Enum.Parse<WebhookProvider>(provider), body);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode}");
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await _stored.CountAsync());
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task Edge_PoisonBetweenHealthyEvents_HealthyOnesAppliedByTheInProcessWorkers()
    {
        StartApp();
        using var before = await _webhooks.PostAsync(WebhookProvider.Stripe, InvoicePaid("evt_before", "cus_before"));
        foreach (var poison in EdgePoison)
        {
            using var refused = await _webhooks.PostAsync(Enum.Parse<WebhookProvider>((string)poison[1]), (byte[])poison[2]);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        // What used to be fatal is applied now: a JWT as a Segment userId, ids with characters keys refuse.
        using var jwt = await _webhooks.PostAsync(WebhookProvider.Segment, SegmentTrack("ajs-jwt", "\"" + Jwt + "\""));
        using var slashes = await _webhooks.PostAsync(WebhookProvider.Segment, SegmentTrack("ajs/with#odd?chars", "\"user/with\\\\odd#chars\""));
        using var after = await _webhooks.PostAsync(WebhookProvider.Zendesk, ZendeskTicket("z-after", "org_after"));

        Assert.All([before, jwt, slashes, after], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await WaitUntilAsync(async () =>
        {
            var unlinked = await UnlinkedIdsAsync();
            return unlinked.Contains("cus_before") && unlinked.Contains(Jwt) && unlinked.Contains("user/with\\odd#chars") && unlinked.Contains("org_after");
        });
        Assert.Empty(await DeadLettersAsync());
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task Sweep_StoredPoison_QuarantinedWithTheReasonListedAndTheRestApplied()
    {
        StartApp();
        var received = Now.AddMinutes(-10);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt_ok_1", "invoice.paid", InvoicePaid("evt_ok_1", "cus_swept_1"), received);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt_no_id", "customer.updated", StripeEvent("evt_no_id", "customer.updated", "1763769600", """{"object":"customer"}"""), received);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt_lone", "customer.subscription.created", StripeEvent("evt_lone", "customer.subscription.created", "1763769600", """{"id":"sub_1","customer":"cus_\udfff"}"""), received);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt_null_created", "invoice.paid", StripeEvent("evt_null_created", "invoice.paid", "null", """{"customer":"cus_1"}"""), received);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Segment, "ajs-long", "track", SegmentTrack("ajs-long", "\"" + new string('/', 700) + "\""), received);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Zendesk, "z-not-json", "zen:event-type:ticket.created", "not json at all", received);
        await _stored.StoreDamagedAsync(WebhookProvider.Stripe, "evt_damaged", received);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt_ok_2", "invoice.paid", InvoicePaid("evt_ok_2", "cus_swept_2"), received);

        // The background sweep (every second here) finds them; the damaged row fails on each of three sweeps.
        await WaitUntilAsync(async () => (await DeadLettersAsync()).Count == 5, TimeSpan.FromSeconds(40));

        var letters = (await DeadLettersAsync()).ToDictionary(l => l.GetProperty("applicationProperties").GetProperty("EventId").GetString()!);
        Assert.Equal(["evt_damaged", "evt_lone", "evt_no_id", "evt_null_created", "z-not-json"], letters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("EventRejected", letters["evt_no_id"].GetProperty("reason").GetString());
        Assert.Contains("data.object.id", letters["evt_no_id"].GetProperty("errorDescription").GetString(), StringComparison.Ordinal);
        Assert.Contains("surrogate", letters["evt_lone"].GetProperty("errorDescription").GetString(), StringComparison.Ordinal);
        Assert.Contains("created", letters["evt_null_created"].GetProperty("errorDescription").GetString(), StringComparison.Ordinal);
        Assert.Contains("not valid JSON", letters["z-not-json"].GetProperty("errorDescription").GetString(), StringComparison.Ordinal);
        Assert.Equal("MaxApplyAttemptsExceeded", letters["evt_damaged"].GetProperty("reason").GetString());
        Assert.Equal(3, letters["evt_damaged"].GetProperty("deliveryCount").GetInt32());
        Assert.Equal(1, letters["evt_no_id"].GetProperty("deliveryCount").GetInt32());

        var unlinked = await UnlinkedIdsAsync();
        Assert.Contains("cus_swept_1", unlinked);
        Assert.Contains("cus_swept_2", unlinked);
        Assert.Contains(new string('/', 700), unlinked);

        // Still up, still applying: a healthy event sent now is applied by the in-process workers.
        using var next = await _webhooks.PostAsync(WebhookProvider.Stripe, InvoicePaid("evt_next", "cus_next"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        await WaitUntilAsync(async () => (await UnlinkedIdsAsync()).Contains("cus_next"));
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task WebhookSweepFunction_StoredPoison_QuarantinedThenRedrivenToTheInProcessWorkers()
    {
        // As under the Functions host: no background sweep, the WebhookSweep timer function does it.
        StartApp(sweepIntervalSeconds: 3600);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt/odd#id?", "customer.updated", StripeEvent("evt/odd#id?", "customer.updated", "1763769600", """{"object":"customer"}"""), Now.AddMinutes(-10));
        using var sweep = await InvokeAsync("WebhookSweep");
        Assert.Equal(HttpStatusCode.OK, sweep.StatusCode);
        Assert.Contains("1 quarantined", await sweep.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var letter = Assert.Single(await DeadLettersAsync());
        var id = letter.GetProperty("messageId").GetString()!;

        using var redriven = await _client.PostAsync($"/api/admin/deadletters/webhooks/{Uri.EscapeDataString(id)}/redrive", null);
        Assert.Equal(HttpStatusCode.Accepted, redriven.StatusCode);

        // The redrive hands it to the in-process workers, which find it still bad: quarantined again, one attempt.
        await WaitUntilAsync(async () => (await DeadLettersAsync()).Count == 1);
        Assert.Equal("evt/odd#id?", Assert.Single(await DeadLettersAsync()).GetProperty("applicationProperties").GetProperty("EventId").GetString());

        using var unknown = await _client.PostAsync("/api/admin/deadletters/webhooks/stripe-00.evt_nope/redrive", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task Replay_WithPoisonStored_AppliesEveryHealthyEventAndQuarantinesThePoison()
    {
        StartApp();
        using var healthy = await _webhooks.PostAsync(WebhookProvider.Stripe, InvoicePaid("evt_replay_ok", "cus_replay"));
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt_replay_bad", "customer.updated", StripeEvent("evt_replay_bad", "customer.updated", "1763769600", """{"object":"customer"}"""), Now);
        await _stored.StoreAsReceivedBeforeAsync(WebhookProvider.Stripe, "evt_replay_lone", "customer.subscription.created", StripeEvent("evt_replay_lone", "customer.subscription.created", "1763769600", """{"id":"sub_1","customer":"cus_\udfff"}"""), Now);

        using var replay = await _client.PostAsync("/api/webhooks/replay?provider=stripe", null);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        using var counts = JsonDocument.Parse(await replay.Content.ReadAsStringAsync());
        Assert.Equal(3, counts.RootElement.GetProperty("replayed").GetInt32());

        // The healthy event names a customer nobody linked: it is parked (the replay answer counts that apart).
        Assert.Equal((0, 1), (counts.RootElement.GetProperty("applied").GetInt32(), counts.RootElement.GetProperty("parked").GetInt32()));
        Assert.Equal(2, counts.RootElement.GetProperty("quarantined").GetInt32());
        Assert.Equal(2, (await DeadLettersAsync()).Count);
        Assert.Contains("cus_replay", await UnlinkedIdsAsync());
        await AssertHealthyAsync();
    }

    private Task<HttpResponseMessage> InvokeAsync(string function) =>
        _client.PostAsync("/" + function, new StringContent("""{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}""", Encoding.UTF8, "application/json"));

    private async Task<List<JsonElement>> DeadLettersAsync()
    {
        using var response = await _client.GetAsync("/api/admin/deadletters?queue=webhooks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()];
    }

    private async Task<HashSet<string>> UnlinkedIdsAsync()
    {
        using var response = await _client.GetAsync("/api/accounts/unlinked");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(u => u.GetProperty("externalId").GetString()!)];
    }

    private async Task AssertHealthyAsync()
    {
        using var response = await _client.GetAsync("/api/healthz");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("ok", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail("condition not reached in time");
    }
}
