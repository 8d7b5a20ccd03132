using Azure.Messaging.ServiceBus;
using CustomerSuccess.Functions.Messaging;
using Moq;

namespace CustomerSuccess.Functions.Tests.Messaging;

/// <summary>Dead letters through a Moq'd <see cref="ServiceBusReceiver"/> on the dead-letter sub-queue; messages from <see cref="ServiceBusModelFactory"/>.</summary>
public sealed class ServiceBusDeadLetterStoreTests
{
    private const string Queue = "alerts-critical";

    private readonly Mock<ServiceBusClient> _client = new();
    private readonly Mock<ServiceBusReceiver> _receiver = new();
    private readonly Mock<ServiceBusSender> _sender = new();
    private readonly List<ServiceBusReceiverOptions> _receiverOptions = [];
    private readonly ServiceBusDeadLetterStore _store;

    public ServiceBusDeadLetterStoreTests()
    {
        _client.Setup(c => c.CreateReceiver(Queue, It.IsAny<ServiceBusReceiverOptions>()))
            .Callback<string, ServiceBusReceiverOptions>((_, o) => _receiverOptions.Add(o))
            .Returns(_receiver.Object);
        _client.Setup(c => c.CreateSender(Queue)).Returns(_sender.Object);
        _store = new ServiceBusDeadLetterStore(_client.Object, new ServiceBusQueueSenders(_client.Object));
    }

