using System.Text;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;

namespace CustomerSuccess.Functions.Tests.Webhooks;

public sealed class SignatureVerifierTests
{
    // Vectors computed outside .NET (Node's crypto module) so the test does not share code with the verifier.
    private static readonly byte[] VectorBody = Encoding.UTF8.GetBytes("""{"id":"evt_vector","object":"event","type":"customer.created","created":1700000000,"data":{"object":{"id":"cus_vector","object":"customer"}}}""");
    private static readonly DateTimeOffset VectorTime = DateTimeOffset.FromUnixTimeSeconds(1700000000);
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    private readonly byte[] _body = Encoding.UTF8.GetBytes("""{"id":"evt_1","object":"event","type":"invoice.paid","created":1763769600,"data":{"object":{"id":"in_1"}}}""");
    private readonly DateTimeOffset _now = DateTimeOffset.FromUnixTimeSeconds(1763769600);

    [Fact]
    public void Stripe_KnownVector_Valid() =>
        Assert.Equal(SignatureCheck.Valid, StripeSignatureVerifier.Verify(VectorBody, "t=1700000000,v1=9df245d82900b5361732afb4a52af68676d9d9dc51be8dbba3db4fd538250b1b", ["whsec_test_vector_secret"], VectorTime, Tolerance));

    [Fact]
    public void Stripe_SignedWithSecondConfiguredSecret_ValidDuringRotation()
    {
        var oldSecret = WebhookSigning.NewSecret("whsec_");
        var newSecret = WebhookSigning.NewSecret("whsec_");
        var header = WebhookSigning.StripeHeader(newSecret, _now.ToUnixTimeSeconds(), _body);
        Assert.Equal(SignatureCheck.Valid, StripeSignatureVerifier.Verify(_body, header, [oldSecret, newSecret], _now, Tolerance));
    }

    [Fact]
    public void Stripe_OneOfSeveralV1Matches_Valid()
    {
        var secret = WebhookSigning.NewSecret("whsec_");
        var header = WebhookSigning.StripeHeader(secret, _now.ToUnixTimeSeconds(), _body, "v1=" + new string('a', 64));
        var reordered = "v1=" + new string('0', 64) + "," + header;
        Assert.Equal(SignatureCheck.Valid, StripeSignatureVerifier.Verify(_body, reordered, [secret], _now, Tolerance));
    }

    [Fact]
    public void Stripe_OnlyV0SchemeMatches_Rejected()
    {
        var secret = WebhookSigning.NewSecret("whsec_");
        var valid = WebhookSigning.StripeHeader(secret, _now.ToUnixTimeSeconds(), _body);
        var v0Only = valid.Replace("v1=", "v0=", StringComparison.Ordinal);
        Assert.NotEqual(SignatureCheck.Valid, StripeSignatureVerifier.Verify(_body, v0Only, [secret], _now, Tolerance));
    }

    [Fact]
    public void Stripe_UnknownSchemesBesideV1_Ignored()
    {
        var secret = WebhookSigning.NewSecret("whsec_");
        var header = WebhookSigning.StripeHeader(secret, _now.ToUnixTimeSeconds(), _body, "v0=deadbeef", "v9=zzz", "garbage");
        Assert.Equal(SignatureCheck.Valid, StripeSignatureVerifier.Verify(_body, header, [secret], _now, Tolerance));
    }

    [Theory]
    [InlineData(-300, SignatureCheck.Valid)]
    [InlineData(300, SignatureCheck.Valid)]
    [InlineData(-301, SignatureCheck.TimestampOutOfTolerance)]
    [InlineData(301, SignatureCheck.TimestampOutOfTolerance)]
    public void Stripe_TimestampAtToleranceEdges(int offsetSeconds, SignatureCheck expected)
    {
        var secret = WebhookSigning.NewSecret("whsec_");
        var header = WebhookSigning.StripeHeader(secret, _now.ToUnixTimeSeconds() + offsetSeconds, _body);
        Assert.Equal(expected, StripeSignatureVerifier.Verify(_body, header, [secret], _now, Tolerance));
    }

    [Fact]
    public void Stripe_TamperedBody_Mismatch()
    {
        var secret = WebhookSigning.NewSecret("whsec_");
        var header = WebhookSigning.StripeHeader(secret, _now.ToUnixTimeSeconds(), _body);
        var tampered = (byte[])_body.Clone();
        tampered[^3] ^= 1;
        Assert.Equal(SignatureCheck.Mismatch, StripeSignatureVerifier.Verify(tampered, header, [secret], _now, Tolerance));
    }

