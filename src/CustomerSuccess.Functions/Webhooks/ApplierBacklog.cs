using System.Collections.Concurrent;
using CustomerSuccess.Functions.Telemetry;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// The acknowledged deliveries this instance holds for applying: hinted after their 200 (waiting for a page worker) or
/// taken from the inbox by a sweep, until their page ends. A delivery whose page fails it goes back to the inbox and
/// counts again, with its first receipt time, when a sweep takes it once more. Read by the metrics collector from
/// memory, so a scrape costs no storage call; the readiness check is the one that asks the inbox itself.
/// </summary>
internal sealed class ApplierBacklog
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _held = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public ApplierBacklog(TimeProvider time, AppMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _time = time;
        metrics.ObserveWebhookBacklog(() => Count, () => OldestAge().TotalSeconds);
    }

    public int Count => _held.Count;

    public void Holding(DeliveryKey key, DateTimeOffset? receivedAt) => _held.TryAdd(key.EventKey, receivedAt ?? _time.GetUtcNow());

    public void Released(DeliveryKey key) => _held.TryRemove(key.EventKey, out _);

    /// <summary>How long the oldest held delivery has waited since it was received; zero when none is held.</summary>
    public TimeSpan OldestAge()
    {
        var oldest = DateTimeOffset.MaxValue;
        foreach (var (_, receivedAt) in _held)
        {
            if (receivedAt < oldest)
            {
                oldest = receivedAt;
            }
        }

        return oldest == DateTimeOffset.MaxValue ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, (_time.GetUtcNow() - oldest).Ticks));
    }
}
