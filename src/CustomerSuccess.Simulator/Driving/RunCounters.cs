using System.Collections.Concurrent;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Simulator.Driving;

/// <summary>Everything the simulator sent and what the app answered, per provider; safe to update from concurrent senders.</summary>
internal sealed class RunCounters
{
    private readonly ProviderCounters[] _providers = [new(), new(), new()];

    public ProviderCounters For(Provider provider) => _providers[(int)provider];

    public IEnumerable<(Provider Provider, ProviderCounters Counters)> All =>
        Enum.GetValues<Provider>().Select(p => (p, For(p)));

    public long Requests => _providers.Sum(p => p.Requests);

    public long Events => _providers.Sum(p => p.Events);

    public long Acknowledged => _providers.Sum(p => p.Acknowledged);

    public long NotAcknowledged => _providers.Sum(p => p.NotAcknowledged);

    public long ClockSteps;

    /// <summary>
    /// Where the wall-clock time went. The simulator's own work: generating the day's events, packaging them into
    /// deliveries (batching, JSON), signing (summed over concurrent sends, so it may exceed its share of the wall
    /// time). Waiting on the app: sending (HTTP until every delivery is answered, signing included), settling after
    /// each step, reading its APIs during the run, collecting results at the end. Replaying the outcomes runs beside
    /// the run from its start; only the wait for it at the end adds to the wall time.
    /// </summary>
    public TimeSpan GenerateTime, PackTime, SendTime, SettleTime, ObserveTime, CollectTime, ProjectionTime, ProjectionWait;

    /// <summary>CPU the simulator process used over the run, on all threads: all of its own work, HTTP client included.</summary>
    public TimeSpan SimulatorCpu;

    private long _signTicks;

    public TimeSpan SignTime => TimeSpan.FromTicks(Interlocked.Read(ref _signTicks));

    public void AddSignTime(TimeSpan elapsed) => Interlocked.Add(ref _signTicks, elapsed.Ticks);

    public long EmailsSeen;

    public long AlertsAcknowledgedBySimulator;
}

internal sealed class ProviderCounters
{
    private long _requests;
    private long _events;
    private long _acknowledged;
    private long _notAcknowledged;
    private long _duplicates;
    private long _delayed;
    private long _unlinked;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Distinct provider events in the requests (batches count each message; duplicates are not counted again).</summary>
    public long Events => Interlocked.Read(ref _events);

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long NotAcknowledged => Interlocked.Read(ref _notAcknowledged);

    public long DuplicateDeliveries => Interlocked.Read(ref _duplicates);

    public long DelayedOutOfOrder => Interlocked.Read(ref _delayed);

    public long UnlinkedAtSend => Interlocked.Read(ref _unlinked);

    /// <summary>Non-2xx answers by status code (0 = no answer: connection error or timeout).</summary>
    public ConcurrentDictionary<int, long> Failures { get; } = new();

    public void Sent(int events, bool duplicate)
    {
        Interlocked.Increment(ref _requests);
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicates);
        }
        else
        {
            Interlocked.Add(ref _events, events);
        }
    }

    public void Answered(int status)
    {
        if (status is >= 200 and < 300)
        {
            Interlocked.Increment(ref _acknowledged);
        }
        else
        {
            Interlocked.Increment(ref _notAcknowledged);
            Failures.AddOrUpdate(status, 1, (_, n) => n + 1);
        }
    }

    public void Delayed() => Interlocked.Increment(ref _delayed);

    public void Unlinked(int n) => Interlocked.Add(ref _unlinked, n);
}
