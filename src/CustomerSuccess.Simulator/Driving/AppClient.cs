using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Simulator.Driving;

internal sealed class ClockNotSimulatedException(string message) : Exception(message);

/// <summary>
/// The simulator's only way into the app: HTTP, as the providers (webhooks, raw bytes, their headers) and as
/// people and scripts (function-key APIs, the standalone runner's /local surface). Nothing else.
/// </summary>
internal sealed class AppClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _functionKey;

    public AppClient(Uri app, string functionKey, int concurrency)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(2, concurrency + 2), PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        _http = new HttpClient(handler) { BaseAddress = app, Timeout = TimeSpan.FromSeconds(120) };
        _functionKey = functionKey;
    }

    public static string WebhookPath(Provider provider) => provider switch
    {
        Provider.Stripe => "/api/webhooks/stripe",
        Provider.Segment => "/api/webhooks/segment",
        _ => "/api/webhooks/zendesk",
    };

    public async Task<bool> WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri("/api/healthz", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        return false;
    }

    /// <summary>Sends one webhook exactly as the provider would: the raw bytes, JSON content type, the signature headers.</summary>
    public async Task<int> PostWebhookAsync(Provider provider, byte[] body, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(WebhookPath(provider), UriKind.Relative));
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = provider == Provider.Stripe ? "utf-8" : null };
        request.Headers.UserAgent.ParseAdd(provider switch
        {
            Provider.Stripe => "Stripe/1.0",
            Provider.Segment => "Segment.io/1.0",
            _ => "Zendesk Webhook",
        });
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    public async Task<RunnerStatus> GetRunnerAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAdminAsync(HttpMethod.Get, "/local/runner", null, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = doc.RootElement;
        var timers = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (root.TryGetProperty("timers", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in t.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String && p.Value.TryGetDateTimeOffset(out var due))
                {
                    timers[p.Name] = due;
                }
            }
        }

        var deadLettered = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("queues", out var q) && q.ValueKind == JsonValueKind.Array)
        {
            foreach (var queue in q.EnumerateArray())
            {
                if (queue.TryGetProperty("deadLettered", out var d) && d.TryGetInt32(out var n) && n > 0
                    && queue.TryGetProperty("queue", out var name) && name.GetString() is { } queueName)
                {
                    deadLettered[queueName] = n;
                }
            }
        }

        return new RunnerStatus(root.GetProperty("utcNow").GetDateTimeOffset(), root.GetProperty("idle").GetBoolean(), timers, deadLettered);
    }

    /// <summary>Moves the app's simulated clock to <paramref name="utcNow"/> (it never goes back).</summary>
    public async Task<DateTimeOffset> SetClockAsync(DateTimeOffset utcNow, CancellationToken cancellationToken)
    {
        using var response = await SendAdminAsync(HttpMethod.Post, "/local/clock", JsonContent.Create(new { utcNow }), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ClockNotSimulatedException("The app's clock is not simulated: start it with Clock__Mode=Simulated (scripts/run-local.sh does).");
        }

        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return doc.RootElement.GetProperty("utcNow").GetDateTimeOffset();
    }

    /// <summary>
    /// Waits until the app has settled at <paramref name="now"/>: no queue work deliverable or in flight, no timer
    /// running, and every timer's next occurrence after now (so a tick due at this step has been taken, not just not yet noticed).
    /// </summary>
    public async Task<RunnerStatus> WaitUntilIdleAsync(DateTimeOffset now, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var settledReads = 0;
        while (true)
        {
            var status = await GetRunnerAsync(cancellationToken);
            var timersCaughtUp = status.Timers.Values.All(due => due > now);
            settledReads = status.Idle && timersCaughtUp ? settledReads + 1 : 0;

            // Two consecutive settled reads: a timer that just finished may have enqueued work a moment later.
            if (settledReads >= 2 || DateTime.UtcNow > deadline)
            {
                return status with { TimedOut = settledReads < 2 };
            }

            await Task.Delay(settledReads > 0 ? 10 : 20, cancellationToken);
        }
    }

    /// <summary>GET of a function-key API; null when the API is absent (404) or fails (the caller reports what it could not read).</summary>
    public async Task<JsonDocument?> GetJsonAsync(string path, CancellationToken cancellationToken) => (await GetJsonWithStatusAsync(path, cancellationToken)).Document;

    /// <summary>GET of a function-key API with the status it answered (0: no answer or not JSON); the document only on success.</summary>
    public async Task<(int Status, JsonDocument? Document)> GetJsonWithStatusAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAdminAsync(HttpMethod.Get, path, null, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return ((int)response.StatusCode, null);
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return ((int)response.StatusCode, text.Length == 0 ? null : JsonDocument.Parse(text));
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (0, null);
        }
    }

    public async Task<int> PostJsonAsync(string path, object body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAdminAsync(HttpMethod.Post, path, JsonContent.Create(body), cancellationToken);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private async Task<HttpResponseMessage> SendAdminAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        request.Headers.Add("x-functions-key", _functionKey);
        return await _http.SendAsync(request, cancellationToken);
    }

    public void Dispose() => _http.Dispose();
}

internal sealed record RunnerStatus(DateTimeOffset UtcNow, bool Idle, IReadOnlyDictionary<string, DateTimeOffset> Timers, IReadOnlyDictionary<string, int> DeadLetteredByQueue, bool TimedOut = false)
{
    public int DeadLettered => DeadLetteredByQueue.Values.Sum();
}
