namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// Sends messages to a Service Bus queue. In Azure: Azure.Messaging.ServiceBus, a sender per queue; standalone: the
/// local runner's in-process queues, which invoke the same queue-triggered functions with the same payloads.
/// <see cref="MessagingModule.AddMessaging"/> chooses which.
/// </summary>
public interface IMessagePublisher
{
    /// <summary>Sends one message. The message id is chosen by the caller from what the message is about,
    /// so duplicate detection on the queue drops a resend.</summary>
    Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends several messages to one queue in as few broker calls as fit (Service Bus batches by size). Each batch is
    /// all or nothing; if one fails, the batches before it were sent and the exception says so, so a caller resends
    /// everything and duplicate detection drops what already arrived.
    /// </summary>
    Task SendBatchAsync(string queueName, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default);
}

/// <summary>A message to send: a UTF-8 body (JSON by convention), its id and application properties.</summary>
public sealed record OutgoingMessage(string MessageId, string Body)
{
    public string ContentType { get; init; } = "application/json";

    public IReadOnlyDictionary<string, string> ApplicationProperties { get; init; } = new Dictionary<string, string>();

    /// <summary>Deliver no earlier than this (Service Bus scheduled enqueue time).</summary>
    public DateTimeOffset? ScheduledEnqueueTime { get; init; }

    public string? CorrelationId { get; init; }
}

/// <summary>Thrown when the broker cannot take the message now (network, 5xx, throttling after retries).</summary>
public sealed class MessagePublishException : Exception
{
    public MessagePublishException()
    {
    }

    public MessagePublishException(string message)
        : base(message)
    {
    }

    public MessagePublishException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
