namespace CustomerSuccess.Functions.Alerts;

/// <summary>
/// The open alerts across accounts for the views that list or count them (the portfolio's tiers, the alerts page, my
/// day, <c>GET /api/alerts</c>, the renewal forecast). Reading them is a scan of the alerts table, resolved rows
/// included (1.1 s over 200,000 alert rows: docs/benchmarks.md, "Portfolio view"), too slow for every view of a
/// large portfolio. So each instance keeps the last read: fresh for <see cref="FreshFor"/>; after that, up to
/// <see cref="ServeStaleFor"/> old, a view gets it at once while a new read runs in the background; older than that,
/// the view waits for the read. Every alert change this instance writes (<see cref="AlertStore.Changed"/>) is applied
/// to the kept read at once (an alert no longer active leaves it, an active one replaces its earlier row), so a CSM
/// who acknowledges or resolves sees it on the next view without a scan; a change written by another instance shows
/// within <see cref="FreshFor"/>. The escalation path does not use this: it scans.
/// </summary>
public sealed class OpenAlertsCache
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ServeStaleFor = TimeSpan.FromMinutes(5);

    private readonly AlertStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Read? _last;
    private (long Version, Task<Read> Task)? _reading;
    private long _version;

    public OpenAlertsCache(AlertStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = time;
        store.Changed += Apply;
    }

    /// <summary>One read of the open alerts: when it started, and under which change count of this instance.</summary>
    public sealed record Read(IReadOnlyList<Alert> Alerts, DateTimeOffset ReadAt, long Version);

    /// <summary>The open alerts, as fresh as the rules above allow.</summary>
    public async Task<Read> GetAsync(CancellationToken cancellationToken)
    {
        Task<Read> reading;
        lock (_gate)
        {
            var age = _last is null ? TimeSpan.MaxValue : _time.GetUtcNow() - _last.ReadAt;
            var unchanged = _last is not null && _last.Version == _version;
            if (unchanged && age < FreshFor)
            {
                return _last!;
            }

            reading = StartReading();
            if (unchanged && age < ServeStaleFor)
            {
                return _last!;
            }
        }

        return await reading.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies alerts this instance has just written to the kept read. A read still in flight started before them, so
    /// it no longer replaces the kept one (its change count is older).
    /// </summary>
    public void Apply(IReadOnlyList<Alert> written)
    {
        ArgumentNullException.ThrowIfNull(written);
        lock (_gate)
        {
            _version++;
            if (_last is null)
            {
                return;
            }

            var keys = written.Select(a => (a.AccountId, a.RuleId)).ToHashSet();
            var alerts = _last.Alerts.Where(a => !keys.Contains((a.AccountId, a.RuleId))).Concat(written.Where(a => a.IsActive)).ToList();
            _last = new Read(alerts, _last.ReadAt, _version);
        }
    }

    // Under _gate: joins the read in flight when it started after the last change, else starts one.
    private Task<Read> StartReading()
    {
        if (_reading is { } inFlight && inFlight.Version == _version)
        {
            return inFlight.Task;
        }

        var version = _version;
        var task = ReadAsync(version);
        _reading = (version, task);
        // A read nobody waits for (a stale view started it) must not leave an unobserved exception behind.
        _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return task;
    }

    /// <summary>The read in flight, if any (tests wait on it instead of polling).</summary>
    internal Task<Read>? PendingRead
    {
        get
        {
            lock (_gate)
            {
                return _reading?.Task;
            }
        }
    }

    private async Task<Read> ReadAsync(long version)
    {
        // Off the caller's thread and lock first, so the read is registered as in flight before it can finish.
        await Task.Yield();
        try
        {
            var startedAt = _time.GetUtcNow();
            var alerts = new List<Alert>();
            await foreach (var alert in _store.ListActiveIndexedAsync(CancellationToken.None).ConfigureAwait(false))
            {
                alerts.Add(alert);
            }

            var read = new Read(alerts, startedAt, version);
            lock (_gate)
            {
                if (_last is null || _last.Version < version || (_last.Version == version && _last.ReadAt < startedAt))
                {
                    _last = read;
                }
            }

            return read;
        }
        finally
        {
            lock (_gate)
            {
                if (_reading is { } r && r.Version == version)
                {
                    _reading = null;
                }
            }
        }
    }
}
