using System.Diagnostics;
using System.Globalization;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.LocalRunner;
using CustomerSuccess.Functions.Messaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Benchmarks.Lifecycle;

/// <summary>
/// `dotnet run -c Release -- lifecycle [sends] [perMinute] [realSeconds]`: a backlog of due sends (default 10,000,
/// one per contact so the per-contact cap never applies) all visible at once, pushed through the real
/// <see cref="LifecycleSendProcessor"/> (ledger check, facts, exit re-check, cap, quiet hours, token buckets,
/// Handlebars render, unsubscribe headers, deferral by scheduled re-publish) with a fake email sender that
/// accepts at once, an in-memory lifecycle store and facts source, and a scheduled queue (deliver no earlier than
/// the scheduled time). The quota is perMinute (default 100) per minute and 60 × perMinute per hour.
/// <para>Clock: simulated by default (the clock jumps to the next scheduled delivery, so 10,000 sends take seconds
/// of wall time and the figures are exact); with realSeconds &gt; 0 the same loop runs on the system clock for that
/// many seconds and reports what it sent.</para>
/// </summary>
internal static class LifecycleSendLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sends = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var perMinute = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var realSeconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0;
        var start = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
        TimeProvider clock = realSeconds > 0 ? TimeProvider.System : new SimulatedTimeProvider(start);
        var options = new LifecycleOptions
        {
            RatePerMinute = perMinute,
            RatePerHour = perMinute * 60,
            QuietHours = new QuietHoursOptions { Start = new TimeOnly(0, 0), End = new TimeOnly(0, 0) },
            UnsubscribeBaseUrl = new Uri("https://cs.example.com/api/lifecycle/unsubscribe"),
            UnsubscribeSigningKey = "benchmark-only-key-0123456789abcdef0123456789",
        };

        var queue = new ScheduledQueue();
        var email = new AcceptingEmailSender();
        var facts = new BacklogFacts(sends, clock.GetUtcNow());
        var processor = new LifecycleSendProcessor(
            new MemoryLifecycleStore(clock.GetUtcNow()),
            facts,
            new LifecycleSequenceEngine(options),
            new SendCapPolicy(options),
            new SendRateLimiter(options, clock),
            new LifecycleTemplateRenderer(TemplateRoot()),
            new UnsubscribeLinkSigner(options),
            email,
            queue,
            clock,
            NullLogger<LifecycleSendProcessor>.Instance);

        var now = clock.GetUtcNow();
        foreach (var message in facts.Backlog())
        {
            queue.Add(message, now);
        }

        var sentAt = new List<DateTimeOffset>(sends);
        var deliveries = 0;
        var deferrals = new Dictionary<string, int>(StringComparer.Ordinal);
        var wall = Stopwatch.StartNew();
        var deadline = realSeconds > 0 ? now.AddSeconds(realSeconds) : DateTimeOffset.MaxValue;
        while (queue.TryPeek(out var visibleAt) && sentAt.Count < sends)
        {
            var current = clock.GetUtcNow();
            if (visibleAt > deadline)
            {
                break;
            }

            if (visibleAt > current)
            {
                if (clock is SimulatedTimeProvider simulated)
                {
                    simulated.AdvanceTo(visibleAt);
                }
                else
                {
                    await Task.Delay(visibleAt - current);
                }
            }

            var message = queue.Take();
            deliveries++;

            var result = await processor.ProcessAsync(message, CancellationToken.None);
            if (result.Outcome == LifecycleSendOutcome.Sent)
            {
                sentAt.Add(clock.GetUtcNow());
            }
            else if (result.Outcome == LifecycleSendOutcome.Deferred)
            {
                deferrals[result.Reason ?? "?"] = deferrals.GetValueOrDefault(result.Reason ?? "?") + 1;
            }
            else
            {
                Console.Error.WriteLine($"unexpected outcome {result.Outcome}: {result.Reason}");
                return 1;
            }
        }

        wall.Stop();
        Report(sends, perMinute, realSeconds, sentAt, deliveries, email.Count, wall.Elapsed);
        Console.WriteLine("deferrals: " + string.Join(", ", deferrals.Select(d => $"{d.Key} {d.Value}")));
        return 0;
    }

    private static void Report(int backlog, int perMinute, int realSeconds, List<DateTimeOffset> sentAt, int deliveries, int emails, TimeSpan wall)
    {
        static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
        var span = sentAt.Count > 1 ? sentAt[^1] - sentAt[0] : TimeSpan.Zero;
        var rate = span > TimeSpan.Zero ? (sentAt.Count - 1) / span.TotalMinutes : 0;
        Console.WriteLine($"clock: {(realSeconds > 0 ? $"system, {realSeconds} s" : "simulated")}; backlog {backlog}; quota {perMinute}/min and {perMinute * 60}/h");
        Console.WriteLine($"sent {sentAt.Count} (email sender called {emails} times) in {F(span.TotalMinutes)} min of app time; {deliveries} deliveries ({F(deliveries / (double)Math.Max(1, sentAt.Count))} per send)");
        Console.WriteLine($"average rate {F(rate)}/min = {F(100 * rate / perMinute)}% of the quota");
        Console.WriteLine($"most in any 60 s window: {MaxInWindow(sentAt, TimeSpan.FromMinutes(1))} (quota {perMinute}); in any hour: {MaxInWindow(sentAt, TimeSpan.FromHours(1))} (quota {perMinute * 60})");
        Console.WriteLine($"wall time {F(wall.TotalSeconds)} s ({F(deliveries / Math.Max(wall.TotalSeconds, 1e-9))} deliveries/s through the send path)");
    }

    /// <summary>Most sends in any window [t, t + window) (two pointers over the sorted times).</summary>
    private static int MaxInWindow(List<DateTimeOffset> times, TimeSpan window)
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

    private static string TemplateRoot()
    {
        if (Directory.Exists(LifecycleTemplateRenderer.DefaultRoot))
        {
            return LifecycleTemplateRenderer.DefaultRoot;
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CustomerSuccess.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? ".", "src", "CustomerSuccess.Functions", "Lifecycle", "Templates");
    }

    /// <summary>Delivers no message before its scheduled time, earliest first (what the broker does for scheduled messages).</summary>
    private sealed class ScheduledQueue : IMessagePublisher
    {
        private readonly PriorityQueue<LifecycleSendMessage, (DateTimeOffset, long)> _queue = new();
        private long _sequence;

        public void Add(LifecycleSendMessage message, DateTimeOffset visibleAt) => _queue.Enqueue(message, (visibleAt, _sequence++));

        public bool TryPeek(out DateTimeOffset visibleAt)
        {
            var any = _queue.TryPeek(out _, out var priority);
            visibleAt = priority.Item1;
            return any;
        }

        public LifecycleSendMessage Take() => _queue.Dequeue();

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

    private sealed class AcceptingEmailSender : IEmailSender
    {
        public int Count { get; private set; }

        public Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
        {
            Count++;
            return Task.FromResult(new EmailSendResult(EmailSendStatus.Accepted, message.OperationId));
        }
    }

    /// <summary>100 contacts per account, each with one welcome due.</summary>
    private sealed class BacklogFacts(int sends, DateTimeOffset now) : ILifecycleFactsSource
    {
        private const int ContactsPerAccount = 100;
        private readonly Dictionary<string, LifecycleAccountFacts> _accounts = Enumerable.Range(0, (sends + ContactsPerAccount - 1) / ContactsPerAccount)
            .Select(a => new LifecycleAccountFacts
            {
                AccountId = "acct_" + a.ToString("D5", CultureInfo.InvariantCulture),
                Name = "Account " + a.ToString(CultureInfo.InvariantCulture),
                Segment = AccountSegment.Smb,
                SubscriptionStatus = "active",
                CustomerSince = now.AddHours(-1),
                ActiveUsers30d = 1,
                Contacts = [.. Enumerable.Range(0, ContactsPerAccount).Select(c => Contact(a, c))],
            })
            .ToDictionary(f => f.AccountId, StringComparer.Ordinal);

        public IEnumerable<LifecycleSendMessage> Backlog() => _accounts.Values
            .SelectMany(f => f.Contacts.Select(c => (f, c)))
            .Take(sends)
            .Select(x => new LifecycleSendMessage(
                LifecycleSendId.For(x.f.AccountId, LifecycleSequences.Onboarding, "welcome", "k", 0, x.c.ContactId), x.f.AccountId, x.c.ContactId, LifecycleSequences.Onboarding, "welcome", "k", 0));

        public Task<LifecycleAccountFacts?> GetAsync(string accountId, CancellationToken cancellationToken) =>
            Task.FromResult(_accounts.GetValueOrDefault(accountId));

        private static LifecycleContact Contact(int account, int contact)
        {
            var email = $"user{contact}@acct{account}.example";
            return new LifecycleContact(LifecycleContactId.For(email), email, "User");
        }
    }

    private sealed class MemoryLifecycleStore(DateTimeOffset enrolledAt) : ILifecycleStore
    {
        private readonly HashSet<string> _sent = new(StringComparer.Ordinal);
        private readonly Dictionary<string, DateTimeOffset> _lastSent = new(StringComparer.Ordinal);

        public Task<LifecycleEnrollment?> GetEnrollmentAsync(string accountId, string contactId, string sequence, string enrollmentKey, CancellationToken cancellationToken) =>
            Task.FromResult<LifecycleEnrollment?>(new LifecycleEnrollment { AccountId = accountId, ContactId = contactId, Sequence = sequence, EnrollmentKey = enrollmentKey, EnrolledAt = enrolledAt });

        public Task<IReadOnlyList<LifecycleEnrollment>> GetEnrollmentsAsync(string accountId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SaveEnrollmentsAsync(IReadOnlyList<LifecycleEnrollment> enrollments, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<LifecycleContactState> GetContactStateAsync(string contactId, CancellationToken cancellationToken) =>
            Task.FromResult(new LifecycleContactState(contactId, _lastSent.TryGetValue(contactId, out var at) ? at : null));

        public Task<LifecyclePageState> GetPageStateAsync(IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task ShareContactStateAsync(string accountId, LifecycleContactState state, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<bool> SuppressAsync(string contactId, string reason, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> WasSentAsync(string sendId, CancellationToken cancellationToken) => Task.FromResult(_sent.Contains(sendId));

        public Task RecordSentAsync(LifecycleSendMessage message, DateTimeOffset at, CancellationToken cancellationToken)
        {
            _sent.Add(message.SendId);
            _lastSent[message.ContactId] = at;
            return Task.CompletedTask;
        }

        public Task RecordRejectedAsync(LifecycleSendMessage message, string errorCode, DateTimeOffset at, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
