using System.Diagnostics;
using System.Globalization;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.LocalRunner;

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
        var options = LifecycleLoadKit.Options(perMinute, perMinute * 60);

        var queue = new ScheduledQueue();
        var email = new AcceptingEmailSender(clock);
        var facts = new BacklogFacts(sends, clock.GetUtcNow());
        var processor = LifecycleLoadKit.Processor(options, new InProcessSendQuota(new SendQuota(options), clock), facts, email, queue, clock, clock.GetUtcNow());

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
        Console.WriteLine($"most in any 60 s window: {LifecycleLoadKit.MaxInWindow(sentAt, TimeSpan.FromMinutes(1))} (quota {perMinute}); in any hour: {LifecycleLoadKit.MaxInWindow(sentAt, TimeSpan.FromHours(1))} (quota {perMinute * 60})");
        Console.WriteLine($"wall time {F(wall.TotalSeconds)} s ({F(deliveries / Math.Max(wall.TotalSeconds, 1e-9))} deliveries/s through the send path)");
    }
}
