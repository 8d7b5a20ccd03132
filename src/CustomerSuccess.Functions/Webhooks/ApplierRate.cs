namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// The applier's rate: events applied, and the wall time during which at least one page was being applied (pages
/// overlap, so their durations are not summed), logged when the app's day changes (a simulated run's days) or after
/// <see cref="Window"/> of wall time, whichever comes first, with that day. So a long run shows, day by day, whether
/// applying gets slower as the tables grow. Elapsed time comes from the provider's timestamp, which runs in real time
/// under a simulated clock too.
/// </summary>
internal sealed class ApplierRate(TimeProvider timeProvider, ILogger<ApplierRate> logger)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private long _windowStart = timeProvider.GetTimestamp();
    private DateOnly _day = DateOnly.FromDateTime(timeProvider.GetUtcNow().UtcDateTime);
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
        (int Applied, int Pages, TimeSpan Busy, DateOnly Day)? report = null;
        var now = timeProvider.GetTimestamp();
        var today = DateOnly.FromDateTime(timeProvider.GetUtcNow().UtcDateTime);
        lock (_gate)
        {
            _applied += applied;
            _pages++;
            if (--_active == 0)
            {
                _busy += timeProvider.GetElapsedTime(_busySince, now);
            }

            if (today != _day || timeProvider.GetElapsedTime(_windowStart, now) >= Window)
            {
                if (_active > 0)
                {
                    // Pages still running: count their time so far in this window, the rest in the next.
                    _busy += timeProvider.GetElapsedTime(_busySince, now);
                    _busySince = now;
                }

                if (_applied > 0)
                {
                    report = (_applied, _pages, _busy, _day);
                }

                (_applied, _pages, _busy, _windowStart, _day) = (0, 0, TimeSpan.Zero, now, today);
            }
        }

        if (report is { } r && logger.IsEnabled(LogLevel.Information))
        {
            var seconds = Math.Max(r.Busy.TotalSeconds, 0.001);
            WebhookLog.ApplierRate(logger, r.Applied, r.Pages, seconds, r.Applied / seconds, r.Day);
        }
    }
}
