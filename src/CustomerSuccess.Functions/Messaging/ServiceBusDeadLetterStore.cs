using System.Globalization;
using Azure.Messaging.ServiceBus;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// Dead letters through a <see cref="ServiceBusReceiver"/> on the queue's dead-letter sub-queue. Listing peeks, so it
/// changes nothing. A redrive receives dead letters in peek-lock until it holds the one asked for, sends a copy to
/// the queue (a fresh message id, so duplicate detection does not drop it; consumers dedupe on what the message is
/// about), then completes the dead letter; every other message it locked on the way is abandoned, i.e. left as it was.
/// Anything the broker refuses is a <see cref="MessagePublishException"/> (the API answers 503).
/// </summary>
public sealed class ServiceBusDeadLetterStore(ServiceBusClient client, ServiceBusQueueSenders senders) : IDeadLetterStore
{
    /// <summary>How many dead letters a redrive looks through for the one asked for.</summary>
    public const int MaxScanned = 1000;

    /// <summary>How long a redrive waits for more dead letters before concluding the one asked for is not there.</summary>
    public static readonly TimeSpan ReceiveWait = TimeSpan.FromSeconds(2);

    private static readonly ServiceBusReceiverOptions DeadLetterQueue = new()
    {
        SubQueue = SubQueue.DeadLetter,
        ReceiveMode = ServiceBusReceiveMode.PeekLock,
        PrefetchCount = 0,
    };

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string queueName, int max = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        try
        {
            await using var receiver = client.CreateReceiver(queueName, DeadLetterQueue);
            var letters = new List<DeadLetter>(Math.Min(max, 100));
            long? from = null;
            while (letters.Count < max)
            {
                var peeked = await receiver.PeekMessagesAsync(max - letters.Count, from, cancellationToken).ConfigureAwait(false);
                if (peeked.Count == 0)
                {
                    break;
                }

                letters.AddRange(peeked.Select(m => ToDeadLetter(queueName, m)));
                from = peeked[^1].SequenceNumber + 1;
            }

            return letters;
        }
        catch (Exception ex) when (ServiceBusMessagePublisher.IsBrokerFailure(ex, cancellationToken))
        {
            throw new MessagePublishException($"Reading the dead letters of {queueName} failed: {ex.Message}", ex);
        }
    }

    public async Task<bool> RedriveAsync(string queueName, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        try
        {
            await using var receiver = client.CreateReceiver(queueName, DeadLetterQueue);
            var locked = new List<ServiceBusReceivedMessage>();
            try
            {
                while (locked.Count < MaxScanned)
                {
                    var received = await receiver.ReceiveMessagesAsync(Math.Min(100, MaxScanned - locked.Count), ReceiveWait, cancellationToken).ConfigureAwait(false);
                    if (received.Count == 0)
                    {
                        return false;
                    }

                    var match = received.FirstOrDefault(m => m.MessageId == messageId);
                    locked.AddRange(received.Where(m => !ReferenceEquals(m, match)));
                    if (match is not null)
                    {
                        // Sent before completing: a failure in between leaves the dead letter, and a second redrive's
                        // copy is a new message, which consumers dedupe on content.
                        await senders.For(queueName).SendMessageAsync(Resend(match), cancellationToken).ConfigureAwait(false);
                        await receiver.CompleteMessageAsync(match, cancellationToken).ConfigureAwait(false);
                        return true;
                    }
                }

                return false;
            }
            finally
            {
                foreach (var message in locked)
                {
                    // Left as they were; their locks would lapse anyway, this only releases them sooner.
                    await receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ServiceBusMessagePublisher.IsBrokerFailure(ex, cancellationToken))
        {
            throw new MessagePublishException($"Redriving {messageId} on {queueName} failed: {ex.Message}", ex);
        }
    }

    /// <summary>The copy a redrive sends: the dead letter's body and properties without the dead-letter reason, under a new id.</summary>
    public static ServiceBusMessage Resend(ServiceBusReceivedMessage letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var id = letter.MessageId ?? string.Empty;
        var suffix = "-redrive-" + letter.SequenceNumber.ToString(CultureInfo.InvariantCulture);

        // Service Bus message ids are at most 128 characters.
        var copy = new ServiceBusMessage(letter) { MessageId = id[..Math.Min(id.Length, 128 - suffix.Length)] + suffix };
        copy.ApplicationProperties.Remove(DeadLetterReasonProperty);
        copy.ApplicationProperties.Remove(DeadLetterErrorDescriptionProperty);
        return copy;
    }

    private const string DeadLetterReasonProperty = "DeadLetterReason";
    private const string DeadLetterErrorDescriptionProperty = "DeadLetterErrorDescription";

    private static DeadLetter ToDeadLetter(string queueName, ServiceBusReceivedMessage message) => new(
        queueName,
        message.MessageId ?? string.Empty,
        message.DeadLetterReason,
        message.DeadLetterErrorDescription,
        message.DeliveryCount,
        message.EnqueuedTime == default ? null : message.EnqueuedTime,
        message.ApplicationProperties
            .Where(p => p.Key is not (DeadLetterReasonProperty or DeadLetterErrorDescriptionProperty))
            .ToDictionary(p => p.Key, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? string.Empty, StringComparer.Ordinal),
        message.Body.ToString());
}
