namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// The applier's rate, logged about every <see cref="Window"/> of wall time while it works: events applied, and the
/// wall time during which at least one page was being applied (pages overlap, so their durations are not summed),
/// with the app's clock, so a long run (the main job's simulated days) shows whether applying gets slower as the
/// tables grow. Elapsed time comes from the provider's timestamp, which runs in real time under a simulated clock too.
/// </summary>
internal sealed class ApplierRate(TimeProvider timeProvider, ILogger<ApplierRate> logger)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private long _windowStart = timeProvider.GetTimestamp();
    private int _active;
    private long _busySince;
    private TimeSpan _busy;
    private int _applied;
    private int _pages;

    /// <summary>A page starts.</summary>
    public void Started()
    {
        var now = timeProvider.GetTimestamp();
        lock (_gate)
        {
            if (_active++ == 0)
            {
                _busySince = now;
            }
        }
    }

    public void Ended(int applied)
    {
        (int Applied, int Pages, TimeSpan Busy)? report = null;
        var now = timeProvider.GetTimestamp();
        lock (_gate)
        {
            _applied += applied;
            _pages++;
            if (--_active == 0)
            {
                _busy += timeProvider.GetElapsedTime(_busySince, now);
            }

            if (timeProvider.GetElapsedTime(_windowStart, now) >= Window)
            {
                if (_active > 0)
                {
                    // Pages still running: count their time so far in this window, the rest in the next.
                    _busy += timeProvider.GetElapsedTime(_busySince, now);
                    _busySince = now;
                }

                if (_applied > 0)
                {
                    report = (_applied, _pages, _busy);
                }

                (_applied, _pages, _busy, _windowStart) = (0, 0, TimeSpan.Zero, now);
            }
        }

        if (report is { } r && logger.IsEnabled(LogLevel.Information))
        {
            var seconds = Math.Max(r.Busy.TotalSeconds, 0.001);
            var appDay = DateOnly.FromDateTime(timeProvider.GetUtcNow().UtcDateTime);
            WebhookLog.ApplierRate(logger, r.Applied, r.Pages, seconds, r.Applied / seconds, appDay);
        }
    }
}
