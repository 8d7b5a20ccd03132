using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// The in-process queues' broker settings, in the local runner's section (they are the runner's stand-in for the
/// Service Bus queues): how often a message is delivered before it is dead-lettered, and the duplicate-detection window.
/// </summary>
public sealed class LocalQueuesOptions
{
    public const string SectionName = "LocalRunner";

    /// <summary>Default deliveries before a message is dead-lettered (Service Bus default 10); per queue in <see cref="Queues"/>.</summary>
    [Range(1, 2000)]
    public int MaxDeliveryCount { get; set; } = 10;

    /// <summary>Window in which a resent message id is dropped (queues have duplicate detection on).</summary>
    public TimeSpan DuplicateDetectionWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per-queue overrides, keyed by queue name.</summary>
    public Dictionary<string, LocalQueueOptions> Queues { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public int MaxDeliveryCountFor(string queue) =>
        Queues.TryGetValue(queue, out var q) && q.MaxDeliveryCount is { } n ? n : MaxDeliveryCount;
}

public sealed class LocalQueueOptions
{
    [Range(1, 2000)]
    public int? MaxDeliveryCount { get; set; }
}

/// <summary>A message held by an in-process queue, with the broker-side state Service Bus would keep.</summary>
public sealed class LocalMessage
{
    public required string Queue { get; init; }

    public required OutgoingMessage Message { get; init; }

    public required long SequenceNumber { get; init; }

    public required DateTimeOffset EnqueuedTime { get; init; }

    public DateTimeOffset VisibleAt { get; set; }

    public int DeliveryCount { get; set; }
}

/// <summary>A message that exhausted its deliveries, with the reason, as Service Bus records it on the dead-letter queue.</summary>
public sealed record LocalDeadLetter(
    string Queue,
    string MessageId,
    string Body,
    IReadOnlyDictionary<string, string> ApplicationProperties,
    int DeliveryCount,
    DateTimeOffset EnqueuedTime,
    DateTimeOffset DeadLetteredAt,
    string DeadLetterReason,
    string DeadLetterErrorDescription);

public sealed record LocalQueueStatus(string Queue, int Pending, int Scheduled, int InFlight, int DeadLettered, long Delivered, long Completed);

/// <summary>
/// In-process queues with the Service Bus behaviour the app relies on: duplicate detection by message id,
/// scheduled enqueue, redelivery with a rising delivery count, dead-lettering after the queue's max delivery count.
/// Time is the app's <see cref="TimeProvider"/>, so a simulated clock drives scheduled messages too.
/// </summary>
public sealed class LocalServiceBus
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, QueueState> _queues = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<LocalQueuesOptions> _options;
    private long _sequence;

    public LocalServiceBus(TimeProvider time, IOptionsMonitor<LocalQueuesOptions> options, AppMetrics? metrics = null)
    {
        _time = time;
        _options = options;
        metrics?.ObserveDeadLetters(DeadLetterCounts);
    }

    /// <summary>Signalled whenever something may have become deliverable.</summary>
    public event Action<string>? MessageAvailable;

    /// <summary>Enqueues a message; false when its id was seen within the duplicate-detection window (dropped, as Service Bus does).</summary>
    public bool Enqueue(string queue, OutgoingMessage message)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(message);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var q = Get(queue);
            var cutoff = now - _options.CurrentValue.DuplicateDetectionWindow;
            q.ForgetIdsBefore(cutoff);
            if (q.RecentIds.TryGetValue(message.MessageId, out var seen) && seen >= cutoff)
            {
                return false;
            }

            q.RecentIds[message.MessageId] = now;

