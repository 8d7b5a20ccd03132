using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using Microsoft.Extensions.Logging;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>
/// Malformed HTTP framing, as raw bytes on a real socket to Kestrel on 127.0.0.1 (TestServer has no framing to get
/// wrong): every such request gets 400, from Kestrel or from the endpoint reading the body, with at most a Debug log
/// line, no stack trace, and nothing in the response but the status.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class HttpFramingTests : IAsyncLifetime
{
    private const string Key = "framing-test-key";
    private readonly CapturingLoggerProvider _logs = new();
    private readonly WebhookAppFactory _factory;
    private readonly int _port = AzuriteFixture.FreePort();

    public HttpFramingTests(AzuriteFixture azurite)
    {
        _factory = new WebhookAppFactory(new ManualTimeProvider(DateTimeOffset.UtcNow), azurite.ConnectionString);
        _factory.Settings["FunctionKeys:Default"] = Key;
        _factory.Settings["LocalRunner:Enabled"] = "false";
        _factory.WithLogging = logging => logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug);
        _factory.UseKestrel(_port);
    }

    public Task InitializeAsync()
    {
        _factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private const string JsonHeaders = "Host: 127.0.0.1\r\nContent-Type: application/json\r\n";

    public static TheoryData<string, string> Malformed => new()
    {
        // Chunk sizes that are not hex, or too big for any length.
        { "bad chunk size", "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n" },
        { "chunk size overflow", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n" },
        { "chunk without its CRLF", "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n" },

        // Both framings at once: the length is ignored, and what follows is not chunked.
        { "content-length with transfer-encoding", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}" },
        { "transfer-encoding not ending in chunked", "Transfer-Encoding: gzip\r\n\r\n{}" },
        { "two content-lengths", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}" },
        { "content-length not a number", "Content-Length: two\r\n\r\n{}" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedFraming_OnEveryKindOfRoute_400QuietlyWithoutStackTrace(string name, string framing)
    {
        foreach (var (path, auth) in new[] { ("/api/webhooks/stripe", string.Empty), ("/api/accounts/links", $"x-functions-key: {Key}\r\n"), ("/WebhookSweep", $"x-functions-key: {Key}\r\n") })
        {
            _logs.Clear();

            var response = await SendRawAsync($"POST {path} HTTP/1.1\r\n{JsonHeaders}{auth}{framing}");

            Assert.True(response.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), $"{name} on {path}: {FirstLine(response)} " + string.Join(" | ", _logs.Entries.Where(e => e.Exception is not null).Select(e => e.Exception!.ToString())));
            Assert.DoesNotContain("   at ", response, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", response, StringComparison.Ordinal);
            var loud = _logs.Entries.Where(e => e.Level > LogLevel.Debug && (e.Exception is not null || e.Level >= LogLevel.Warning)).ToList();
            Assert.True(loud.Count == 0, $"{name} on {path} logged: " + string.Join(" | ", loud.Select(e => $"{e.Level} {e.Category}: {e.Message}")));
        }
    }

    [Fact]
    public async Task BodyCutShort_NoErrorAndNoServerError()
    {
        _logs.Clear();

        // The client sends 8 of 100 bytes and closes its side: Kestrel sees the connection end, the read fails.
        var response = await SendRawAsync($"POST /api/webhooks/segment HTTP/1.1\r\n{JsonHeaders}Content-Length: 100\r\n\r\n{{\"type\":", halfClose: true);

        Assert.True(response.Length == 0 || response.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), FirstLine(response));
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private async Task<string> SendRawAsync(string request, bool halfClose = false)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        if (halfClose)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);

                // One response is all this sends for: stop once its headers and (short) body are in.
                var text = Encoding.ASCII.GetString(received.ToArray());
                if (text.Contains("\r\n\r\n", StringComparison.Ordinal) && (text.Contains("Content-Length: 0", StringComparison.Ordinal) || text.EndsWith('}') || text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal)))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    private static string FirstLine(string response) => response.Split("\r\n")[0];

    private sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception);

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<LogEntry> _entries = new();

        public IReadOnlyList<LogEntry> Entries => [.. _entries];

        public void Clear() => _entries.Clear();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception));
        }
    }
}
