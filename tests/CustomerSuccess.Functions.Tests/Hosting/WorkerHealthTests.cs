using System.Net;
using System.Text.Json;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary><c>GET /api/healthz</c> names the background workers, shows one failing as degraded while the app serves on, and recovers with it.</summary>
public sealed class WorkerHealthTests : IAsyncLifetime
{
    private readonly PersistentAzurite _azurite = new();
    private WebhookAppFactory _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _azurite.StartAsync();
        _factory = new WebhookAppFactory(new ManualTimeProvider(DateTimeOffset.UtcNow), _azurite.ConnectionString);
        _factory.Settings["Webhooks:SweepIntervalSeconds"] = "1";
        _client = _factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task Healthz_StorageGoneAndBack_SweepShownDegradedThenOkWhileTheAppServes()
    {
        var initially = await HealthAsync();
        Assert.Equal("ok", initially.GetProperty("status").GetString());
        var names = initially.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("name").GetString()).ToList();
        Assert.Contains("webhook-sweep", names);
        Assert.Contains("webhook-apply-1", names);
        Assert.Contains("webhook-apply-2", names);

        // Azurite's --location store saves every few seconds: wait so its restart still has the tables the app made.
        await Task.Delay(TimeSpan.FromSeconds(6));
        await _azurite.StopAsync();
        var degraded = await WaitForAsync(h => h.GetProperty("status").GetString() == "degraded", TimeSpan.FromSeconds(60));
        var sweep = degraded.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("name").GetString() == "webhook-sweep");
        Assert.Equal("Failing", sweep.GetProperty("state").GetString());
        Assert.True(sweep.GetProperty("degraded").GetBoolean());
        Assert.StartsWith("TableStorageUnavailableException", sweep.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        await _azurite.StartAsync();
        var recovered = await WaitForAsync(h => h.GetProperty("status").GetString() == "ok", TimeSpan.FromSeconds(60));
        Assert.All(recovered.GetProperty("workers").EnumerateArray(), w => Assert.Equal("Running", w.GetProperty("state").GetString()));
    }

    private async Task<JsonElement> HealthAsync()
    {
        using var response = await _client.GetAsync("/api/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var health = await HealthAsync();
            if (condition(health) || DateTime.UtcNow > deadline)
            {
                return health;
            }

            await Task.Delay(250);
        }
    }
}