    [Fact]
    public void Stripe_TimestampChangedAfterSigning_Mismatch()
    {
        var secret = WebhookSigning.NewSecret("whsec_");
        var header = WebhookSigning.StripeHeader(secret, _now.ToUnixTimeSeconds(), _body)
            .Replace("t=" + _now.ToUnixTimeSeconds(), "t=" + (_now.ToUnixTimeSeconds() + 1), StringComparison.Ordinal);
        Assert.Equal(SignatureCheck.Mismatch, StripeSignatureVerifier.Verify(_body, header, [secret], _now, Tolerance));
    }

    [Fact]
    public void Stripe_SecretNotConfigured_Mismatch()
    {
        var header = WebhookSigning.StripeHeader(WebhookSigning.NewSecret("whsec_"), _now.ToUnixTimeSeconds(), _body);
        Assert.Equal(SignatureCheck.Mismatch, StripeSignatureVerifier.Verify(_body, header, [WebhookSigning.NewSecret("whsec_")], _now, Tolerance));
    }

    [Theory]
    [InlineData(null, SignatureCheck.MissingHeader)]
    [InlineData("", SignatureCheck.MissingHeader)]
    [InlineData("v1=abc", SignatureCheck.Malformed)]
    [InlineData("t=1763769600", SignatureCheck.Malformed)]
    [InlineData("t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000", SignatureCheck.Malformed)]
    [InlineData("t=1,t=2,v1=0000000000000000000000000000000000000000000000000000000000000000", SignatureCheck.Malformed)]
    public void Stripe_MissingOrMalformedHeader_Rejected(string? header, SignatureCheck expected) =>
        Assert.Equal(expected, StripeSignatureVerifier.Verify(_body, header, ["whsec_x"], _now, Tolerance));

    [Fact]
    public void Stripe_NoSecretsConfigured_Rejected()
    {
        var header = WebhookSigning.StripeHeader("whsec_x", _now.ToUnixTimeSeconds(), _body);
        Assert.Equal(SignatureCheck.NoSecretConfigured, StripeSignatureVerifier.Verify(_body, header, [], _now, Tolerance));
    }

    [Fact]
    public void Segment_KnownVector_Valid() =>
        Assert.Equal(SignatureCheck.Valid, SegmentSignatureVerifier.Verify(VectorBody, "eeefd06c7d9915428a6f157804c9709e85c23ce0", ["segment_vector_secret"]));

    [Fact]
    public void Segment_BatchSignedAsWhole_ValidAndTamperedElementRejected()
    {
        var secret = WebhookSigning.NewSecret("seg_");
        var batch = Encoding.UTF8.GetBytes("""{"batch":[{"type":"track","messageId":"m1","event":"A"},{"type":"track","messageId":"m2","event":"B"}]}""");
        var signature = WebhookSigning.SegmentSignature(secret, batch);
        Assert.Equal(SignatureCheck.Valid, SegmentSignatureVerifier.Verify(batch, signature, [secret]));

        var tampered = Encoding.UTF8.GetBytes("""{"batch":[{"type":"track","messageId":"m1","event":"A"},{"type":"track","messageId":"m3","event":"B"}]}""");
        Assert.Equal(SignatureCheck.Mismatch, SegmentSignatureVerifier.Verify(tampered, signature, [secret]));
    }

    [Fact]
    public void Segment_Rotation_EitherSecretValid()
    {
        var a = WebhookSigning.NewSecret("seg_");
        var b = WebhookSigning.NewSecret("seg_");
        Assert.Equal(SignatureCheck.Valid, SegmentSignatureVerifier.Verify(_body, WebhookSigning.SegmentSignature(a, _body), [a, b]));
        Assert.Equal(SignatureCheck.Valid, SegmentSignatureVerifier.Verify(_body, WebhookSigning.SegmentSignature(b, _body), [a, b]));
        Assert.Equal(SignatureCheck.Mismatch, SegmentSignatureVerifier.Verify(_body, WebhookSigning.SegmentSignature(WebhookSigning.NewSecret("seg_"), _body), [a, b]));
    }

