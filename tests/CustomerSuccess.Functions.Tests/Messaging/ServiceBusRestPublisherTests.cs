using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Core;
using CustomerSuccess.Functions.Messaging;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace CustomerSuccess.Functions.Tests.Messaging;

/// <summary>Sends through the real pipeline to a loopback HTTP endpoint standing in for the namespace.</summary>
public sealed class ServiceBusRestPublisherTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<int> _statuses = new();
    private readonly Mock<TokenCredential> _credential = new();
    private readonly ServiceBusRestPublisher _publisher;
    private readonly CancellationTokenSource _stop = new();

    public ServiceBusRestPublisherTests()
    {
        var port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
        _credential
            .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("test-token", DateTimeOffset.UtcNow.AddHours(1)));
        var options = new ServiceBusOptions { FullyQualifiedNamespace = "cs-test.servicebus.windows.net", Endpoint = new Uri($"http://127.0.0.1:{port}/"), MaxRetries = 2 };
        var clientOptions = new ServiceBusRestClientOptions();
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(1);
        clientOptions.Retry.MaxDelay = TimeSpan.FromMilliseconds(5);
        _publisher = new ServiceBusRestPublisher(options, _credential.Object, NullLogger<ServiceBusRestPublisher>.Instance, clientOptions);
    }

    private sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    private static OutgoingMessage Message() => new("acc-1-health-band-1-critical-2", """{"alertId":"acc-1-health-band-1"}""")
    {
        ApplicationProperties = new Dictionary<string, string>
        {
            ["tier"] = "critical",
            ["accountId"] = "acc-1",
            ["ruleId"] = "health-band",
            ["dueBy"] = "2026-03-03T10:00:00.0000000Z",
            ["note"] = "say \"hi\" café",
        },
        ScheduledEnqueueTime = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public async Task SendAsync_Accepted_SendsTheDocumentedRestRequest()
    {
        _statuses.Enqueue(201);

        await _publisher.SendAsync("alerts-critical", Message());

        var request = Assert.Single(_requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/alerts-critical/messages", request.Path);
        Assert.Equal("Bearer test-token", request.Headers["Authorization"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("""{"MessageId":"acc-1-health-band-1-critical-2","ScheduledEnqueueTimeUtc":"Mon, 02 Mar 2026 10:00:00 GMT"}""", request.Headers["BrokerProperties"]);
        Assert.Equal("\"critical\"", request.Headers["tier"]);
        Assert.Equal("\"acc-1\"", request.Headers["accountId"]);
        Assert.Equal("\"health-band\"", request.Headers["ruleId"]);
        Assert.Equal("\"2026-03-03T10:00:00.0000000Z\"", request.Headers["dueBy"]);
        Assert.Equal("\"say \\\"hi\\\" caf\\u00e9\"", request.Headers["note"]);
        Assert.Equal("""{"alertId":"acc-1-health-band-1"}""", request.Body);
        _credential.Verify(c => c.GetTokenAsync(It.Is<TokenRequestContext>(t => t.Scopes.Single() == "https://servicebus.azure.net/.default"), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task SendAsync_ServerBusyThenAccepted_RetriesAndSucceeds()
    {
        _statuses.Enqueue(503);
        _statuses.Enqueue(201);

        await _publisher.SendAsync("alerts-watch", Message());

        Assert.Equal(2, _requests.Count);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(410)]
    [InlineData(503)]
    public async Task SendAsync_NotAccepted_ThrowsMessagePublishException(int status)
    {
        for (var i = 0; i < 5; i++)
        {
            _statuses.Enqueue(status);
        }

        var ex = await Assert.ThrowsAsync<MessagePublishException>(() => _publisher.SendAsync("alerts-warning", Message()));
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TokenReused_AcrossSends()
    {
        _statuses.Enqueue(201);
        _statuses.Enqueue(201);

        await _publisher.SendAsync("alerts-watch", Message());
        await _publisher.SendAsync("alerts-watch", Message() with { MessageId = "other" });

        _credential.Verify(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            _requests.Enqueue(new RecordedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body));
            context.Response.StatusCode = _statuses.TryDequeue(out var status) ? status : 500;
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }
}
