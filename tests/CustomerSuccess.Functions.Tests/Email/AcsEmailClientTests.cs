using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CustomerSuccess.Functions.Email;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Email;

/// <summary>
/// Drives the real client against Kestrel on 127.0.0.1, where a fake ACS recomputes the access-key signature
/// the way Communication Services documents it and answers as scripted.
/// </summary>
public sealed class AcsEmailClientTests : IAsyncLifetime
{
    // A made-up 32-byte key for the fake service (not a real credential).
    private static readonly string AccessKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    private WebApplication? _app;
    private Uri _endpoint = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(async context =>
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var received = new ReceivedRequest(
                context.Request.Method,
                context.Features.Get<IHttpRequestFeature>()!.RawTarget,
                context.Request.Headers.Host.ToString(),
                context.Request.Headers["x-ms-date"].ToString(),
                context.Request.Headers["x-ms-content-sha256"].ToString(),
                context.Request.Headers.Authorization.ToString(),
                context.Request.Headers["Operation-Id"].ToString(),
                body.ToArray());
            _received.Enqueue(received);
            if (!SignatureIsValid(received))
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("""{"error":{"code":"Denied","message":"signature"}}""");
                return;
            }

            if (_script.TryDequeue(out var respond))
            {
                await respond(context);
            }
            else
            {
                context.Response.StatusCode = 500;
            }
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _endpoint = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task SendAsync_Accepted_SignsAsAcsDocumentsAndSendsDocumentedBody()
    {
        _script.Enqueue(Accepted);
        var client = CreateClient();

        var result = await client.SendAsync(Message("op-1"));

        Assert.Equal(EmailSendStatus.Accepted, result.Status);
        Assert.Equal("op-1", result.OperationId);
        var request = Assert.Single(_received);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/emails:send?api-version=2023-03-31", request.Target);
        Assert.Equal("op-1", request.OperationId);
        Assert.True(SignatureIsValid(request));
        Assert.Equal("Sun, 22 Nov 2026 08:00:00 GMT", request.Date);

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal("noreply@mail.example.com", root.GetProperty("senderAddress").GetString());
        Assert.Equal("Welcome", root.GetProperty("content").GetProperty("subject").GetString());
        Assert.Equal("Hello", root.GetProperty("content").GetProperty("plainText").GetString());
        Assert.Equal("<p>Hello</p>", root.GetProperty("content").GetProperty("html").GetString());
        Assert.Equal("ana@customer.example", root.GetProperty("recipients").GetProperty("to")[0].GetProperty("address").GetString());
        Assert.Equal("<https://u.example/x>", root.GetProperty("headers").GetProperty("List-Unsubscribe").GetString());
        Assert.True(root.GetProperty("userEngagementTrackingDisabled").GetBoolean());
    }

    [Fact]
    public async Task SendAsync_429WithRetryAfter_ReturnsThrottledWithoutRetrying()
    {
        _script.Enqueue(ctx =>
        {
            ctx.Response.StatusCode = 429;
            ctx.Response.Headers.RetryAfter = "37";
            return Task.CompletedTask;
        });
        var client = CreateClient();

        var result = await client.SendAsync(Message("op-2"));

        Assert.Equal(EmailSendStatus.Throttled, result.Status);
        Assert.Equal(TimeSpan.FromSeconds(37), result.RetryAfter);
        Assert.Single(_received);
    }

    [Fact]
    public async Task SendAsync_5xxThen202_RetriesWithSameOperationId()
    {
        _script.Enqueue(ctx =>
        {
            ctx.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        _script.Enqueue(Accepted);
        var client = CreateClient();

        var result = await client.SendAsync(Message("op-3"));

        Assert.Equal(EmailSendStatus.Accepted, result.Status);
        var attempts = _received.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.All(attempts, a => Assert.Equal("op-3", a.OperationId));
        Assert.All(attempts, a => Assert.True(SignatureIsValid(a)));
    }

    [Fact]
    public async Task SendAsync_5xxEveryTime_ThrowsSoTheQueueRedelivers()
    {
        var client = CreateClient();

        var error = await Assert.ThrowsAsync<EmailSendException>(() => client.SendAsync(Message("op-4")));

        Assert.Equal(500, error.Status);
        Assert.Equal(3, _received.Count);
    }

    [Fact]
    public async Task SendAsync_400_ReturnsRejectedWithErrorCode()
    {
        _script.Enqueue(async ctx =>
        {
            ctx.Response.StatusCode = 400;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"error":{"code":"InvalidRecipient","message":"bad address"}}""");
        });
        var client = CreateClient();

        var result = await client.SendAsync(Message("op-5"));

        Assert.Equal(EmailSendStatus.Rejected, result.Status);
        Assert.Equal("InvalidRecipient", result.Error);
    }

    [Fact]
    public async Task SendAsync_WrongKey_IsRefusedByTheVerifier()
    {
        var client = CreateClient(Convert.ToBase64String(new byte[32]));

        var result = await client.SendAsync(Message("op-6"));

        Assert.Equal(EmailSendStatus.Rejected, result.Status);
        Assert.Equal("Denied", result.Error);
    }

    [Fact]
    public async Task GetStatusAsync_ReadsOperationStatus()
    {
        _script.Enqueue(async ctx =>
        {
            ctx.Response.StatusCode = 200;
            await ctx.Response.WriteAsync("""{"id":"op-7","status":"Failed","error":{"code":"Bounced"}}""");
        });
        var client = CreateClient();

        var status = await client.GetStatusAsync("op-7");

        Assert.Equal("Failed", status.Status);
        Assert.Equal("Bounced", status.ErrorCode);
        var request = Assert.Single(_received);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/emails/operations/op-7?api-version=2023-03-31", request.Target);
    }

    private static async Task Accepted(HttpContext ctx)
    {
        ctx.Response.StatusCode = 202;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync("{\"id\":\"" + ctx.Request.Headers["Operation-Id"] + "\",\"status\":\"Running\"}");
    }

    private AcsEmailClient CreateClient(string? key = null)
    {
        var options = new EmailOptions
        {
            Endpoint = _endpoint,
            SenderAddress = "noreply@mail.example.com",
            AccessKey = key ?? AccessKey,
            MaxRetries = 2,
            RetryDelay = TimeSpan.FromMilliseconds(5),
        };
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        return EmailExtensions.CreateAcsClient(options, null, time, NullLogger<AcsEmailClient>.Instance);
    }

    private static EmailMessage Message(string operationId) => new()
    {
        OperationId = operationId,
        To = "ana@customer.example",
        Subject = "Welcome",
        PlainText = "Hello",
        Html = "<p>Hello</p>",
        Headers = new Dictionary<string, string> { ["List-Unsubscribe"] = "<https://u.example/x>" },
        Category = "test",
    };

    /// <summary>The verifier side, written from the documentation rather than from the client's code.</summary>
    private static bool SignatureIsValid(ReceivedRequest r)
    {
        var contentHash = Convert.ToBase64String(SHA256.HashData(r.Body));
        if (contentHash != r.ContentHash)
        {
            return false;
        }

        var stringToSign = $"{r.Method}\n{r.Target}\n{r.Date};{r.Host};{contentHash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(AccessKey), Encoding.UTF8.GetBytes(stringToSign)));
        return r.Authorization == "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + signature;
    }

    private sealed record ReceivedRequest(string Method, string Target, string Host, string Date, string ContentHash, string Authorization, string OperationId, byte[] Body);
}
