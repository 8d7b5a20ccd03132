using System.Globalization;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Messaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Benchmarks.Lifecycle;

/// <summary>What the lifecycle loads share: the options, the send processor's stand-ins, and the window count.</summary>
internal static class LifecycleLoadKit
{
    /// <summary>Quiet hours off, so the backlog is limited by the quota alone; the quota as given.</summary>
    public static LifecycleOptions Options(int perMinute, int perHour, string? scope = null) => new()
    {
        RatePerMinute = perMinute,
        RatePerHour = perHour,
        SendQuotaScope = scope ?? "email",
        QuietHours = new QuietHoursOptions { Start = new TimeOnly(0, 0), End = new TimeOnly(0, 0) },
        UnsubscribeBaseUrl = new Uri("https://cs.example.com/api/lifecycle/unsubscribe"),
        UnsubscribeSigningKey = "benchmark-only-key-0123456789abcdef0123456789",
    };

    /// <summary>The real send processor over the in-memory ledger, with the given quota, facts, sender and queue.</summary>
    public static LifecycleSendProcessor Processor(LifecycleOptions options, ISendRateLimiter quota, ILifecycleFactsSource facts, IEmailSender email, IMessagePublisher queue, TimeProvider clock, DateTimeOffset enrolledAt) =>
        new(
            new MemoryLifecycleStore(enrolledAt),
            facts,
            new LifecycleSequenceEngine(options),
            new SendCapPolicy(options),
            quota,
            new LifecycleTemplateRenderer(TemplateRoot()),
            new UnsubscribeLinkSigner(options),
            email,
            queue,
            clock,
            NullLogger<LifecycleSendProcessor>.Instance);

    public static string TemplateRoot() => Directory.Exists(LifecycleTemplateRenderer.DefaultRoot)
        ? LifecycleTemplateRenderer.DefaultRoot
        : Path.Combine(LocalAzurite.RepoRoot, "src", "CustomerSuccess.Functions", "Lifecycle", "Templates");

    /// <summary>Most sends in any window [t, t + window) (two pointers over the sorted times).</summary>
    public static int MaxInWindow(IReadOnlyList<DateTimeOffset> times, TimeSpan window)
    {
        var max = 0;
        var left = 0;
        for (var right = 0; right < times.Count; right++)
        {
            while (times[right] - times[left] >= window)
            {
                left++;
            }

            max = Math.Max(max, right - left + 1);
        }

        return max;
    }
}

/// <summary>Delivers no message before its scheduled time, earliest first (what the broker does for scheduled messages).</summary>
internal sealed class ScheduledQueue : IMessagePublisher
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<LifecycleSendMessage, (DateTimeOffset, long)> _queue = new();
    private long _sequence;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    public void Add(LifecycleSendMessage message, DateTimeOffset visibleAt)
    {
        lock (_gate)
        {
            _queue.Enqueue(message, (visibleAt, _sequence++));
        }
    }

    public bool TryPeek(out DateTimeOffset visibleAt)
    {
        lock (_gate)
        {
            var any = _queue.TryPeek(out _, out var priority);
            visibleAt = priority.Item1;
            return any;
        }
    }

    public LifecycleSendMessage Take()
    {
        lock (_gate)
        {
            return _queue.Dequeue();
        }
    }

    /// <summary>The earliest message if it is visible at <paramref name="now"/>; otherwise when the earliest will be (null: empty).</summary>
    public (LifecycleSendMessage? Message, DateTimeOffset? NextAt) TakeDue(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_queue.TryPeek(out _, out var priority))
            {
                return (null, null);
            }

            return priority.Item1 <= now ? (_queue.Dequeue(), null) : (null, priority.Item1);
        }
    }

    public Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        Add(LifecycleSendProcessor.Parse(message.Body)!, message.ScheduledEnqueueTime ?? DateTimeOffset.MinValue);
        return Task.CompletedTask;
    }

    public async Task SendBatchAsync(string queueName, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        foreach (var message in messages)
        {
            await SendAsync(queueName, message, cancellationToken);
        }
    }
}

/// <summary>The two lifecycle queues, each a <see cref="ScheduledQueue"/>: first deliveries and reserved sends.</summary>
internal sealed class LifecycleQueues : IMessagePublisher
{
    public ScheduledQueue Send { get; } = new();

    public ScheduledQueue Reserved { get; } = new();

    public Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default) =>
        QueueFor(queueName).SendAsync(queueName, message, cancellationToken);

    public Task SendBatchAsync(string queueName, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default) =>
        QueueFor(queueName).SendBatchAsync(queueName, messages, cancellationToken);

    private ScheduledQueue QueueFor(string queueName) => queueName == QueueNames.LifecycleSendReserved ? Reserved : Send;
}