    [Theory]
    [InlineData(null, SignatureCheck.MissingHeader)]
    [InlineData("not-hex", SignatureCheck.Malformed)]
    [InlineData("abcd", SignatureCheck.Malformed)]
    public void Segment_MissingOrMalformedHeader_Rejected(string? header, SignatureCheck expected) =>
        Assert.Equal(expected, SegmentSignatureVerifier.Verify(_body, header, ["seg_x"]));

    [Fact]
    public void Zendesk_KnownVector_Valid() =>
        Assert.Equal(SignatureCheck.Valid, ZendeskSignatureVerifier.Verify(VectorBody, "qeSBFqUeB+0yiW969AOYM6ZMGiRelwkmF91suSS+u2k=", "2023-11-14T22:13:20Z", ["zendesk_vector_secret"], VectorTime, Tolerance));

    [Fact]
    public void Zendesk_SignatureWithSeparator_Rejected()
    {
        // The documented input is timestamp immediately followed by body; a "." between them must not verify.
        var secret = WebhookSigning.NewSecret("zd_");
        var ts = "2025-11-22T00:00:00Z";
        var withDot = WebhookSigning.ZendeskSignature(secret, ts + ".", _body);
        Assert.Equal(SignatureCheck.Mismatch, ZendeskSignatureVerifier.Verify(_body, withDot, ts, [secret], DateTimeOffset.Parse(ts, System.Globalization.CultureInfo.InvariantCulture), Tolerance));
    }

    [Theory]
    [InlineData(-300, SignatureCheck.Valid)]
    [InlineData(300, SignatureCheck.Valid)]
    [InlineData(-301, SignatureCheck.TimestampOutOfTolerance)]
    [InlineData(301, SignatureCheck.TimestampOutOfTolerance)]
    public void Zendesk_TimestampAtToleranceEdges(int offsetSeconds, SignatureCheck expected)
    {
        var secret = WebhookSigning.NewSecret("zd_");
        var ts = _now.AddSeconds(offsetSeconds).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var signature = WebhookSigning.ZendeskSignature(secret, ts, _body);
        Assert.Equal(expected, ZendeskSignatureVerifier.Verify(_body, signature, ts, [secret], _now, Tolerance));
    }

    [Fact]
    public void Zendesk_TamperedBodyOrTimestamp_Mismatch()
    {
        var secret = WebhookSigning.NewSecret("zd_");
        var ts = "2025-11-22T00:00:00Z";
        var now = DateTimeOffset.Parse(ts, System.Globalization.CultureInfo.InvariantCulture);
        var signature = WebhookSigning.ZendeskSignature(secret, ts, _body);
        var tampered = (byte[])_body.Clone();
        tampered[5] ^= 1;
        Assert.Equal(SignatureCheck.Mismatch, ZendeskSignatureVerifier.Verify(tampered, signature, ts, [secret], now, Tolerance));
        Assert.Equal(SignatureCheck.Mismatch, ZendeskSignatureVerifier.Verify(_body, signature, "2025-11-22T00:00:01Z", [secret], now, Tolerance));
    }

    [Fact]
    public void Zendesk_Rotation_SecondSecretValid()
    {
        var a = WebhookSigning.NewSecret("zd_");
        var b = WebhookSigning.NewSecret("zd_");
        var ts = "2025-11-22T00:00:00Z";
        Assert.Equal(SignatureCheck.Valid, ZendeskSignatureVerifier.Verify(_body, WebhookSigning.ZendeskSignature(b, ts, _body), ts, [a, b], DateTimeOffset.Parse(ts, System.Globalization.CultureInfo.InvariantCulture), Tolerance));
    }

    [Theory]
    [InlineData(null, "2025-11-22T00:00:00Z", SignatureCheck.MissingHeader)]
    [InlineData("qeSBFqUeB+0yiW969AOYM6ZMGiRelwkmF91suSS+u2k=", null, SignatureCheck.MissingHeader)]
    [InlineData("%%%", "2025-11-22T00:00:00Z", SignatureCheck.Malformed)]
    [InlineData("qeSBFqUeB+0yiW969AOYM6ZMGiRelwkmF91suSS+u2k=", "yesterday", SignatureCheck.Malformed)]
    public void Zendesk_MissingOrMalformedHeaders_Rejected(string? signature, string? timestamp, SignatureCheck expected) =>
        Assert.Equal(expected, ZendeskSignatureVerifier.Verify(_body, signature, timestamp, ["zd_x"], _now, Tolerance));
}
