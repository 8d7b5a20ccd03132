using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Telemetry;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CustomerSuccess.Functions.Tests.Telemetry;

/// <summary>
/// The app's meter and spans through the real pipeline on Azurite, read with the in-memory exporter; and readiness,
/// which names the check that fails. The meter listener sees every app instance in the test process, so counts are
/// asserted as "at least what this test caused" on tags only this test's requests produce.
/// </summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    private readonly PersistentAzurite _azurite = new();
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly List<Activity> _spans = [];
    private WebhookAppFactory _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _azurite.StartAsync();
        _factory = new WebhookAppFactory(_clock, _azurite.ConnectionString);
        _factory.Settings["Telemetry:Exporter"] = "none";
        _factory.Settings["Webhooks:SweepIntervalSeconds"] = "1";
        _factory.WithServices = services => services.AddOpenTelemetry()
            .WithMetrics(m => m.AddAppMeters().AddInMemoryExporter(_metrics))
            .WithTracing(t => t.AddAspNetCoreInstrumentation().AddAppSources().AddInMemoryExporter(_spans));
        _client = _factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task WebhookEvents_StoredDuplicateAndBadSignature_EachCountedWithItsOutcome()
    {
        var json = SubscriptionEvent("evt_otel_" + Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.OK, (await PostStripeAsync(json, _factory.StripeSecret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostStripeAsync(json, _factory.StripeSecret)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostStripeAsync(json, "whsec_not_the_secret")).StatusCode);

        Flush();
        Assert.True(Sum("customer_success.webhook.events", ("provider", "stripe"), ("outcome", "stored")) >= 1);
        Assert.True(Sum("customer_success.webhook.events", ("provider", "stripe"), ("outcome", "duplicate")) >= 1);
        Assert.True(Sum("customer_success.webhook.events", ("provider", "stripe"), ("outcome", "rejected"), ("reason", "invalid_signature")) >= 1);
        Assert.Equal("{event}", _metrics.Last(m => m.Name == "customer_success.webhook.events").Unit);
        Assert.Contains(_spans, s => s.DisplayName == "webhook received" && (string?)s.GetTagItem("webhook.outcome") == "Unauthorized" && s.Status == ActivityStatusCode.Error);
    }

    [Fact]
    public async Task Readyz_BackgroundWorkerStopped_503NamingIt()
    {
        var ready = await ReadyAsync();
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Contains("storage", ready.Body.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        var worker = _factory.Services.GetServices<IHostedService>().OfType<WebhookPageWorker>().Single();
        await worker.StopAsync(CancellationToken.None);

        var stopped = await ReadyAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.Status);
        Assert.Equal(["workers"], stopped.Body.GetProperty("failing").EnumerateArray().Select(f => f.GetString()!).ToArray());
        var workers = stopped.Body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "workers");
        Assert.Contains("webhook-sweep", workers.GetProperty("description").GetString(), StringComparison.Ordinal);

        // Liveness stays cheap and answers 200 all the same.
        using var live = await _client.GetAsync("/api/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Readyz_StorageDown_503NamingStorage()
    {
        await _azurite.StopAsync();
        var down = await ReadyAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
        Assert.Contains("storage", down.Body.GetProperty("failing").EnumerateArray().Select(f => f.GetString()));
    }

    [Theory]
    [InlineData("azuremonitor", TelemetryExporter.AzureMonitor)]
    [InlineData("Console", TelemetryExporter.Console)]
    [InlineData("none", TelemetryExporter.None)]
    public void ResolveExporter_KnownValue_Chosen(string value, TelemetryExporter expected) =>
        Assert.Equal(expected, TelemetryModule.ResolveExporter(Config(("Telemetry:Exporter", value))));

    [Fact]
    public void ResolveExporter_UnknownValue_StartFailsNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TelemetryModule.ResolveExporter(Config(("Telemetry:Exporter", "jaeger"))));
        Assert.Contains("Telemetry__Exporter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveExporter_Unset_AzureMonitorOnlyWithAConnectionString()
    {
        Assert.Equal(TelemetryExporter.None, TelemetryModule.ResolveExporter(Config()));
        Assert.Equal(TelemetryExporter.AzureMonitor, TelemetryModule.ResolveExporter(Config(("APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=00000000-0000-0000-0000-000000000000"))));
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private void Flush()
    {
        _factory.Services.GetRequiredService<MeterProvider>().ForceFlush();
        _factory.Services.GetRequiredService<TracerProvider>().ForceFlush();
    }

    private long Sum(string name, params (string Key, string Value)[] tags)
    {
        var latest = _metrics.LastOrDefault(m => m.Name == name);
        if (latest is null)
        {
            return 0;
        }

        long sum = 0;
        foreach (var point in latest.MetricPoints)
        {
            var pointTags = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in point.Tags)
            {
                pointTags[tag.Key] = tag.Value;
            }

            if (tags.All(t => pointTags.TryGetValue(t.Key, out var v) && (string?)v == t.Value))
            {
                sum += point.GetSumLong();
            }
        }

        return sum;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync()
    {
        using var response = await _client.GetAsync("/api/readyz");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static string SubscriptionEvent(string eventId)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Stripe/customer.subscription.updated.json")))!;
        node["id"] = eventId;
        return node.ToJsonString();
    }

    private async Task<HttpResponseMessage> PostStripeAsync(string json, string secret)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigning.StripeHeader(secret, _clock.GetUtcNow().ToUnixTimeSeconds(), body));
        return await _client.SendAsync(request);
    }
}