/// <summary>Accepts every email at once and notes when each was handed to it (that instant is the send, for the quota).</summary>
internal sealed class AcceptingEmailSender(TimeProvider clock) : IEmailSender
{
    private readonly Lock _gate = new();
    private readonly List<DateTimeOffset> _sentAt = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _sentAt.Count;
            }
        }
    }

    public IReadOnlyList<DateTimeOffset> SentAt()
    {
        lock (_gate)
        {
            return [.. _sentAt];
        }
    }

    public Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _sentAt.Add(clock.GetUtcNow());
        }

        return Task.FromResult(new EmailSendResult(EmailSendStatus.Accepted, message.OperationId));
    }
}

/// <summary>100 contacts per account, each with one welcome due; account ids start with <paramref name="prefix"/>.</summary>
internal sealed class BacklogFacts(int sends, DateTimeOffset now, string prefix = "acct_") : ILifecycleFactsSource
{
    private const int ContactsPerAccount = 100;
    private readonly Dictionary<string, LifecycleAccountFacts> _accounts = Enumerable.Range(0, (sends + ContactsPerAccount - 1) / ContactsPerAccount)
        .Select(a => new LifecycleAccountFacts
        {
            AccountId = prefix + a.ToString("D5", CultureInfo.InvariantCulture),
            Name = "Account " + a.ToString(CultureInfo.InvariantCulture),
            Segment = AccountSegment.Smb,
            SubscriptionStatus = "active",
            CustomerSince = now.AddHours(-1),
            ActiveUsers30d = 1,
            Contacts = [.. Enumerable.Range(0, ContactsPerAccount).Select(c => Contact(prefix, a, c))],
        })
        .ToDictionary(f => f.AccountId, StringComparer.Ordinal);

    public IEnumerable<LifecycleSendMessage> Backlog() => _accounts.Values
        .SelectMany(f => f.Contacts.Select(c => (f, c)))
        .Take(sends)
        .Select(x => new LifecycleSendMessage(
            LifecycleSendId.For(x.f.AccountId, LifecycleSequences.Onboarding, "welcome", "k", 0, x.c.ContactId), x.f.AccountId, x.c.ContactId, LifecycleSequences.Onboarding, "welcome", "k", 0));

    public Task<LifecycleAccountFacts?> GetAsync(string accountId, CancellationToken cancellationToken) =>
        Task.FromResult(_accounts.GetValueOrDefault(accountId));

    private static LifecycleContact Contact(string prefix, int account, int contact)
    {
        var email = $"user{contact}@{prefix.TrimEnd('_')}{account}.example";
        return new LifecycleContact(LifecycleContactId.For(email), email, "User");
    }
}

/// <summary>The send ledger and last-sent times in memory; every enrollment exists.</summary>
internal sealed class MemoryLifecycleStore(DateTimeOffset enrolledAt) : ILifecycleStore
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _sent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastSent = new(StringComparer.Ordinal);

    public Task<LifecycleEnrollment?> GetEnrollmentAsync(string accountId, string contactId, string sequence, string enrollmentKey, CancellationToken cancellationToken) =>
        Task.FromResult<LifecycleEnrollment?>(new LifecycleEnrollment { AccountId = accountId, ContactId = contactId, Sequence = sequence, EnrollmentKey = enrollmentKey, EnrolledAt = enrolledAt });

    public Task<IReadOnlyList<LifecycleEnrollment>> GetEnrollmentsAsync(string accountId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task SaveEnrollmentsAsync(IReadOnlyList<LifecycleEnrollment> enrollments, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<LifecycleContactState> GetContactStateAsync(string contactId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new LifecycleContactState(contactId, _lastSent.TryGetValue(contactId, out var at) ? at : null));
        }
    }

    public Task<LifecyclePageState> GetPageStateAsync(IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task ShareContactStateAsync(string accountId, LifecycleContactState state, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> SuppressAsync(string contactId, string reason, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> WasSentAsync(string sendId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_sent.Contains(sendId));
        }
    }

    public Task RecordSentAsync(LifecycleSendMessage message, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _sent.Add(message.SendId);
            _lastSent[message.ContactId] = at;
        }

        return Task.CompletedTask;
    }

    public Task RecordRejectedAsync(LifecycleSendMessage message, string errorCode, DateTimeOffset at, CancellationToken cancellationToken) => Task.CompletedTask;
}
