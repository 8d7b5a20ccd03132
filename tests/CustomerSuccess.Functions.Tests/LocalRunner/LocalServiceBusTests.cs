using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.LocalRunner;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace CustomerSuccess.Functions.Tests.LocalRunner;

public sealed class LocalServiceBusTests
{
    private const string ShardFunctionJson = """
        {"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"message","queueName":"health-recompute","connection":"ServiceBusConnection"}]}
        """;

    private readonly FakeTimeProvider _time = new();

    private LocalServiceBus Bus(int maxDeliveryCount = 3) =>
        new(_time, new FixedOptions<LocalQueuesOptions>(new LocalQueuesOptions { MaxDeliveryCount = maxDeliveryCount }));

    [Fact]
    public void DeadLetterGauge_MessageDeadLetteredThenRedriven_CountsPerQueueFollow()
    {
        using var metrics = new MetricCapture();
        var bus = new LocalServiceBus(_time, new FixedOptions<LocalQueuesOptions>(new LocalQueuesOptions { MaxDeliveryCount = 1 }), metrics.Metrics);
        const string Gauge = "customer_success.queue.dead_letters";
        Assert.Equal(0, metrics.Observe(Gauge, ("queue", QueueNames.AlertsCritical)));

        bus.Enqueue(QueueNames.AlertsCritical, new OutgoingMessage("m1", "{}"));
        bus.Abandon(bus.TryReceive(QueueNames.AlertsCritical)!, "HTTP 500");

        Assert.Equal(1, metrics.Observe(Gauge, ("queue", QueueNames.AlertsCritical)));
        Assert.Equal(0, metrics.Observe(Gauge, ("queue", QueueNames.AlertsWatch)));
        Assert.Equal("{message}", metrics.UnitOf(Gauge));
        Assert.True(bus.Redrive(QueueNames.AlertsCritical, "m1"));
        Assert.Equal(0, metrics.Observe(Gauge, ("queue", QueueNames.AlertsCritical)));
    }

    [Fact]
    public void Enqueue_SameMessageIdWithinWindow_IsDroppedAsDuplicate()
    {
        var bus = Bus();

        Assert.True(bus.Enqueue("q", new OutgoingMessage("m1", "{}")));
        Assert.False(bus.Enqueue("q", new OutgoingMessage("m1", "{}")));
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.True(bus.Enqueue("q", new OutgoingMessage("m1", "{}")));
    }

    [Fact]
    public void TryReceive_ScheduledMessage_IsInvisibleUntilItsTime()
    {
        var bus = Bus();
        bus.Enqueue("q", new OutgoingMessage("m1", "{}") { ScheduledEnqueueTime = _time.GetUtcNow().AddHours(1) });

        Assert.Null(bus.TryReceive("q"));
        Assert.True(bus.IsIdle());
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal("m1", bus.TryReceive("q")!.Message.MessageId);
    }

    [Fact]
    public void Abandon_UntilMaxDeliveryCount_RedeliversWithRisingCountThenDeadLetters()
    {
        var bus = Bus(maxDeliveryCount: 3);
        bus.Enqueue("q", new OutgoingMessage("m1", "body"));

        var counts = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var m = bus.TryReceive("q")!;
            counts.Add(m.DeliveryCount);
            bus.Abandon(m, $"HTTP 500: attempt {i + 1}");
        }

