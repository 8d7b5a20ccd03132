using System.Collections.Concurrent;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using CustomerSuccess.Functions.Telemetry;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// One <see cref="ServiceBusSender"/> per queue, created on first use and kept for the life of the process: a sender
/// holds an AMQP link, and opening one per message would cost a round trip each time.
/// </summary>
public sealed class ServiceBusQueueSenders(ServiceBusClient client) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);

    public ServiceBusSender For(string queueName)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueName);
        return _senders.GetOrAdd(queueName, client.CreateSender);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync();
        }

        _senders.Clear();
    }
}

/// <summary>
/// <see cref="IMessagePublisher"/> on Azure.Messaging.ServiceBus. The caller's message id goes out as the Service Bus
/// MessageId (the queues have duplicate detection on, so a resend after a crash is dropped), a scheduled time as
/// ScheduledEnqueueTime, application properties as they are. Several messages go in
/// <see cref="ServiceBusMessageBatch"/>es cut by the broker's size limit. Anything the broker or the credential
/// refuses after the client's own retries is a <see cref="MessagePublishException"/>, so the caller keeps the message.
/// </summary>
public sealed partial class ServiceBusMessagePublisher(ServiceBusQueueSenders senders, ILogger<ServiceBusMessagePublisher> logger) : IMessagePublisher
{
    public async Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sender = senders.For(queueName);
        try
        {
            await sender.SendMessageAsync(ToServiceBusMessage(message), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBrokerFailure(ex, cancellationToken))
        {
            Log.SendFailed(logger, queueName, 1, 0, ex);
            throw new MessagePublishException($"Sending message {message.MessageId} to {queueName} failed: {ex.Message}", ex);
        }

        Log.Sent(logger, queueName, 1);
    }

    public async Task SendBatchAsync(string queueName, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        var sender = senders.For(queueName);
        var sent = 0;
        try
        {
            while (sent < messages.Count)
            {
                using var batch = await sender.CreateMessageBatchAsync(cancellationToken).ConfigureAwait(false);
                var next = sent;
                while (next < messages.Count && batch.TryAddMessage(ToServiceBusMessage(messages[next])))
                {
                    next++;
                }

                if (next == sent)
                {
                    throw new ArgumentException($"Message {messages[next].MessageId} does not fit in a Service Bus batch ({batch.MaxSizeInBytes} bytes) on its own.", nameof(messages));
                }

                await sender.SendMessagesAsync(batch, cancellationToken).ConfigureAwait(false);
                sent = next;
            }
        }
        catch (Exception ex) when (IsBrokerFailure(ex, cancellationToken))
        {
            Log.SendFailed(logger, queueName, messages.Count, sent, ex);
            throw new MessagePublishException($"Sending {messages.Count} messages to {queueName} failed after {sent} were sent: {ex.Message}", ex);
        }

        Log.Sent(logger, queueName, messages.Count);
    }

    /// <summary>The Service Bus message for an outgoing one: body as UTF-8, ids, schedule and properties as given.</summary>
    public static ServiceBusMessage ToServiceBusMessage(OutgoingMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = new ServiceBusMessage(BinaryData.FromString(message.Body))
        {
            MessageId = message.MessageId,
            ContentType = message.ContentType,
            CorrelationId = message.CorrelationId,
        };
        if (message.ScheduledEnqueueTime is { } at)
        {
            result.ScheduledEnqueueTime = at;
        }

        // The sender's trace context, unless the message carries the context of what caused it: the consumer continues it.
        foreach (var (name, value) in TraceContext.Stamp(message.ApplicationProperties))
        {
            result.ApplicationProperties[name] = value;
        }

        return result;
    }

    /// <summary>What means "the broker cannot take it now" rather than a bug of ours (a caller's own cancellation is neither).</summary>
    internal static bool IsBrokerFailure(Exception exception, CancellationToken callerToken) => exception switch
    {
        OperationCanceledException => !callerToken.IsCancellationRequested,
        ServiceBusException or UnauthorizedAccessException or AuthenticationFailedException or TimeoutException or IOException or HttpRequestException => true,
        _ => false,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 4701, Level = LogLevel.Debug, Message = "Sent {Count} message(s) to {Queue}")]
        public static partial void Sent(ILogger logger, string queue, int count);

        [LoggerMessage(EventId = 4702, Level = LogLevel.Warning, Message = "Sending {Count} message(s) to {Queue} failed after {Sent} were sent")]
        public static partial void SendFailed(ILogger logger, string queue, int count, int sent, Exception exception);
    }
}
