using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.LocalRunner;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Telemetry;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using OpenTelemetry.Trace;

namespace CustomerSuccess.Functions.Tests.Telemetry;

/// <summary>
/// One webhook's trace followed through the real app on Azurite, read with the in-memory exporter: applied to its
/// account, scored, the alert it causes raised by the dispatcher, and across the alerts queue (the local runner's
/// in-process queue, delivered by its pump through the invocation contract) to the notification. And the W3C context
/// in queue messages, as the Azure SDK and the Functions host read it. The app's activity sources are process-wide, so
/// the tracer here would also record the spans of other tests' app instances: these tests run alone.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TraceContextTests : IAsyncLifetime
{
    private const string FunctionKey = "test-function-key";

    private readonly PersistentAzurite _azurite = new();
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly SpanSink _spans = new();
    private readonly Mock<IEmailSender> _email = new();
    private WebhookAppFactory _factory = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>())).ReturnsAsync(new EmailSendResult(EmailSendStatus.Accepted));
        await _azurite.StartAsync();
        _factory = new WebhookAppFactory(_clock, _azurite.ConnectionString);
        _factory.Settings["Telemetry:Exporter"] = "none";
        _factory.Settings["Health:ShardCount"] = "2";
        _factory.WithServices = services =>
        {
            services.AddOpenTelemetry().WithTracing(t => t.AddAspNetCoreInstrumentation().AddAppSources().AddInMemoryExporter(_spans));
            services.AddSingleton(_email.Object);

            // The runner's pump posts invocations to the app's own address; under the test server, to the test server.
            services.AddSingleton<IFunctionInvoker>(sp => new TestServerInvoker(sp));
        };
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Add("x-functions-key", FunctionKey);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task PaymentFailedWebhook_TraceReachesTheAlertItCausedAcrossTheAlertsQueue()
    {
        var account = "acct-trace-" + Guid.NewGuid().ToString("N")[..8];
        var customer = "cus_" + Guid.NewGuid().ToString("N")[..12];
        using (var link = await _client.PostAsJsonAsync(new Uri("/api/accounts/links", UriKind.Relative), new { accountId = account, kind = "stripe-customer", externalId = customer }))
        {
            link.EnsureSuccessStatusCode();
        }

        Assert.Equal(HttpStatusCode.OK, (await PostStripeAsync(PaymentFailed(customer))).StatusCode);
        await Eventually.WaitUntilAsync(() => Spans().Any(s => s.DisplayName == "account events applied"));

        // The hourly recompute (timer, then one message per shard), then the dispatcher's run (timer).
        using (var tick = await _client.PostAsJsonAsync(new Uri("/HealthRecomputeTimer", UriKind.Relative), TimerInvocation()))
        {
            tick.EnsureSuccessStatusCode();
        }

        await Eventually.WaitUntilAsync(() => Spans().Count(s => s.DisplayName == "process HealthRecomputeShard") == 2);
        using (var dispatch = await _client.PostAsJsonAsync(new Uri("/AlertsDispatch", UriKind.Relative), TimerInvocation()))
        {
            dispatch.EnsureSuccessStatusCode();
        }

        var bus = _factory.Services.GetRequiredService<LocalServiceBus>();
        await Eventually.WaitUntilAsync(() => Spans().Any(s => s.DisplayName == "process AlertsCritical") && bus.IsIdle());

        var spans = Spans();
        var webhook = spans.Single(s => s.DisplayName == "webhook received");
        var applied = spans.Single(s => s.DisplayName == "account events applied");
        var evaluated = spans.Single(s => s.DisplayName == "alert rules evaluated");
        var processed = spans.Where(s => s.DisplayName == "process AlertsCritical").ToList();

        // One trace from the webhook to the notification: applied under the webhook, the rules under the account's
        // change, the queue's consumer under the span that raised the alert.
        Assert.Equal(webhook.TraceId, applied.TraceId);
        Assert.Equal(webhook.SpanId, applied.ParentSpanId);
        Assert.Equal(webhook.TraceId, evaluated.TraceId);
        Assert.Equal(applied.SpanId, evaluated.ParentSpanId);
        Assert.All(processed, p =>
        {
            Assert.Equal(webhook.TraceId, p.TraceId);
            Assert.Equal(evaluated.SpanId, p.ParentSpanId);
            Assert.Equal(ActivityKind.Consumer, p.Kind);
            Assert.NotEqual(ActivityStatusCode.Error, p.Status);
            Assert.Contains(p.Links, l => l.Context.TraceId != webhook.TraceId);
        });

        // Each continuation links the span it ran in (the page, the dispatcher's run, the invocation request).
        Assert.Contains(evaluated.Links, l => l.Context.TraceId != webhook.TraceId);
        _email.Verify(e => e.SendAsync(It.Is<EmailMessage>(m => m.Category == "alert/critical"), It.IsAny<CancellationToken>()), Times.Exactly(processed.Count));

        // The shard messages carried the timer invocation's context across the recompute queue the same way.
        var timer = spans.Single(s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("url.path") == "/HealthRecomputeTimer");
        Assert.All(spans.Where(s => s.DisplayName == "process HealthRecomputeShard"), s => Assert.Equal(timer.TraceId, s.TraceId));
    }

    [Fact]
    public async Task QueueInvocation_HostPassesOnlyDiagnosticId_ConsumerSpanContinuesItAndRecordsTheFailure()
    {
        // What the Functions host posts for a message sent by a producer on the Azure SDK alone: the W3C context in the
        // Diagnostic-Id application property. The body is not an alert notification, so the handler answers 400.
        const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string ProducerSpan = "00f067aa0ba902b7";
        var invocation = new
        {
            Data = new { message = "{}" },
            Metadata = new { MessageId = "m-trace", DeliveryCount = 2, ApplicationProperties = new Dictionary<string, string> { [TraceContext.DiagnosticId] = $"00-{TraceId}-{ProducerSpan}-01" } },
        };

        // PascalCase member names, as the host writes them.
        using var response = await _client.PostAsync(new Uri("/AlertsCritical", UriKind.Relative), JsonContent.Create(invocation, options: InvocationJson.Options));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var consumer = Spans().Single(s => s.DisplayName == "process AlertsCritical");
        Assert.Equal((TraceId, ProducerSpan), (consumer.TraceId.ToHexString(), consumer.ParentSpanId.ToHexString()));
        Assert.Equal((ActivityKind.Consumer, ActivityStatusCode.Error), (consumer.Kind, consumer.Status));
        Assert.Equal(("m-trace", 2), ((string?)consumer.GetTagItem("messaging.message.id"), (int?)consumer.GetTagItem("messaging.servicebus.message.delivery_count")));
        _email.Verify(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public void Stamp_InsideASpan_TraceparentAndDiagnosticIdAreTheSpan()
    {
        using var listener = RecordEverything();
        using var span = AppTracing.Source.StartActivity("send")!;

        var stamped = TraceContext.Stamp(new Dictionary<string, string> { ["tier"] = "Critical" });

        Assert.Equal(span.Id, stamped[TraceContext.TraceParent]);
        Assert.Equal(span.Id, stamped[TraceContext.DiagnosticId]);
        Assert.Equal("Critical", stamped["tier"]);
    }

    [Fact]
    public void Stamp_MessageCarriesItsCause_Kept()
    {
        using var listener = RecordEverything();
        using var span = AppTracing.Source.StartActivity("send")!;
        const string cause = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        var stamped = TraceContext.Stamp(new Dictionary<string, string>(), cause);

        Assert.Equal(cause, stamped[TraceContext.TraceParent]);
        Assert.Equal(cause, stamped[TraceContext.DiagnosticId]);
        Assert.Same(stamped, TraceContext.Stamp(stamped));
    }

    [Fact]
    public void Stamp_NoSpanRecorded_PropertiesUnchanged()
    {
        var properties = new Dictionary<string, string> { ["tier"] = "Watch" };
        Assert.Same(properties, TraceContext.Stamp(properties));
    }

    [Fact]
    public void Extract_OnlyDiagnosticId_ParentFromIt()
    {
        // What a producer on the Azure SDK alone sends: the W3C traceparent in Diagnostic-Id.
        var context = TraceContext.Extract(new Dictionary<string, string> { [TraceContext.DiagnosticId] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });

        Assert.NotNull(context);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.Value.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.Value.SpanId.ToHexString());
    }

    [Fact]
    public void Extract_HierarchicalRequestId_Ignored() =>
        Assert.Null(TraceContext.Extract(new Dictionary<string, string> { [TraceContext.DiagnosticId] = "|abc.1." }));

    [Fact]
    public void ToServiceBusMessage_InsideASpan_CarriesTheW3CContext()
    {
        using var listener = RecordEverything();
        using var span = AppTracing.Source.StartActivity("send")!;

        var message = ServiceBusMessagePublisher.ToServiceBusMessage(new OutgoingMessage("m-1", "{}"));

        Assert.Equal(span.Id, message.ApplicationProperties[TraceContext.TraceParent]);
        Assert.Equal(span.Id, message.ApplicationProperties[TraceContext.DiagnosticId]);
    }

    private static ActivityListener RecordEverything() => Listen(ActivitySamplingResult.AllDataAndRecorded);

    internal static ActivityListener Listen(ActivitySamplingResult sampling)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AppTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static object TimerInvocation() => new
    {
        Data = new { timer = new { Schedule = new { AdjustForDST = false }, IsPastDue = false } },
        Metadata = new { },
    };

    private IReadOnlyList<Activity> Spans() => _spans.Snapshot();

    private string PaymentFailed(string customer)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Stripe/invoice.payment_failed.json")))!;
        node["id"] = "evt_trace_" + Guid.NewGuid().ToString("N");
        node["created"] = _clock.GetUtcNow().ToUnixTimeSeconds();
        node["data"]!["object"]!["customer"] = customer;
        return node.ToJsonString();
    }

    private Task<HttpResponseMessage> PostStripeAsync(string json) =>
        new SignedWebhooks(_client, _factory, _clock).PostAsync(WebhookProvider.Stripe, json);

    /// <summary>The runner's invoker for the test server: the same POST of the invocation payload, with the function key.</summary>
    private sealed class TestServerInvoker(IServiceProvider services) : IFunctionInvoker
    {
        public async Task<InvocationOutcome> InvokeAsync(string functionName, CustomerSuccess.Functions.Hosting.InvocationRequest request, CancellationToken cancellationToken)
        {
            using var client = ((TestServer)services.GetRequiredService<IServer>()).CreateClient();
            using var message = new HttpRequestMessage(HttpMethod.Post, "/" + functionName) { Content = JsonContent.Create(request, options: InvocationJson.Options) };
            message.Headers.Add("x-functions-key", FunctionKey);
            using var response = await client.SendAsync(message, cancellationToken);
            return new InvocationOutcome(response.IsSuccessStatusCode, (int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
    }
}

/// <summary>
/// What is stored of a trace when its span is sampled or not, with no tracer provider in the process: the class above
/// keeps one (always sampling) for all its tests.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TraceContextSamplingTests
{
    private static ActivityListener Listen(ActivitySamplingResult sampling) => TraceContextTests.Listen(sampling);

    private static ActivityListener RecordEverything() => Listen(ActivitySamplingResult.AllDataAndRecorded);

    [Theory]
    [InlineData(ActivitySamplingResult.PropagationData)] // what a sampler's "drop" gives: the activity exists, unrecorded
    [InlineData(ActivitySamplingResult.AllData)]
    public void Sampled_SpanNotSampled_NothingToStore_ButMessagesStillCarryIt(ActivitySamplingResult sampling)
    {
        using var listener = Listen(sampling);
        using var span = AppTracing.Source.StartActivity("webhook received")!;

        Assert.NotNull(span);
        Assert.Null(TraceContext.Sampled());
        Assert.Equal(span.Id, TraceContext.Stamp(new Dictionary<string, string>())[TraceContext.TraceParent]); // "-00": the consumer drops it too
    }

    [Fact]
    public void Sampled_SpanSampled_ItsTraceparent()
    {
        using var listener = RecordEverything();
        using var span = AppTracing.Source.StartActivity("webhook received")!;

        Assert.Equal(span.Id, TraceContext.Sampled());
        Assert.EndsWith("-01", TraceContext.Sampled(), StringComparison.Ordinal);
    }

}

/// <summary>Tests that listen to the app's activity sources, which every app instance in the test process shares.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing (alone)";
}
