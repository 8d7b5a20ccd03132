using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Benchmarks.Lifecycle;

/// <summary>
/// `dotnet run -c Release -- lifecycle-fleet [processes=4] [perMinute=600] [minutes=3] [concurrency=16] [perHour=60×perMinute]`:
/// one email quota, several app processes. Starts Azurite (in memory, free port), then that many separate OS processes
/// of this program (<c>lifecycle-fleet-worker</c>), each with its own <see cref="FleetSendRateLimiter"/> and table
/// client against the one Azurite, each running the real <see cref="LifecycleSendProcessor"/> on its share of a backlog
/// twice what the quota allows in the run, <c>concurrency</c> deliveries at a time (the host's maxConcurrentCalls).
/// Every process starts at the same instant and stops after <c>minutes</c> on the system clock. Each email handed to
/// the (accepting) sender is a send. The coordinator merges the sends of all processes and checks the quota: no more
/// than perMinute in any 60 s, sliding, or in any minute of the run; at least 95% of perMinute × minutes used; backlog
/// left at the end. Exit code 0 when all hold.
/// <para>Stand-ins, per process: an in-memory ledger and facts, and two in-process scheduled queues instead of Service
/// Bus's lifecycle-send and lifecycle-send-reserved, each with <c>concurrency</c> consumers (a deferred send comes back
/// to the process that deferred it, no earlier than its scheduled time, behind whatever is already due).</para>
/// </summary>
internal static class LifecycleFleetLoad
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(string[] args)
    {
        var processes = Arg(args, 0, 4);
        var perMinute = Arg(args, 1, 600);
        var minutes = Arg(args, 2, 3);
        var concurrency = Arg(args, 3, 16);
        var perHour = Arg(args, 4, perMinute * 60);
        var backlog = 2 * perMinute * minutes;

        using var azurite = await LocalAzurite.StartAsync();
        var scope = "fleet-" + Guid.NewGuid().ToString("N")[..8];
        var work = Directory.CreateTempSubdirectory("cs-fleet-").FullName;

        // Lead time for every process to start, JIT and connect before the common start instant.
        var start = DateTimeOffset.UtcNow.AddSeconds(15);
        var end = start.AddMinutes(minutes);
        Console.WriteLine($"quota {perMinute}/min and {perHour}/h for the fleet; {processes} processes x {concurrency} deliveries at a time; backlog {backlog:N0} ({backlog / processes:N0} each); {minutes} min from {start:HH:mm:ss}Z");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} at the start");

        var workers = Enumerable.Range(0, processes).Select(i => StartWorker(
            [azurite.ConnectionString, scope, Str(perMinute), Str(perHour), Str(i), Str(backlog / processes), Str(start.ToUnixTimeMilliseconds()), Str(end.ToUnixTimeMilliseconds()), Str(concurrency), Path.Combine(work, $"worker-{i}.json")])).ToList();
        foreach (var worker in workers)
        {
            using var timeout = new CancellationTokenSource(end - DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2));
            await worker.WaitForExitAsync(timeout.Token);
        }

        var results = Enumerable.Range(0, processes).Select(i => JsonSerializer.Deserialize<WorkerResult>(File.ReadAllText(Path.Combine(work, $"worker-{i}.json")), Json)!).ToList();
        Directory.Delete(work, recursive: true);
        var ok = Report(results, perMinute, perHour, minutes, start);
        Console.WriteLine($"machine: load average {LoadAverage()} at the end");
        return ok && workers.All(w => w.ExitCode == 0) ? 0 : 1;
    }

    /// <summary>One app process: its own limiter, processor and queues; runs from start to end, then writes what it sent.</summary>
    public static async Task<int> RunWorkerAsync(string[] args)
    {
        var (connection, scope) = (args[0], args[1]);
        var (perMinute, perHour, index, backlog) = (int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture));
        var start = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(args[6], CultureInfo.InvariantCulture));
        var end = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(args[7], CultureInfo.InvariantCulture));
        var concurrency = int.Parse(args[8], CultureInfo.InvariantCulture);
        var output = args[9];

        var clock = TimeProvider.System;
        var options = LifecycleLoadKit.Options(perMinute, perHour, scope);
        var tables = new AppTables(StorageModule.CreateServiceClient(new TableStorageOptions { ConnectionString = connection }), [new DeclaredTable(FleetSendRateLimiter.TableName)], NullLogger<AppTables>.Instance);
        await tables.EnsureAsync(FleetSendRateLimiter.TableName, default);
        using var limiter = new FleetSendRateLimiter(tables, options, clock, NullLogger<FleetSendRateLimiter>.Instance);
        var queues = new LifecycleQueues();
        var email = new AcceptingEmailSender(clock);
        var facts = new BacklogFacts(backlog, start, prefix: $"p{index}_");
        var processor = LifecycleLoadKit.Processor(options, limiter, facts, email, queues, clock, start);

        var wait = start - clock.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        foreach (var message in facts.Backlog())
        {
            queues.Send.Add(message, start);
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var gate = new Lock();
        var firstPassLeft = backlog;
        var firstPassDone = end;
        // Each queue has its function, and each function its own concurrency (maxConcurrentCalls is per function).
        var consumers = new[] { queues.Send, queues.Reserved }.SelectMany(queue => Enumerable.Repeat(queue, concurrency));
        await Task.WhenAll(consumers.Select(queue => Task.Run(async () =>
        {
            while (clock.GetUtcNow() < end)
            {
                var (message, nextAt) = queue.TakeDue(clock.GetUtcNow());
                if (message is null)
                {
                    // Like the host's receive loop, pick up a message soon after it becomes visible.
                    var idle = nextAt is { } at ? at - clock.GetUtcNow() : TimeSpan.FromMilliseconds(50);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds, 1, 50)));
                    continue;
                }

                string outcome;
                try
                {
                    var result = await processor.ProcessAsync(message, default);
                    outcome = result.Outcome + (result.Reason is null ? string.Empty : " (" + result.Reason + ")");
                }
                catch (TableStorageUnavailableException)
                {
                    // The host would redeliver the message after its lock; here it comes back in a second.
                    queue.Add(message, clock.GetUtcNow().AddSeconds(1));
                    outcome = "storage unavailable";
                }

                lock (gate)
                {
                    counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
                    if (message.RateSlot is null && --firstPassLeft == 0)
                    {
                        firstPassDone = clock.GetUtcNow();
                    }
                }
            }
        })));

        var result = new WorkerResult(index, backlog, [.. email.SentAt().Select(t => t.UtcTicks)], (firstPassDone - start).TotalSeconds, counts, limiter.RoundTrips, limiter.Conflicts, limiter.LateReservations, limiter.LostTokens, queues.Send.Count + queues.Reserved.Count);
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, Json));
        return 0;
    }

    private static bool Report(List<WorkerResult> results, int perMinute, int perHour, int minutes, DateTimeOffset start)
    {
        static string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        var sends = results.SelectMany(r => r.Sends).Order().Select(t => new DateTimeOffset(t, TimeSpan.Zero)).ToList();
        var total = sends.Count;
        var deliveries = results.Sum(r => r.Outcomes.Values.Sum());
        List<int> ByMinute(IEnumerable<DateTimeOffset> times) => [.. Enumerable.Range(0, minutes).Select(m => times.Count(s => s >= start.AddMinutes(m) && s < start.AddMinutes(m + 1)))];
        var byMinute = ByMinute(sends);
        var maxSliding = LifecycleLoadKit.MaxInWindow(sends, TimeSpan.FromMinutes(1));
        var maxHour = LifecycleLoadKit.MaxInWindow(sends, TimeSpan.FromHours(1));
        var allowed = Math.Min(perMinute * minutes, perHour * minutes / 60.0);
        var used = byMinute.Sum() / allowed;
        var left = results.Sum(r => r.Remaining);

        Console.WriteLine($"sent {total:N0} by {results.Count} processes ({string.Join(" + ", results.Select(r => r.Sends.Length.ToString("N0", CultureInfo.InvariantCulture)))}); backlog left at the end {left:N0}");
        foreach (var r in results)
        {
            Console.WriteLine($"process {r.Index} per minute of the run: {string.Join(", ", ByMinute(r.Sends.Select(t => new DateTimeOffset(t, TimeSpan.Zero))))}");
        }

        Console.WriteLine($"all processes per minute of the run: {string.Join(", ", byMinute)} (quota {perMinute}); most in any 60 s, sliding: {maxSliding}; in any hour: {maxHour} (quota {perHour})");
        Console.WriteLine($"quota used while the backlog lasted: {F(100 * used)}% ({byMinute.Sum():N0} of {allowed:N0} in the {minutes} min)");
        var firstPass = TimeSpan.FromSeconds(results.Max(r => r.FirstPassSeconds));
        var afterFirstPass = sends.Count(s => s >= start + firstPass && s < start.AddMinutes(minutes));
        var allowedAfter = Math.Min(perMinute * (minutes - firstPass.TotalMinutes), perHour * (minutes - firstPass.TotalMinutes) / 60);
        Console.WriteLine($"first pass over the backlog (each message delivered once) took {F(firstPass.TotalSeconds)} s (per process: {string.Join(", ", results.Select(r => F(r.FirstPassSeconds)))}); quota used after it: {F(100 * afterFirstPass / allowedAfter)}%");
        Console.WriteLine($"deliveries {deliveries:N0}: the first pass over every message, then {deliveries - results.Sum(r => r.Backlog):N0} on reserved slots ({F((deliveries - left) / (double)Math.Max(1, total))} per email sent, first pass included); table round trips {results.Sum(r => r.RoundTrips):N0} ({results.Sum(r => r.RoundTrips) / (double)Math.Max(1, total):0.00} per send); write conflicts {results.Sum(r => r.Conflicts):N0}");
        Console.WriteLine($"tokens lost: reservations that came back too late {results.Sum(r => r.LateReservations):N0}, leased or granted but not spent in time {results.Sum(r => r.LostTokens):N0}");
        Console.WriteLine("outcomes: " + string.Join(", ", results.SelectMany(r => r.Outcomes).GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(o => o.Value):N0}")));

        var checks = new (string What, bool Holds)[]
        {
            ("no 60 s window over the quota", maxSliding <= perMinute),
            ("no minute of the run over the quota", byMinute.All(c => c <= perMinute)),
            ("no hour over the hourly quota", maxHour <= perHour),
            ("at least 95% of the quota used", used >= 0.95),
            ("a backlog left throughout", left > 0),
        };
        foreach (var (what, holds) in checks)
        {
            Console.WriteLine($"{(holds ? "PASS" : "FAIL")}: {what}");
        }

        return checks.All(c => c.Holds);
    }

    private static Process StartWorker(string[] arguments)
    {
        // Under `dotnet run` this is the app host; run as `dotnet x.dll`, the host needs the assembly first.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var psi = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        psi.ArgumentList.Add("lifecycle-fleet-worker");
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("could not start a worker process");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int Arg(string[] args, int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record WorkerResult(int Index, int Backlog, long[] Sends, double FirstPassSeconds, Dictionary<string, int> Outcomes, long RoundTrips, long Conflicts, long LateReservations, long LostTokens, int Remaining);
}