        Assert.Equal([1, 2, 3], counts);
        Assert.Null(bus.TryReceive("q"));
        var dead = Assert.Single(bus.DeadLetters("q"));
        Assert.Equal("MaxDeliveryCountExceeded", dead.DeadLetterReason);
        Assert.Equal("HTTP 500: attempt 3", dead.DeadLetterErrorDescription);
        Assert.Equal(3, dead.DeliveryCount);
    }

    [Fact]
    public void Redrive_DeadLetter_ComesBackWithAFreshDeliveryCount()
    {
        var bus = Bus(maxDeliveryCount: 1);
        bus.Enqueue("q", new OutgoingMessage("m1", "body"));
        bus.Abandon(bus.TryReceive("q")!, "boom");

        Assert.True(bus.Redrive("q", "m1"));

        Assert.Empty(bus.DeadLetters("q"));
        Assert.Equal(1, bus.TryReceive("q")!.DeliveryCount);
    }

    [Fact]
    public async Task Pump_HandlerFailsTwice_SucceedsOnThirdDeliveryWithHostShapedPayload()
    {
        var bus = Bus(maxDeliveryCount: 5);
        var requests = new List<InvocationRequest>();
        var invoker = new Mock<IFunctionInvoker>();
        invoker.Setup(i => i.InvokeAsync("HealthRecomputeShard", It.IsAny<InvocationRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string _, InvocationRequest r, CancellationToken _) =>
            {
                lock (requests)
                {
                    requests.Add(r);
                    return requests.Count < 3 ? new InvocationOutcome(false, 500, "transient") : new InvocationOutcome(true, 200, "{}");
                }
            });
        using var pump = Pump(bus, invoker.Object);

        await pump.StartAsync(CancellationToken.None);
        bus.Enqueue("health-recompute", new OutgoingMessage("run1-0", """{"shard":0}""") { ApplicationProperties = new Dictionary<string, string> { ["runId"] = "run1" } });
        await Eventually.WaitUntilAsync(() => bus.Status().Single().Completed == 1);
        await pump.StopAsync(CancellationToken.None);

        Assert.Equal(3, requests.Count);
        var deliveries = requests.Select(r => ServiceBusDelivery.From(r, "message")).ToList();
        Assert.Equal([1, 2, 3], deliveries.Select(d => d.DeliveryCount));
        Assert.All(deliveries, d => Assert.Equal("""{"shard":0}""", d.Body));
        Assert.All(deliveries, d => Assert.Equal("run1-0", d.MessageId));
        Assert.All(deliveries, d => Assert.Equal("run1", d.ApplicationProperties["runId"]));
        Assert.Empty(bus.DeadLetters());
    }

    [Fact]
    public async Task Pump_HandlerAlwaysFails_EndsInDeadLettersWithTheReason()
    {
        var bus = Bus(maxDeliveryCount: 4);
        var invoker = new Mock<IFunctionInvoker>();
        invoker.Setup(i => i.InvokeAsync(It.IsAny<string>(), It.IsAny<InvocationRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new InvocationOutcome(false, 500, "shard 0 failed: storage unavailable"));
        using var pump = Pump(bus, invoker.Object);

        await pump.StartAsync(CancellationToken.None);
        bus.Enqueue("health-recompute", new OutgoingMessage("run1-0", "{}"));
        await Eventually.WaitUntilAsync(() => bus.DeadLetters().Count == 1);
        await pump.StopAsync(CancellationToken.None);

        invoker.Verify(i => i.InvokeAsync("HealthRecomputeShard", It.IsAny<InvocationRequest>(), It.IsAny<CancellationToken>()), Times.Exactly(4));
        var dead = bus.DeadLetters().Single();
        Assert.Equal("MaxDeliveryCountExceeded", dead.DeadLetterReason);
        Assert.Equal("HTTP 500: shard 0 failed: storage unavailable", dead.DeadLetterErrorDescription);
    }

    private ServiceBusTriggerPump Pump(LocalServiceBus bus, IFunctionInvoker invoker) => new(
        bus,
        new FunctionManifest([FunctionDefinition.Parse("HealthRecomputeShard", ShardFunctionJson)]),
        invoker,
        new ConfigurationBuilder().Build(),
        _time,
        Options.Create(new LocalRunnerOptions { PollInterval = TimeSpan.FromMilliseconds(20) }),
        new WorkerLiveness(TimeProvider.System),
        NullLogger<ServiceBusTriggerPump>.Instance);
}
