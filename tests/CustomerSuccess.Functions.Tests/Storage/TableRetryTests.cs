using System.Net;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>
/// The app's retry settings (<see cref="StorageModule.Configure"/>, delays shortened) against a scripted loopback
/// server: which statuses are retried and what happens when they persist.
/// </summary>
public sealed class TableRetryTests
{
    private static AppTable Table(ScriptedServer server) => AppTablesTestKit.Table(server.ConnectionString, "accounts", options =>
    {
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
    });

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(429)]
    [InlineData(408)]
    public async Task Insert_TransientStatusTwiceThenSuccess_RetriesAndSucceeds(int status)
    {
        using var server = new ScriptedServer(status, status, 204);

        var result = await Table(server).AddAsync(new TableEntity("p", "r"));

        Assert.Equal(TableWriteStatus.Success, result.Status);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task Insert_503Persists_ThrowsUnavailableAfterFourTries()
    {
        using var server = new ScriptedServer(503, 503, 503, 503, 503, 503);

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => Table(server).AddAsync(new TableEntity("p", "r")));

        Assert.Equal(4, server.Requests);
    }

    [Fact]
    public async Task Insert_400_IsNotRetried_AndThrowsRequestFailed()
    {
        using var server = new ScriptedServer(400, 204);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => Table(server).AddAsync(new TableEntity("p", "r")));

        Assert.Equal(400, ex.Status);
        Assert.Equal(1, server.Requests);
    }

    private sealed class ScriptedServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly int[] _statuses;
        private int _requests;

        public ScriptedServer(params int[] statuses)
        {
            _statuses = statuses;
            var port = AzuriteFixture.FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            ConnectionString = $"AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1";
            _ = Task.Run(ServeAsync);
        }

        public string ConnectionString { get; }

        public int Requests => Volatile.Read(ref _requests);

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var n = Interlocked.Increment(ref _requests) - 1;
                context.Response.StatusCode = _statuses[Math.Min(n, _statuses.Length - 1)];
                if (context.Response.StatusCode == 204)
                {
                    context.Response.Headers["ETag"] = "W/\"datetime'2026-01-01T00%3A00%3A00Z'\"";
                }

                context.Response.Close();
            }
        }
    }
}
