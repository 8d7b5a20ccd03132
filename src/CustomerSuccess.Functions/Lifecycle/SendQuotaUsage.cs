using CustomerSuccess.Functions.Telemetry;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// How much of the lifecycle send quota this instance uses: its sends the provider accepted in the trailing minute and
/// hour, as a share of <c>Lifecycle__RatePerMinute</c> and <c>Lifecycle__RatePerHour</c>. Kept in memory from the sends
/// themselves (no read of the shared quota row), so summed over instances it is the fleet's share.
/// </summary>
public sealed class SendQuotaUsage
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private readonly Queue<DateTimeOffset> _sent = new();
    private readonly int _perMinute;
    private readonly int _perHour;
    private readonly TimeProvider _time;

    public SendQuotaUsage(LifecycleOptions options, TimeProvider time, AppMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _perMinute = Math.Max(1, options.RatePerMinute);
        _perHour = Math.Max(1, options.RatePerHour);
        _time = time;
        metrics.ObserveLifecycleQuota(Utilization);
    }

    /// <summary>One send accepted by the provider, now.</summary>
    public void Sent()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _sent.Enqueue(now);
            Forget(now);
        }
    }

    /// <summary>Sends in the trailing minute and hour as shares of their limits (1 = the limit reached).</summary>
    public (double Minute, double Hour) Utilization()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            Forget(now);
            var lastMinute = _sent.Count(at => at > now - Minute);
            return ((double)lastMinute / _perMinute, (double)_sent.Count / _perHour);
        }
    }

    private void Forget(DateTimeOffset now)
    {
        while (_sent.TryPeek(out var oldest) && oldest <= now - Hour)
        {
            _sent.Dequeue();
        }
    }
}
