using System.Text;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>The inputs that stopped the app or got 500, each answered by the parsers and mappers the edge and the applier share.</summary>
public sealed class WebhookEdgeRulesTests
{
    private static readonly ProductOptions Product = new();

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public void Stripe_CustomerWithoutId_ParsesButIsRejectedByTheMapper()
    {
        const string json = """{"id":"evt_1","type":"customer.updated","created":1763769600,"data":{"object":{"object":"customer","name":"Acme"}}}""";

        Assert.Null(StripeEventParser.Parse(Utf8(json)).Error);
        Assert.Contains("data.object.id", StripeEventMapper.Map("customer.updated", json).Rejection, StringComparison.Ordinal);
    }

    [Fact]
    public void Stripe_LoneSurrogateCustomer_RejectedNamingTheField()
    {
        const string json = """{"id":"evt_1","type":"customer.subscription.created","created":1763769600,"data":{"object":{"id":"sub_1","customer":"cus_\udfff"}}}""";

        var parsed = StripeEventParser.Parse(Utf8(json));

        Assert.Equal("$.data.object.customer is an escaped UTF-16 surrogate without its pair, which is not text", parsed.Error);
        Assert.True(StripeEventMapper.Map("customer.subscription.created", json).IsRejected);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"1763769600\"")]
    [InlineData("1.5")]
    [InlineData("99999999999999")]
    public void Stripe_CreatedNotAUnixTime_Rejected(string created)
    {
        var json = $$"""{"id":"evt_1","type":"invoice.paid","created":{{created}},"data":{"object":{"customer":"cus_1"} } }""";

        Assert.Equal(StripeEventMapper.CreatedRule, StripeEventParser.Parse(Utf8(json)).Error);
        Assert.Equal(StripeEventMapper.CreatedRule, StripeEventMapper.Map("invoice.paid", json).Rejection);
    }

    [Fact]
    public void AnyProvider_InvalidUtf8InsideAString_Rejected()
    {
        var body = Utf8("""{"id":"evt_1","type":"x","messageId":"m","created":1,"detail":{},"data":{"object":{}},"name":"Acme XX"}""");
        var at = Array.IndexOf(body, (byte)'X');
        (body[at], body[at + 1]) = (0xC3, 0x28);

        Assert.Equal("body is not valid UTF-8", StripeEventParser.Parse(body).Error);
        Assert.Equal("body is not valid UTF-8", SegmentEventParser.Parse(body).Error);
        Assert.Equal("body is not valid UTF-8", ZendeskEventParser.Parse(body).Error);
    }

    [Fact]
    public void Segment_LoneSurrogateUserIdInABatch_RejectedNamingTheMessage()
    {
        const string json = """{"batch":[{"type":"track","messageId":"m1","userId":"u1","timestamp":"2025-11-22T09:00:00Z"},{"type":"track","messageId":"m2","userId":"\ud800","timestamp":"2025-11-22T09:00:00Z"}]}""";

        Assert.Equal("$.batch[1].userId is an escaped UTF-16 surrogate without its pair, which is not text", SegmentEventParser.Parse(Utf8(json)).Error);
    }

    [Fact]
    public void Segment_JwtAsUserId_AppliedUnderAHashedKeyThatKeepsTheOriginal()
    {
        var jwt = "eyJhbGciOiJIUzI1NiJ9." + new string('A', 3000);
        var json = $$"""{"type":"identify","messageId":"m1","userId":"{{jwt}}","groupId":"acme-corp","timestamp":"2025-11-22T09:00:00Z","traits":{"email":"a@acme.test"} }""";

        var effect = SegmentEventMapper.Map(json, Product).Event;

        Assert.NotNull(effect);
        Assert.Equal(jwt, Assert.IsType<UserSeen>(Assert.Single(effect.Facts)).UserId);
        Assert.Equal(jwt, Assert.Single(effect.AlsoKnownAs).ExternalId);
        Assert.EndsWith("%H" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(jwt.AsSpan()))), ProviderIdKeys.Escape(jwt), StringComparison.Ordinal);
    }

    [Fact]
    public void Segment_IdBeyondWhatIsKept_Rejected()
    {
        var json = $$"""{"type":"track","messageId":"m1","userId":"{{new string('u', AccountEventLimits.MaxIdLength + 1)}}","timestamp":"2025-11-22T09:00:00Z"}""";

        Assert.StartsWith("the segment-user id is 8193 characters long", SegmentEventMapper.Map(json, Product).Rejection, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyProvider_EventIdBeyondWhatIsKept_RejectedByTheParser()
    {
        var id = new string('e', AccountEventLimits.MaxIdLength + 1);

        Assert.StartsWith("event id is", StripeEventParser.Parse(Utf8($$"""{"id":"{{id}}","type":"x","created":1,"data":{"object":{ } } }""")).Error, StringComparison.Ordinal);
        Assert.StartsWith("message 0: event id is", SegmentEventParser.Parse(Utf8($$"""[{"messageId":"{{id}}","type":"track"}]""")).Error, StringComparison.Ordinal);
        Assert.StartsWith("event id is", ZendeskEventParser.Parse(Utf8($$"""{"id":"{{id}}","type":"x","detail":{ } }""")).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acme/corp")]
    [InlineData("acme|corp")]
    [InlineData(" acme")]
    public void AnyProvider_NamedAccountIdTheKeysCannotHold_Rejected(string accountId)
    {
        var json = $$"""{"id":"evt_1","type":"customer.created","created":1763769600,"data":{"object":{"id":"cus_1","metadata":{"account_id":"{{accountId}}"} } } }""";

        Assert.StartsWith("the account id it names", StripeEventMapper.Map("customer.created", json).Rejection, StringComparison.Ordinal);
    }

    [Fact]
    public void Stripe_UnusedType_StillIgnoredNotRejected() =>
        Assert.Same(EventMapping.Ignored, StripeEventMapper.Map("product.created", """{"id":"evt_1","type":"product.created","created":1,"data":{"object":{"id":"prod_1"}}}"""));

    [Fact]
    public void Zendesk_TicketWithoutOrganization_StillIgnored() =>
        Assert.Same(EventMapping.Ignored, ZendeskEventMapper.Map("zen:event-type:ticket.created", """{"id":"z1","type":"zen:event-type:ticket.created","time":"2025-11-22T00:05:00Z","detail":{"id":"5158"}}""", Product));
}
