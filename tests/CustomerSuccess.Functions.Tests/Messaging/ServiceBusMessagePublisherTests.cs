using Azure.Messaging.ServiceBus;
using CustomerSuccess.Functions.Messaging;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace CustomerSuccess.Functions.Tests.Messaging;

/// <summary>Sends through a Moq'd <see cref="ServiceBusSender"/> (the SDK's own mocking surface), batches from <see cref="ServiceBusModelFactory"/>.</summary>
public sealed class ServiceBusMessagePublisherTests
{
    private readonly Mock<ServiceBusClient> _client = new();
    private readonly Mock<ServiceBusSender> _sender = new();
    private readonly ServiceBusMessagePublisher _publisher;

    public ServiceBusMessagePublisherTests()
    {
        _client.Setup(c => c.CreateSender(It.IsAny<string>())).Returns(_sender.Object);
        _publisher = new ServiceBusMessagePublisher(new ServiceBusQueueSenders(_client.Object), NullLogger<ServiceBusMessagePublisher>.Instance);
    }

    private static OutgoingMessage Message(string id = "acc-1-health-band-1-critical-2") => new(id, """{"alertId":"acc-1-health-band-1"}""")
    {
        ApplicationProperties = new Dictionary<string, string> { ["tier"] = "Critical", ["note"] = "say \"hi\" café" },
        ScheduledEnqueueTime = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero),
        CorrelationId = "send-7",
    };

    [Fact]
    public async Task SendAsync_OneMessage_IdScheduleBodyAndPropertiesAsGiven()
    {
        ServiceBusMessage? sent = null;
        _sender.Setup(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()))
            .Callback<ServiceBusMessage, CancellationToken>((m, _) => sent = m).Returns(Task.CompletedTask);

        await _publisher.SendAsync("alerts-critical", Message());

        _client.Verify(c => c.CreateSender("alerts-critical"), Times.Once);
        Assert.NotNull(sent);
        Assert.Equal("acc-1-health-band-1-critical-2", sent.MessageId);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero), sent.ScheduledEnqueueTime);
        Assert.Equal(("application/json", "send-7"), (sent.ContentType, sent.CorrelationId));
        Assert.Equal("""{"alertId":"acc-1-health-band-1"}""", sent.Body.ToString());
        Assert.Equal("say \"hi\" café", sent.ApplicationProperties["note"]);
        Assert.Equal("Critical", sent.ApplicationProperties["tier"]);
    }

    [Fact]
    public async Task SendAsync_ManyMessagesToTwoQueues_OneSenderPerQueue()
    {
        var other = new Mock<ServiceBusSender>();
        _client.Setup(c => c.CreateSender("alerts-watch")).Returns(other.Object);

        for (var i = 0; i < 3; i++)
        {
            await _publisher.SendAsync("alerts-critical", Message("c" + i));
            await _publisher.SendAsync("alerts-watch", Message("w" + i));
        }

        _client.Verify(c => c.CreateSender("alerts-critical"), Times.Once);
        _client.Verify(c => c.CreateSender("alerts-watch"), Times.Once);
        _sender.Verify(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()), Times.Exactly(3));
        other.Verify(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()), Times.Exactly(3));
    }

    [Fact]
    public async Task SendAsync_BrokerRefuses_ThrowsMessagePublishExceptionSoTheCallerKeepsIt()
    {
        _sender.Setup(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new ServiceBusException("busy", ServiceBusFailureReason.ServiceBusy));

        var error = await Assert.ThrowsAsync<MessagePublishException>(() => _publisher.SendAsync("alerts-critical", Message()));

        Assert.IsType<ServiceBusException>(error.InnerException);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_CancellationIsNotABrokerFailure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        _sender.Setup(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new TaskCanceledException());

        await Assert.ThrowsAsync<TaskCanceledException>(() => _publisher.SendAsync("alerts-critical", Message(), cancelled.Token));
    }

    [Fact]
    public async Task SendBatchAsync_MoreThanABatchHolds_SendsFullBatchesInOrder()
    {
        var batches = SetupBatches(capacity: 2);

        await _publisher.SendBatchAsync("health-recompute", [.. Enumerable.Range(0, 5).Select(i => Message("m" + i))]);

        Assert.Equal(["m0,m1", "m2,m3", "m4"], batches.Select(b => string.Join(",", b.Select(m => m.MessageId))));
        _sender.Verify(s => s.SendMessagesAsync(It.IsAny<ServiceBusMessageBatch>(), It.IsAny<CancellationToken>()), Times.Exactly(3));
        _sender.Verify(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.All(batches.SelectMany(b => b), m => Assert.Equal(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero), m.ScheduledEnqueueTime));
    }

    [Fact]
    public async Task SendBatchAsync_Empty_SendsNothing()
    {
        await _publisher.SendBatchAsync("health-recompute", []);

        _sender.Verify(s => s.CreateMessageBatchAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task SendBatchAsync_MessageTooLargeForAnEmptyBatch_ThrowsArgumentExceptionNamingIt()
    {
        SetupBatches(capacity: 0);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _publisher.SendBatchAsync("health-recompute", [Message("huge")]));

        Assert.Contains("huge", error.Message, StringComparison.Ordinal);
        _sender.Verify(s => s.SendMessagesAsync(It.IsAny<ServiceBusMessageBatch>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task SendBatchAsync_SecondBatchRefused_MessagePublishExceptionSaysHowManyWentOut()
    {
        var batches = SetupBatches(capacity: 2);
        _sender.SetupSequence(s => s.SendMessagesAsync(It.IsAny<ServiceBusMessageBatch>(), It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask)
            .ThrowsAsync(new ServiceBusException(isTransient: true, "timeout"));

        var error = await Assert.ThrowsAsync<MessagePublishException>(() => _publisher.SendBatchAsync("health-recompute", [.. Enumerable.Range(0, 5).Select(i => Message("m" + i))]));

        Assert.Contains("after 2 were sent", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, batches.Count);
    }

    /// <summary>Every CreateMessageBatchAsync answers a batch that takes <paramref name="capacity"/> messages; returns what each batch took.</summary>
    private List<List<ServiceBusMessage>> SetupBatches(int capacity)
    {
        var batches = new List<List<ServiceBusMessage>>();
        _sender.Setup(s => s.CreateMessageBatchAsync(It.IsAny<CancellationToken>())).Returns(() =>
        {
            var store = new List<ServiceBusMessage>();
            batches.Add(store);
            return new ValueTask<ServiceBusMessageBatch>(ServiceBusModelFactory.ServiceBusMessageBatch(256 * 1024, store, tryAddCallback: _ => store.Count < capacity));
        });
        return batches;
    }
}
