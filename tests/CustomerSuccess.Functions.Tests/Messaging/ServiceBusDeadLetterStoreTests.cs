using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Core;
using CustomerSuccess.Functions.Messaging;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace CustomerSuccess.Functions.Tests.Messaging;

/// <summary>The dead-letter REST calls against a loopback endpoint holding one dead letter.</summary>
public sealed class ServiceBusDeadLetterStoreTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly int _port;
    private readonly ServiceBusDeadLetterStore _store;
    private bool _locked;
    private bool _deleted;

    public ServiceBusDeadLetterStoreTests()
    {
        using (var socket = new TcpListener(IPAddress.Loopback, 0))
        {
            socket.Start();
            _port = ((IPEndPoint)socket.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
        var credential = new Mock<TokenCredential>();
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("t", DateTimeOffset.UtcNow.AddHours(1)));
        var publisher = new ServiceBusRestPublisher(
            new ServiceBusOptions { FullyQualifiedNamespace = "x.servicebus.windows.net", Endpoint = new Uri($"http://127.0.0.1:{_port}/"), MaxRetries = 0 },
            credential.Object,
            NullLogger<ServiceBusRestPublisher>.Instance);
        _store = new ServiceBusDeadLetterStore(publisher);
    }

    [Fact]
    public async Task List_PeekLocksThenUnlocks_ReturnsReasonAndProperties()
    {
        var letters = await _store.ListAsync("alerts-critical");

        var letter = Assert.Single(letters);
        Assert.Equal("acc-1-health-band-1-critical-1", letter.MessageId);
        Assert.Equal("MaxDeliveryCountExceeded", letter.Reason);
        Assert.Equal("critical", letter.ApplicationProperties["tier"]);
        Assert.Equal(10, letter.DeliveryCount);
        Assert.Equal("{\"a\":1}", letter.Body);
        Assert.Contains("PUT /alerts-critical/$DeadLetterQueue/messages/7/lock-1", _calls);
        Assert.False(_deleted);
    }

    [Fact]
    public async Task Redrive_SendsAgainUnderANewIdThenDeletesTheDeadLetter()
    {
        Assert.True(await _store.RedriveAsync("alerts-critical", "acc-1-health-band-1-critical-1"));

        var calls = _calls.ToList();
        var send = calls.FindIndex(c => c.StartsWith("POST /alerts-critical/messages ", StringComparison.Ordinal));
        var delete = calls.IndexOf("DELETE /alerts-critical/$DeadLetterQueue/messages/7/lock-1");
        Assert.True(send >= 0 && delete > send, string.Join(" | ", calls));
        Assert.Contains("acc-1-health-band-1-critical-1-redrive-7", calls[send], StringComparison.Ordinal);
        Assert.Contains("tier=\"critical\"", calls[send], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redrive_UnknownMessage_ReturnsFalseAndUnlocksWhatItSaw()
    {
        Assert.False(await _store.RedriveAsync("alerts-critical", "nope"));
        Assert.Contains("PUT /alerts-critical/$DeadLetterQueue/messages/7/lock-1", _calls);
        Assert.False(_deleted);
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var path = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath);
            var method = ctx.Request.HttpMethod;
            var response = ctx.Response;
            if (method == "POST" && path.EndsWith("/$DeadLetterQueue/messages/head", StringComparison.Ordinal))
            {
                _calls.Enqueue($"{method} {path}");
                if (_locked || _deleted)
                {
                    response.StatusCode = 204;
                }
                else
                {
                    _locked = true;
                    response.StatusCode = 201;
                    response.Headers["BrokerProperties"] = """{"MessageId":"acc-1-health-band-1-critical-1","DeliveryCount":10,"SequenceNumber":7,"LockToken":"lock-1","EnqueuedTimeUtc":"Mon, 02 Mar 2026 10:00:00 GMT"}""";
                    response.Headers["Location"] = $"http://127.0.0.1:{_port}/alerts-critical/$DeadLetterQueue/messages/7/lock-1";
                    response.Headers["tier"] = "\"critical\"";
                    response.Headers["DeadLetterReason"] = "\"MaxDeliveryCountExceeded\"";
                    var body = Encoding.UTF8.GetBytes("{\"a\":1}");
                    await response.OutputStream.WriteAsync(body);
                }
            }
            else if (method == "POST")
            {
                var broker = ctx.Request.Headers["BrokerProperties"];
                _calls.Enqueue($"{method} {path} {broker} tier={ctx.Request.Headers["tier"]}");
                response.StatusCode = 201;
            }
            else
            {
                _calls.Enqueue($"{method} {path}");
                _locked = false;
                _deleted |= method == "DELETE";
                response.StatusCode = 200;
            }

            response.Close();
        }
    }

    public void Dispose() => _listener.Close();
}
