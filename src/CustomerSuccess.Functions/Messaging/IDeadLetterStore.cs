namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// Messages a queue gave up on after its max delivery count. In Azure: the queue's dead-letter sub-queue
/// through Azure.Messaging.ServiceBus; standalone: the local runner's dead-letter list.
/// </summary>
public interface IDeadLetterStore
{
    Task<IReadOnlyList<DeadLetter>> ListAsync(string queueName, int max = 50, CancellationToken cancellationToken = default);

    /// <summary>Sends the message to its queue again and removes it from the dead letters; false if it is not there.</summary>
    Task<bool> RedriveAsync(string queueName, string messageId, CancellationToken cancellationToken = default);
}

public sealed record DeadLetter(
    string Queue,
    string MessageId,
    string? Reason,
    string? ErrorDescription,
    int DeliveryCount,
    DateTimeOffset? EnqueuedAt,
    IReadOnlyDictionary<string, string> ApplicationProperties,
    string Body);
