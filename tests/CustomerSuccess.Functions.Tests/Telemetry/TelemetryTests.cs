using System.Diagnostics;
using System.Diagnostics.Metrics;
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
using OpenTelemetry.Trace;

namespace CustomerSuccess.Functions.Tests.Telemetry;

/// <summary>
/// The app's meter and spans through the real pipeline on Azurite, read with the in-memory exporter; and readiness,
/// which names the check that fails. Measurements are read from this app instance's own meter factory
/// (<see cref="MetricCapture"/>), so other app instances in the test process do not add to them and counts are exact.
/// </summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    private readonly PersistentAzurite _azurite = new();
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly SpanSink _spans = new();
    private WebhookAppFactory _factory = null!;
    private HttpClient _client = null!;
    private MetricCapture _metrics = null!;

    public async Task InitializeAsync()
    {
        await _azurite.StartAsync();
        _factory = new WebhookAppFactory(_clock, _azurite.ConnectionString);
        _factory.Settings["Telemetry:Exporter"] = "none";
        _factory.Settings["Webhooks:SweepIntervalSeconds"] = "1";
        _factory.WithServices = services => services.AddOpenTelemetry()
            .WithTracing(t => t.AddAspNetCoreInstrumentation().AddAppSources().AddInMemoryExporter(_spans));
        _client = _factory.CreateClient();
        _metrics = new MetricCapture(_factory.Services.GetRequiredService<IMeterFactory>());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _metrics.Dispose();
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

        _factory.Services.GetRequiredService<TracerProvider>().ForceFlush();
        // Exactly this app's three deliveries, whatever else the test process runs.
        Assert.Equal("stripe/stored/none=1 stripe/duplicate/none=1 stripe/rejected/invalid_signature=1", _metrics.Describe("customer_success.webhook.events", "provider", "outcome", "reason"));
        Assert.Equal("{event}", _metrics.UnitOf("customer_success.webhook.events"));
        Assert.Contains(_spans.Snapshot(), s => s.DisplayName == "webhook received" && (string?)s.GetTagItem("webhook.outcome") == "Unauthorized" && s.Status == ActivityStatusCode.Error);
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

    [Fact]
    public void IngestionCredential_AadInTheAuthenticationString_ManagedIdentityItNames()
    {
        var credential = TelemetryModule.IngestionCredential(Config(("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD")));
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(credential);
    }

    [Fact]
    public void IngestionCredential_AadWithoutClientId_FallsBackToAzureClientIdThenDefault()
    {
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(TelemetryModule.IngestionCredential(Config(
            ("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "Authorization=AAD"), ("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555"))));
        Assert.IsType<Azure.Identity.DefaultAzureCredential>(TelemetryModule.IngestionCredential(Config(("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "authorization=aad"))));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ClientId=11111111-2222-3333-4444-555555555555")]
    public void IngestionCredential_NoAad_InstrumentationKeyAlone(string? authentication)
    {
        var values = authentication is null
            ? [("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555")]
            : new[] { ("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555"), ("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", authentication) };
        Assert.Null(TelemetryModule.IngestionCredential(Config(values)));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("false", false)]
    [InlineData("True", true)]
    public void LiveMetrics_OffUnlessSetTrue(string? value, bool expected) =>
        Assert.Equal(expected, TelemetryModule.LiveMetrics(value is null ? Config() : Config(("Telemetry:LiveMetrics", value))));

    [Fact]
    public void LiveMetrics_NotABoolean_StartFailsNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TelemetryModule.LiveMetrics(Config(("Telemetry:LiveMetrics", "sometimes"))));
        Assert.Contains("Telemetry__LiveMetrics", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

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
