using CustomerSuccess.Functions.Messaging;
using Moq;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

internal static class RecordingPublisher
{
    /// <summary>Records every message sent to <paramref name="queue"/> (any queue when null), one by one or in batches, in order.</summary>
    public static Mock<IMessagePublisher> Records(this Mock<IMessagePublisher> publisher, List<OutgoingMessage> sent, string? queue = null)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        publisher.Setup(p => p.SendAsync(It.Is<string>(q => queue == null || q == queue), It.IsAny<OutgoingMessage>(), It.IsAny<CancellationToken>()))
            .Callback<string, OutgoingMessage, CancellationToken>((_, m, _) => { lock (sent) { sent.Add(m); } })
            .Returns(Task.CompletedTask);
        publisher.Setup(p => p.SendBatchAsync(It.Is<string>(q => queue == null || q == queue), It.IsAny<IReadOnlyList<OutgoingMessage>>(), It.IsAny<CancellationToken>()))
            .Callback<string, IReadOnlyList<OutgoingMessage>, CancellationToken>((_, m, _) => { lock (sent) { sent.AddRange(m); } })
            .Returns(Task.CompletedTask);
        return publisher;
    }
}
