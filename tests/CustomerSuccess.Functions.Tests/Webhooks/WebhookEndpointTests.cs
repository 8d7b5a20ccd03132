using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Deliveries through the real HTTP pipeline on Azurite, raw bytes on the wire, signatures computed here. Applying is
/// off (no hints; the sweep's clock never moves), so what a delivery stored stays in the inbox to be counted.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookEndpointTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 0, 10, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _clock = new(Now);
    private readonly TestEvents _events = new();
    private readonly WebhookAppFactory _factory;
    private readonly HttpClient _client;

    public WebhookEndpointTests(AzuriteFixture azurite)
    {
        _factory = new WebhookAppFactory(_clock, azurite.ConnectionString);
        _factory.Settings["Webhooks:ApplyInProcess"] = "false";
        _client = _factory.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    private int StoredRows => InboxRows().Count;

    private static DeliveryKey ArchiveKeyOf(WebhookDeliveryRow inboxRow) =>
        new InboxKey(inboxRow.PartitionKey, inboxRow.RowKey).TryGetDelivery(out var key) ? key : throw new InvalidOperationException("The inbox row names no event: " + inboxRow.RowKey);

    private List<WebhookDeliveryRow> InboxRows() =>
        [.. _factory.Services.GetRequiredService<AppTables>()[WebhookInbox.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.All).ToBlockingEnumerable().Where(r => r.EventId?.Contains(_events.Suffix, StringComparison.Ordinal) == true)];

    private byte[] Fixture(string path) => _events.Bytes(path);

    private HttpRequestMessage Stripe(byte[] body, string? signature = null, string contentType = "application/json; charset=utf-8")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signature ?? WebhookSigning.StripeHeader(_factory.StripeSecret, Now.ToUnixTimeSeconds(), body));
        return request;
    }

    private HttpRequestMessage Segment(byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/segment") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("X-Signature", WebhookSigning.SegmentSignature(_factory.SegmentSecret, body));
        return request;
    }

    private HttpRequestMessage Zendesk(byte[] body, DateTimeOffset signedAt)
    {
        var ts = signedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/zendesk") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("X-Zendesk-Webhook-Signature", WebhookSigning.ZendeskSignature(_factory.ZendeskSecret, ts, body));
        request.Headers.TryAddWithoutValidation("X-Zendesk-Webhook-Signature-Timestamp", ts);
        request.Headers.TryAddWithoutValidation("X-Zendesk-Webhook-Id", "01GK8E6BKWMJZD2T8Y5AXJQMG5");
        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
            return (response.StatusCode, doc.RootElement.Clone());
        }
    }

    [Fact]
    public async Task Stripe_SignedFixture_200AndArchivedWithoutSignature()
    {
        var body = Fixture("Stripe/customer.subscription.updated.json");

        var (status, json) = await SendAsync(_client, Stripe(body));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("stored", json.GetProperty("status").GetString());
        var row = Assert.Single(InboxRows());
        Assert.Equal("evt_1Q" + _events.Suffix + "fR8sLkdIwHu7ixB9x2Xo4T", ArchiveKeyOf(row).RowKey);
        Assert.Equal("customer.subscription.updated", row.EventType);
        Assert.Equal(Encoding.UTF8.GetString(body), row.ReadBody());
        var stored = (await _factory.Services.GetRequiredService<AppTables>()[WebhookInbox.Table].GetAsync<TableEntity>(row.PartitionKey, row.RowKey))!;
        Assert.DoesNotContain(stored.Keys, k => k.Contains("Signature", StringComparison.OrdinalIgnoreCase) && !k.Contains("Timestamp", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(stored.Select(p => p.Value).OfType<string>(), v => v.Contains(_factory.StripeSecret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stripe_SignedWithOldSecretDuringRotation_200()
    {
        var body = Fixture("Stripe/customer.created.json");
        var (status, _) = await SendAsync(_client, Stripe(body, WebhookSigning.StripeHeader(_factory.StripeOldSecret, Now.ToUnixTimeSeconds(), body)));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, StoredRows);
    }

    [Fact]
    public async Task Stripe_RedeliveryInTheSameSecond_200DuplicateAndOneRow()
    {
        var body = Fixture("Stripe/invoice.payment_failed.json");
        var first = await SendAsync(_client, Stripe(body));
        var second = await SendAsync(_client, Stripe(body));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, second.Status));
        Assert.Equal(("stored", "duplicate"), (first.Body.GetProperty("status").GetString(), second.Body.GetProperty("status").GetString()));
        Assert.Equal(1, StoredRows);
    }

    /// <summary>A failed payment delivered, then again <paramref name="after"/> later, signed anew as a provider's retry is.</summary>
    private async Task<((HttpStatusCode Status, JsonElement Body) First, (HttpStatusCode Status, JsonElement Body) Second)> StripeRedeliveredAfterAsync(TimeSpan after)
    {
        var body = Fixture("Stripe/invoice.payment_failed.json");
        var first = await SendAsync(_client, Stripe(body));
        _clock.Advance(after);
        var second = await SendAsync(_client, Stripe(body, WebhookSigning.StripeHeader(_factory.StripeSecret, _clock.GetUtcNow().ToUnixTimeSeconds(), body)));
        return (first, second);
    }

    [Fact]
    public async Task Stripe_RedeliveryDaysLater_200DuplicateAndOneRow()
    {
        var (first, second) = await StripeRedeliveredAfterAsync(TimeSpan.FromDays(2));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, second.Status));
        Assert.Equal(("stored", "duplicate"), (first.Body.GetProperty("status").GetString(), second.Body.GetProperty("status").GetString()));
        Assert.Equal(1, StoredRows);
    }

    [Fact]
    public async Task Stripe_RedeliveryTheAppNoLongerRemembers_WaitsAsASecondCopy_ReplayArchivesTheEventOnceAndEmptiesTheInbox()
    {
        // Past what the acknowledgement remembers (half the archive's 30-day retention), as a copy reaching another
        // instance would be.
        var (first, second) = await StripeRedeliveredAfterAsync(TimeSpan.FromDays(16));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, second.Status));
        Assert.Equal("stored", second.Body.GetProperty("status").GetString());
        var copies = InboxRows();
        Assert.Equal(2, copies.Count);
        Assert.Single(copies.Select(r => r.RowKey).Distinct());

        using var replay = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/replay?provider=stripe&unappliedOnly=true");
        replay.Headers.Add("x-functions-key", "test-function-key");
        var (status, counts) = await SendAsync(_client, replay);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(counts.GetProperty("duplicates").GetInt32() >= 1, counts.ToString()); // other tests' events may be replayed beside it
        Assert.Equal(0, StoredRows);
        var archived = _factory.Services.GetRequiredService<AppTables>()[WebhookArchive.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.Of($"EventId eq {copies[0].EventId}")).ToBlockingEnumerable().ToList();
        Assert.Single(archived);
    }

    [Fact]
    public async Task Stripe_ConcurrentDuplicateDeliveries_ExactlyOneStored()
    {
        var body = Fixture("Stripe/customer.subscription.updated.json");

        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => SendAsync(_client, Stripe(body))));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(1, results.Count(r => r.Body.GetProperty("status").GetString() == "stored"));
        Assert.Equal(23, results.Count(r => r.Body.GetProperty("status").GetString() == "duplicate"));
        Assert.Equal(1, StoredRows);
    }

    [Fact]
    public async Task Stripe_MissingSignature_401NothingStored()
    {
        var request = Stripe(Fixture("Stripe/customer.created.json"));
        request.Headers.Remove("Stripe-Signature");
        var (status, _) = await SendAsync(_client, request);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Stripe_WrongSignature_401NothingStored()
    {
        var body = Fixture("Stripe/customer.created.json");
        var (status, json) = await SendAsync(_client, Stripe(body, $"t={Now.ToUnixTimeSeconds()},v1={new string('7', 64)}"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid signature", json.GetProperty("error").GetString());
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Stripe_UnknownSecret_401NothingStored()
    {
        var body = Fixture("Stripe/customer.created.json");
        var (status, _) = await SendAsync(_client, Stripe(body, WebhookSigning.StripeHeader(WebhookSigning.NewSecret("whsec_"), Now.ToUnixTimeSeconds(), body)));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0, StoredRows);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Stripe_ExpiredOrFutureTimestamp_401NothingStored(int offsetSeconds)
    {
        var body = Fixture("Stripe/customer.created.json");
        var (status, _) = await SendAsync(_client, Stripe(body, WebhookSigning.StripeHeader(_factory.StripeSecret, Now.ToUnixTimeSeconds() + offsetSeconds, body)));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Stripe_TamperedBody_401NothingStored()
    {
        var body = Fixture("Stripe/customer.subscription.updated.json");
        var signature = WebhookSigning.StripeHeader(_factory.StripeSecret, Now.ToUnixTimeSeconds(), body);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"quantity\": 25", "\"quantity\": 2500", StringComparison.Ordinal));
        var (status, _) = await SendAsync(_client, Stripe(tampered, signature));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Stripe_SignedButNotJson_400NothingStored()
    {
        var (status, json) = await SendAsync(_client, Stripe(Encoding.UTF8.GetBytes("id=evt_1&type=customer.created")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("body is not valid JSON", json.GetProperty("error").GetString());
        Assert.Equal(0, StoredRows);
    }

    [Theory]
    [InlineData("""[{"id":"evt_1"}]""")]
    [InlineData("""{"object":"event","type":"customer.created","created":1763769600,"data":{"object":{}}}""")]
    [InlineData("""{"id":"evt_1","object":"event","type":"customer.created","created":1763769600}""")]
    public async Task Stripe_SignedButWrongShape_400NothingStored(string payload)
    {
        var (status, json) = await SendAsync(_client, Stripe(Encoding.UTF8.GetBytes(payload)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error").GetString()));
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Stripe_WrongContentType_415NothingStored()
    {
        var (status, _) = await SendAsync(_client, Stripe(Fixture("Stripe/customer.created.json"), contentType: "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Stripe_BodyOverLimitWithContentLength_413NothingStored()
    {
        var body = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', WebhookAppFactory.MaxBodyBytes) + "\"}");
        var (status, _) = await SendAsync(_client, Stripe(body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Segment_BodyOverLimitChunked_413NothingStored()
    {
        var body = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', WebhookAppFactory.MaxBodyBytes) + "\"}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/segment")
        {
            Content = new UnknownLengthContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("X-Signature", WebhookSigning.SegmentSignature(_factory.SegmentSecret, body));
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Stripe_StorageUnavailable_503NothingAcknowledged()
    {
        _factory.Traffic.FailWhen = (table, _) => table == WebhookInbox.Table;
        var (status, json) = await SendAsync(_client, Stripe(Fixture("Stripe/customer.created.json")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.DoesNotContain("Injected", json.ToString(), StringComparison.Ordinal);

        _factory.Traffic.FailWhen = null;
        var retry = await SendAsync(_client, Stripe(Fixture("Stripe/customer.created.json")));
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Equal("stored", retry.Body.GetProperty("status").GetString());
        Assert.Equal(1, StoredRows);
    }

    [Fact]
    public async Task Segment_SingleMessage_200Stored()
    {
        var (status, json) = await SendAsync(_client, Segment(Fixture("Segment/identify.json")));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, json.GetProperty("stored").GetInt32());
        Assert.Equal("identify", Assert.Single(InboxRows()).EventType);
    }

    [Fact]
    public async Task Segment_BatchObject_EachMessageStoredOnce()
    {
        var body = Fixture("Segment/batch.json");
        var first = await SendAsync(_client, Segment(body));
        var again = await SendAsync(_client, Segment(body));

        Assert.Equal(3, first.Body.GetProperty("stored").GetInt32());
        Assert.Equal("duplicate", again.Body.GetProperty("status").GetString());
        Assert.Equal(3, StoredRows);
    }

    [Fact]
    public async Task Segment_JsonArrayOverlappingEarlierBatch_StoresOnlyNewMessages()
    {
        await SendAsync(_client, Segment(Fixture("Segment/identify.json")));
        var identify = _events.Text("Segment/identify.json");
        var array = Encoding.UTF8.GetBytes("[" + identify + ",{\"type\":\"track\",\"messageId\":\"m-new-" + _events.Suffix + "\",\"event\":\"Login\",\"userId\":\"usr_9f8e7d6c\",\"timestamp\":\"2025-11-22T00:09:00Z\"}]");

        var (status, json) = await SendAsync(_client, Segment(array));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, json.GetProperty("stored").GetInt32());
        Assert.Equal(1, json.GetProperty("duplicates").GetInt32());
        Assert.Equal(2, StoredRows);
    }

    [Fact]
    public async Task Segment_TamperedBatch_401NothingStored()
    {
        var body = Fixture("Segment/batch.json");
        var request = Segment(body);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("Report Exported", "Report Deleted", StringComparison.Ordinal)));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var (status, _) = await SendAsync(_client, request);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0, StoredRows);
    }

    [Theory]
    [InlineData("""{"batch":[]}""")]
    [InlineData("""{"batch":{"type":"track"}}""")]
    [InlineData("""[{"type":"track","messageId":"a"},{"type":"track"}]""")]
    [InlineData("42")]
    public async Task Segment_SignedButWrongShape_400NothingStored(string payload)
    {
        var (status, _) = await SendAsync(_client, Segment(Encoding.UTF8.GetBytes(payload)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Zendesk_SignedFixture_200StoredWithTimestampHeader()
    {
        var (status, _) = await SendAsync(_client, Zendesk(Fixture("Zendesk/ticket.created.json"), Now));
        Assert.Equal(HttpStatusCode.OK, status);
        var row = Assert.Single(InboxRows());
        Assert.Equal(_events.Suffix + "-cbe4028c-7239-495d-b020-f22348516046", ArchiveKeyOf(row).RowKey);
        Assert.Equal("01GK8E6BKWMJZD2T8Y5AXJQMG5", row.ZendeskWebhookId);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Zendesk_ExpiredOrFutureTimestamp_401NothingStored(int offsetSeconds)
    {
        var (status, _) = await SendAsync(_client, Zendesk(Fixture("Zendesk/ticket.created.json"), Now.AddSeconds(offsetSeconds)));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0, StoredRows);
    }

    [Fact]
    public async Task Zendesk_SignedButMissingId_400NothingStored()
    {
        var (status, _) = await SendAsync(_client, Zendesk(Encoding.UTF8.GetBytes("""{"type":"zen:event-type:ticket.created","detail":{}}"""), Now));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(0, StoredRows);
    }

    /// <summary>Content that does not announce its length, as a chunked upload does: the server must stop reading at the limit.</summary>
    private sealed class UnknownLengthContent(byte[] data) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < data.Length; i += 4096)
            {
                await stream.WriteAsync(data.AsMemory(i, Math.Min(4096, data.Length - i)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