            q.Pending.Add(new LocalMessage
            {
                Queue = queue,
                Message = message,
                SequenceNumber = ++_sequence,
                EnqueuedTime = now,
                VisibleAt = message.ScheduledEnqueueTime is { } at && at > now ? at : now,
            });
        }

        MessageAvailable?.Invoke(queue);
        return true;
    }

    /// <summary>Takes the next deliverable message (visible by the app clock), locking it and counting the delivery.</summary>
    public LocalMessage? TryReceive(string queue)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var q = Get(queue);
            LocalMessage? next = null;
            foreach (var m in q.Pending)
            {
                if (m.VisibleAt <= now && (next is null || m.SequenceNumber < next.SequenceNumber))
                {
                    next = m;
                }
            }

            if (next is null)
            {
                return null;
            }

            q.Pending.Remove(next);
            next.DeliveryCount++;
            q.InFlight++;
            q.Delivered++;
            return next;
        }
    }

    public void Complete(LocalMessage message)
    {
        lock (_gate)
        {
            var q = Get(message.Queue);
            q.InFlight--;
            q.Completed++;
        }
    }

    /// <summary>Returns a failed delivery to the queue, or dead-letters it when it has used up its deliveries.</summary>
    public bool Abandon(LocalMessage message, string errorDescription)
    {
        var max = _options.CurrentValue.MaxDeliveryCountFor(message.Queue);
        var now = _time.GetUtcNow();
        bool deadLettered;
        lock (_gate)
        {
            var q = Get(message.Queue);
            q.InFlight--;
            deadLettered = message.DeliveryCount >= max;
            if (deadLettered)
            {
                q.DeadLetters.Add(new LocalDeadLetter(
                    message.Queue,
                    message.Message.MessageId,
                    message.Message.Body,
                    message.Message.ApplicationProperties,
                    message.DeliveryCount,
                    message.EnqueuedTime,
                    now,
                    "MaxDeliveryCountExceeded",
                    errorDescription));
            }
            else
            {
                message.VisibleAt = now;
                q.Pending.Add(message);
            }
        }

        if (!deadLettered)
        {
            MessageAvailable?.Invoke(message.Queue);
        }

        return deadLettered;
    }

    public IReadOnlyList<LocalDeadLetter> DeadLetters(string? queue = null)
    {
        lock (_gate)
        {
            return [.. _queues.Values.Where(q => queue is null || string.Equals(q.Name, queue, StringComparison.OrdinalIgnoreCase)).SelectMany(q => q.DeadLetters)];
        }
    }

    /// <summary>Sends a dead-lettered message back to its queue as a new delivery (fresh count) and removes it from the dead letters.</summary>
    public bool Redrive(string queue, string messageId)
    {
        LocalDeadLetter? letter;
        lock (_gate)
        {
            var q = Get(queue);
            letter = q.DeadLetters.FirstOrDefault(d => d.MessageId == messageId);
            if (letter is null)
            {
                return false;
            }

            q.DeadLetters.Remove(letter);
            q.RecentIds.Remove(messageId);
        }

        return Enqueue(queue, new OutgoingMessage(letter.MessageId, letter.Body) { ApplicationProperties = letter.ApplicationProperties });
    }

    public IReadOnlyList<LocalQueueStatus> Status()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return [.. _queues.Values.OrderBy(q => q.Name, StringComparer.Ordinal).Select(q => new LocalQueueStatus(
                q.Name,
                q.Pending.Count(m => m.VisibleAt <= now),
                q.Pending.Count(m => m.VisibleAt > now),
                q.InFlight,
                q.DeadLetters.Count,
                q.Delivered,
                q.Completed))];
        }
    }

    /// <summary>True when no queue has a message deliverable now or in flight (scheduled-later messages do not count).</summary>
    public bool IsIdle()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return _queues.Values.All(q => q.InFlight == 0 && q.Pending.All(m => m.VisibleAt > now));
        }
    }

    /// <summary>Every app queue's dead-letter count (0 for one never used), and any other queue that has some.</summary>
    private List<Measurement<long>> DeadLetterCounts()
    {
        lock (_gate)
        {
            var counts = QueueNames.All.Select(q => AppMetrics.DeadLetters(q.Name, _queues.TryGetValue(q.Name, out var s) ? s.DeadLetters.Count : 0)).ToList();
            counts.AddRange(_queues.Values.Where(q => !QueueNames.All.Any(n => string.Equals(n.Name, q.Name, StringComparison.OrdinalIgnoreCase))).Select(q => AppMetrics.DeadLetters(q.Name, q.DeadLetters.Count)));
            return counts;
        }
    }

    private QueueState Get(string queue)
    {
        if (!_queues.TryGetValue(queue, out var q))
        {
            q = new QueueState(queue);
            _queues[queue] = q;
        }

        return q;
    }

    private sealed class QueueState(string name)
    {
        public string Name { get; } = name;

        public List<LocalMessage> Pending { get; } = [];

        public Dictionary<string, DateTimeOffset> RecentIds { get; } = new(StringComparer.Ordinal);

        public List<LocalDeadLetter> DeadLetters { get; } = [];

        public int InFlight { get; set; }

        public long Delivered { get; set; }

        public long Completed { get; set; }

        public void ForgetIdsBefore(DateTimeOffset cutoff)
        {
            if (RecentIds.Count < 1024)
            {
                return;
            }

            foreach (var (id, at) in RecentIds.ToList())
            {
                if (at < cutoff)
                {
                    RecentIds.Remove(id);
                }
            }
        }
    }
}

/// <summary>The standalone <see cref="IMessagePublisher"/>: messages go to the in-process queues.</summary>
public sealed class LocalMessagePublisher(LocalServiceBus bus) : IMessagePublisher
{
    public Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        bus.Enqueue(queueName, Stamped(message));
        return Task.CompletedTask;
    }

    public Task SendBatchAsync(string queueName, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            bus.Enqueue(queueName, Stamped(message));
        }

        return Task.CompletedTask;
    }

    /// <summary>As Service Bus messages are: with the sender's trace context unless they carry their cause's.</summary>
    private static OutgoingMessage Stamped(OutgoingMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var properties = TraceContext.Stamp(message.ApplicationProperties);
        return ReferenceEquals(properties, message.ApplicationProperties) ? message : message with { ApplicationProperties = properties };
    }
}

/// <summary>The standalone <see cref="IDeadLetterStore"/>: the in-process queues' dead letters.</summary>
public sealed class LocalDeadLetterStore(LocalServiceBus bus) : IDeadLetterStore
{
    public Task<IReadOnlyList<DeadLetter>> ListAsync(string queueName, int max = 50, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DeadLetter>>([.. bus.DeadLetters(queueName).Take(max).Select(d => new DeadLetter(
            d.Queue, d.MessageId, d.DeadLetterReason, d.DeadLetterErrorDescription, d.DeliveryCount, d.EnqueuedTime, d.ApplicationProperties, d.Body))]);

    public Task<bool> RedriveAsync(string queueName, string messageId, CancellationToken cancellationToken = default) =>
        Task.FromResult(bus.Redrive(queueName, messageId));
}
