namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// A token bucket on an injected clock. Holds at most <c>burst</c> tokens and refills at
/// <c>(limit - burst) / period</c>, so any window of one period admits at most <c>limit</c> sends while a steady
/// backlog still uses (limit - burst)/limit of the quota.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly double _capacity;
    private readonly double _tokensPerTick;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _lastTicks;

    public TokenBucket(int limit, TimeSpan period, TimeProvider timeProvider, int burst = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(burst, limit);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _capacity = burst;
        var refill = limit == burst ? limit : limit - burst;
        _tokensPerTick = refill / (double)period.Ticks;
        _tokens = burst;
        _lastTicks = timeProvider.GetUtcNow().UtcTicks;
    }

    /// <summary>Takes a token if one is available; otherwise says how long until one is.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            Refill();

            // Tolerance for floating-point refill: a caller that comes back exactly when its token is due gets it.
            if (_tokens >= 1 - 1e-9)
            {
                _tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = TimeSpan.FromTicks((long)Math.Ceiling((1 - _tokens) / _tokensPerTick));
            return false;
        }
    }

    /// <summary>Gives a token back (a send that did not happen after all, e.g. suppressed by a later check).</summary>
    public void Return()
    {
        lock (_gate)
        {
            _tokens = Math.Min(_capacity, _tokens + 1);
        }
    }

    private void Refill()
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (now > _lastTicks)
        {
            _tokens = Math.Min(_capacity, _tokens + ((now - _lastTicks) * _tokensPerTick));
            _lastTicks = now;
        }
    }
}

/// <summary>
/// The global lifecycle send limit: a per-minute and a per-hour bucket, both must grant. A caller that is refused
/// asks <see cref="NextSlot"/> when to come back: slots are handed out one refill interval apart, so a backlog of
/// thousands is deferred once each, arriving as tokens refill, instead of all retrying at the same instant.
/// </summary>
public sealed class SendRateLimiter
{
    private readonly TokenBucket _perMinute;
    private readonly TokenBucket _perHour;
    private readonly TimeProvider _time;
    private readonly TimeSpan _spacing;
    private readonly Lock _gate = new();
    private DateTimeOffset _lastPromised = DateTimeOffset.MinValue;

    public SendRateLimiter(LifecycleOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _perMinute = new TokenBucket(options.RatePerMinute, TimeSpan.FromMinutes(1), timeProvider);
        _perHour = new TokenBucket(options.RatePerHour, TimeSpan.FromHours(1), timeProvider);
        _spacing = Max(RefillInterval(options.RatePerMinute, TimeSpan.FromMinutes(1)), RefillInterval(options.RatePerHour, TimeSpan.FromHours(1)));
    }

    /// <summary>Time between two tokens at the steady refill rate (the slower bucket decides).</summary>
    public TimeSpan Spacing => _spacing;

    public bool TryAcquire(out TimeSpan retryAfter)
    {
        if (!_perMinute.TryTake(out retryAfter))
        {
            return false;
        }

        if (!_perHour.TryTake(out retryAfter))
        {
            _perMinute.Return();
            return false;
        }

        return true;
    }

    /// <summary>When a refused caller should try again: no earlier than <paramref name="retryAfter"/> from now, and one
    /// refill interval after the slot promised to the previous refused caller.</summary>
    public DateTimeOffset NextSlot(TimeSpan retryAfter)
    {
        lock (_gate)
        {
            var at = _time.GetUtcNow() + retryAfter;
            if (_lastPromised != DateTimeOffset.MinValue && _lastPromised + _spacing > at)
            {
                at = _lastPromised + _spacing;
            }

            _lastPromised = at;
            return at;
        }
    }

    // Rounded up to a whole tick: slots spaced a truncated interval apart would each arrive a fraction of a token short.
    private static TimeSpan RefillInterval(int limit, TimeSpan period) => TimeSpan.FromTicks((long)Math.Ceiling(period.Ticks / (double)(limit == 1 ? 1 : limit - 1)));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