    private static ServiceBusReceivedMessage Letter(string id, long sequence) => ServiceBusModelFactory.ServiceBusReceivedMessage(
        body: BinaryData.FromString("{\"alertId\":\"" + id + "\"}"),
        messageId: id,
        contentType: "application/json",
        correlationId: "corr-" + id,
        properties: new Dictionary<string, object>
        {
            ["tier"] = "Critical",
            ["DeadLetterReason"] = "MaxDeliveryCountExceeded",
            ["DeadLetterErrorDescription"] = "InvalidOperationException: mail down",
        },
        deliveryCount: 10,
        sequenceNumber: sequence,
        enqueuedTime: new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ListAsync_PeeksTheDeadLetterSubQueue_ReasonsApartFromProperties()
    {
        _receiver.SetupSequence(r => r.PeekMessagesAsync(It.IsAny<int>(), It.IsAny<long?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync([Letter("a", 1), Letter("b", 2)])
            .ReturnsAsync([Letter("c", 5)])
            .ReturnsAsync([]);

        var letters = await _store.ListAsync(Queue, max: 10);

        Assert.Equal(["a", "b", "c"], letters.Select(l => l.MessageId));
        var first = letters[0];
        Assert.Equal(("MaxDeliveryCountExceeded", "InvalidOperationException: mail down", 10), (first.Reason, first.ErrorDescription, first.DeliveryCount));
        Assert.Equal(new Dictionary<string, string> { ["tier"] = "Critical" }, first.ApplicationProperties);
        Assert.Equal("{\"alertId\":\"a\"}", first.Body);
        Assert.Equal(SubQueue.DeadLetter, Assert.Single(_receiverOptions).SubQueue);
        _receiver.Verify(r => r.PeekMessagesAsync(It.IsAny<int>(), 3, It.IsAny<CancellationToken>()), Times.Once); // continues after the last sequence number
        _receiver.Verify(r => r.ReceiveMessagesAsync(It.IsAny<int>(), It.IsAny<TimeSpan?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task ListAsync_StopsAtMax()
    {
        _receiver.Setup(r => r.PeekMessagesAsync(It.IsAny<int>(), It.IsAny<long?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((int max, long? _, CancellationToken _) => [.. Enumerable.Range(0, max).Select(i => Letter("m" + i, i))]);

        var letters = await _store.ListAsync(Queue, max: 3);

        Assert.Equal(3, letters.Count);
    }

    [Fact]
    public async Task RedriveAsync_Found_SendsACopyUnderANewIdThenCompletesItAndAbandonsTheOthers()
    {
        var (a, b, c) = (Letter("a", 11), Letter("b", 12), Letter("c", 13));
        _receiver.SetupSequence(r => r.ReceiveMessagesAsync(It.IsAny<int>(), It.IsAny<TimeSpan?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync([a])
            .ReturnsAsync([b, c]);
        var order = new List<string>();
        ServiceBusMessage? resent = null;
        _sender.Setup(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()))
            .Callback<ServiceBusMessage, CancellationToken>((m, _) => { resent = m; order.Add("send"); }).Returns(Task.CompletedTask);
        _receiver.Setup(r => r.CompleteMessageAsync(b, It.IsAny<CancellationToken>())).Callback(() => order.Add("complete")).Returns(Task.CompletedTask);

        var found = await _store.RedriveAsync(Queue, "b");

        Assert.True(found);
        Assert.Equal(["send", "complete"], order);
        Assert.Equal("b-redrive-12", resent!.MessageId);
        Assert.Equal(("{\"alertId\":\"b\"}", "corr-b", "application/json"), (resent.Body.ToString(), resent.CorrelationId, resent.ContentType));
        Assert.Equal("Critical", resent.ApplicationProperties["tier"]);
        Assert.False(resent.ApplicationProperties.ContainsKey("DeadLetterReason"));
        _receiver.Verify(r => r.AbandonMessageAsync(a, It.IsAny<IDictionary<string, object>>(), It.IsAny<CancellationToken>()), Times.Once);
        _receiver.Verify(r => r.AbandonMessageAsync(c, It.IsAny<IDictionary<string, object>>(), It.IsAny<CancellationToken>()), Times.Once);
        _receiver.Verify(r => r.AbandonMessageAsync(b, It.IsAny<IDictionary<string, object>>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Equal((SubQueue.DeadLetter, ServiceBusReceiveMode.PeekLock), (_receiverOptions[0].SubQueue, _receiverOptions[0].ReceiveMode));
    }

    [Fact]
    public async Task RedriveAsync_NotThere_FalseAndEverythingLockedIsAbandoned()
    {
        var (a, b) = (Letter("a", 1), Letter("b", 2));
        _receiver.SetupSequence(r => r.ReceiveMessagesAsync(It.IsAny<int>(), It.IsAny<TimeSpan?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync([a, b])
            .ReturnsAsync([]);

        var found = await _store.RedriveAsync(Queue, "zzz");

        Assert.False(found);
        _sender.Verify(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()), Times.Never);
        _receiver.Verify(r => r.CompleteMessageAsync(It.IsAny<ServiceBusReceivedMessage>(), It.IsAny<CancellationToken>()), Times.Never);
        _receiver.Verify(r => r.AbandonMessageAsync(It.IsAny<ServiceBusReceivedMessage>(), It.IsAny<IDictionary<string, object>>(), It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Fact]
    public async Task RedriveAsync_ResendRefused_DeadLetterStaysAndTheCallerSeesMessagePublishException()
    {
        var a = Letter("a", 1);
        _receiver.Setup(r => r.ReceiveMessagesAsync(It.IsAny<int>(), It.IsAny<TimeSpan?>(), It.IsAny<CancellationToken>())).ReturnsAsync([a]);
        _sender.Setup(s => s.SendMessageAsync(It.IsAny<ServiceBusMessage>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new ServiceBusException("busy", ServiceBusFailureReason.ServiceBusy));

        await Assert.ThrowsAsync<MessagePublishException>(() => _store.RedriveAsync(Queue, "a"));

        _receiver.Verify(r => r.CompleteMessageAsync(It.IsAny<ServiceBusReceivedMessage>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public void Resend_LongId_StaysWithinServiceBusLimit()
    {
        var copy = ServiceBusDeadLetterStore.Resend(Letter(new string('x', 128), 123456789));

        Assert.Equal(128, copy.MessageId.Length);
        Assert.EndsWith("-redrive-123456789", copy.MessageId, StringComparison.Ordinal);
    }
}
