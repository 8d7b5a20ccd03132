using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Storage;

public sealed class TableSharedKeyPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 7, 30, 5, TimeSpan.Zero);

    [Fact]
    public async Task Sign_PathStyleEntityRequest_MatchesDocumentedStringToSign()
    {
        var handler = new CapturingHandler();
        var pipeline = HttpPipelineBuilder.Build(
            new RestTableClientOptions { Transport = new HttpClientTransport(handler) },
            [],
            [new TableSharedKeyPolicy(AzuriteFixture.AccountName, AzuriteFixture.AccountKey, new FixedTimeProvider(Now))],
            new TableResponseClassifier());
        using var message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Put;
        message.Request.Uri.Reset(new Uri("http://127.0.0.1:10002/devstoreaccount1/accounts(PartitionKey='a%20b',RowKey='it''s')?timeout=30"));
        message.Request.Headers.SetValue("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes("{}"));

        await pipeline.SendAsync(message, CancellationToken.None);

        // Computed here from the documented layout, independently of the policy:
        // VERB \n Content-MD5 \n Content-Type \n Date \n /account + path (account twice for a path-style endpoint).
        var stringToSign = "PUT\n\napplication/json\nSun, 22 Nov 2026 07:30:05 GMT\n/devstoreaccount1/devstoreaccount1/accounts(PartitionKey='a%20b',RowKey='it''s')";
        using var hmac = new HMACSHA256(Convert.FromBase64String(AzuriteFixture.AccountKey));
        var expected = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(stringToSign)));
        var request = handler.Request!;
        Assert.Equal("Sun, 22 Nov 2026 07:30:05 GMT", request.Headers.GetValues("x-ms-date").Single());
        Assert.Equal("SharedKey devstoreaccount1:" + expected, request.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public void Sign_KnownVector_MatchesIndependentHmac()
    {
        // Fixed key and string: base64(HMAC-SHA256(base64decode("a2V5"), "GET\n\n\nTue, 01 Jan 2030 00:00:00 GMT\n/acct/Tables"))
        // computed with a separate HMAC instance below, and pinned so a change of encoding is caught too.
        var policy = new TableSharedKeyPolicy("acct", "a2V5", TimeProvider.System);

        var signature = policy.Sign("GET", null, null, "Tue, 01 Jan 2030 00:00:00 GMT", TableSharedKeyPolicy.CanonicalizedResource("acct", "/Tables", null));

        using var hmac = new HMACSHA256("key"u8.ToArray());
        var independent = Convert.ToBase64String(hmac.ComputeHash("GET\n\n\nTue, 01 Jan 2030 00:00:00 GMT\n/acct/Tables"u8.ToArray()));
        Assert.Equal(independent, signature);
    }

    [Theory]
    [InlineData("/devstoreaccount1/Tables", null, "/devstoreaccount1/devstoreaccount1/Tables")]
    [InlineData("/mytable()", "?$filter=x&comp=list", "/devstoreaccount1/mytable()?comp=list")]
    [InlineData("/$batch", "", "/devstoreaccount1/$batch")]
    [InlineData("", null, "/devstoreaccount1/")]
    public void CanonicalizedResource_IncludesAccountPathAndOnlyComp(string path, string? query, string expected)
    {
        Assert.Equal(expected, TableSharedKeyPolicy.CanonicalizedResource("devstoreaccount1", path, query));
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent));
        }
    }
}
