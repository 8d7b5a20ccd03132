namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// "At most <see cref="Limit"/> sends in any window of one <see cref="Period"/>" as a token bucket of
/// <see cref="Capacity"/> tokens refilled one per <see cref="Interval"/>. The bucket is kept as the instant it is full
/// again (its theoretical arrival time, as in GCRA), in whole ticks, so every decision is exact integer arithmetic and
/// one number per rule is all the state the fleet shares.
/// <para>Why the interval is what it is: a send spent in a window [t, t + period) was taken from the bucket no earlier
/// than <see cref="SendQuota.SpendSlack"/> before t (a leased token lives that long; clocks differ by up to the
/// skew allowance in it), and a bucket admits fewer than span / interval + capacity takes in any span. With
/// interval = (period + slack) / (limit + 1 − capacity) that is fewer than limit + 1. Hence, whatever the timing
/// of takes and spends across processes, no window of one period sees more than <see cref="Limit"/> sends, while
/// a steady backlog still gets period / (period + slack) · (limit + 1 − capacity) / limit of the quota.</para>
/// </summary>
public sealed record SendQuotaRule
{
    public SendQuotaRule(int limit, TimeSpan period, TimeSpan spendSlack)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(spendSlack, TimeSpan.Zero);
        Limit = limit;
        Period = period;

        // One more token per 200 of the limit may be taken at once (a lease); each costs 0.5% of the quota in steady state.
        Capacity = 1 + (limit / 200);

        // Rounded up: a shorter interval would admit a fraction of a send too many.
        Interval = (long)Math.Ceiling((period + spendSlack).Ticks / (double)(limit + 1 - Capacity));
    }

    public int Limit { get; }

    public TimeSpan Period { get; }

    /// <summary>Most tokens the bucket holds, and so the most one take can lease.</summary>
    public int Capacity { get; }

    /// <summary>Ticks between two tokens.</summary>
    public long Interval { get; }

    /// <summary>Whole tokens in the bucket at <paramref name="now"/> (ticks) when it is full again at <paramref name="fullAt"/>.</summary>
    public int Available(long fullAt, long now)
    {
        var owed = Math.Max(0, fullAt - now);

        // A process whose clock is behind the last writer's sees the debt as larger: it takes later, never earlier.
        return (int)Math.Max(0, Capacity - CeilingDivide(owed, Interval));
    }

    /// <summary>The bucket's full-again instant after <paramref name="count"/> tokens are taken at <paramref name="now"/>.</summary>
    public long Take(long fullAt, long now, int count) => Math.Max(fullAt, now) + (count * Interval);

    /// <summary>Ticks from <paramref name="now"/> until one token is in the bucket (0 when one is).</summary>
    public long WaitForOne(long fullAt, long now) => Math.Max(0, fullAt - now - ((Capacity - 1) * Interval));

    private static long CeilingDivide(long value, long divisor) => (value + divisor - 1) / divisor;
}

/// <summary>What the fleet shares about its quota (UTC ticks). The default value is a fresh quota: both buckets full.</summary>
public readonly record struct SendQuotaState(long MinuteFullAt, long HourFullAt, long PausedUntil);

/// <summary>The outcome of one take: the state to write back, how many tokens it granted, and when one is next free if none.</summary>
public readonly record struct SendQuotaTake(SendQuotaState State, int Granted, TimeSpan RetryAfter);

/// <summary>
/// The fleet-wide lifecycle send quota (<c>Lifecycle__RatePerMinute</c> and <c>Lifecycle__RatePerHour</c>): two
/// <see cref="SendQuotaRule"/> buckets that must both grant, a pause the email provider can impose (429 Retry-After),
/// and the schedule of slots for refused sends. Pure: state in, state out, the time passed in; the storage and the
/// clock are <see cref="FleetSendRateLimiter"/>'s.
/// </summary>
public sealed class SendQuota
{
    /// <summary>How long tokens from one take may be spent after the take's request was sent; later they are dropped.</summary>
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(1);

    /// <summary>How far the clocks of two instances may differ (hosts are NTP-synchronised; this is generous).</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMilliseconds(250);

    /// <summary>How long before a window a send it contains may have been taken from the bucket.</summary>
    public static readonly TimeSpan SpendSlack = LeaseLifetime + ClockSkewAllowance;

    public SendQuota(int perMinute, int perHour)
    {
        PerMinute = new SendQuotaRule(perMinute, TimeSpan.FromMinutes(1), SpendSlack);
        PerHour = new SendQuotaRule(perHour, TimeSpan.FromHours(1), SpendSlack);
        MaxLease = Math.Min(PerMinute.Capacity, PerHour.Capacity);
        SlotSpacing = TimeSpan.FromTicks(Math.Max(PerMinute.Interval, PerHour.Interval));
    }

    public SendQuota(LifecycleOptions options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).RatePerMinute, options.RatePerHour)
    {
    }

    public SendQuotaRule PerMinute { get; }

    public SendQuotaRule PerHour { get; }

    /// <summary>Most tokens one take may grant.</summary>
    public int MaxLease { get; }

    /// <summary>Time between two tokens at the steady rate (the slower rule decides): the spacing of promised slots.</summary>
    public TimeSpan SlotSpacing { get; }

    /// <summary>Takes up to <paramref name="wanted"/> tokens (at most <see cref="MaxLease"/>), as many as both rules grant.</summary>
    public SendQuotaTake Take(SendQuotaState state, DateTimeOffset now, int wanted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wanted, 1);
        var t = now.UtcTicks;
        if (t < state.PausedUntil)
        {
            return new SendQuotaTake(state, 0, TimeSpan.FromTicks(state.PausedUntil - t));
        }

        var granted = Math.Min(Math.Min(wanted, MaxLease), Math.Min(PerMinute.Available(state.MinuteFullAt, t), PerHour.Available(state.HourFullAt, t)));
        if (granted == 0)
        {
            var wait = Math.Max(PerMinute.WaitForOne(state.MinuteFullAt, t), PerHour.WaitForOne(state.HourFullAt, t));
            return new SendQuotaTake(state, 0, TimeSpan.FromTicks(Math.Max(1, wait)));
        }

        var taken = state with
        {
            MinuteFullAt = PerMinute.Take(state.MinuteFullAt, t, granted),
            HourFullAt = PerHour.Take(state.HourFullAt, t, granted),
        };
        return new SendQuotaTake(taken, granted, TimeSpan.Zero);
    }

    /// <summary>No take is granted before <paramref name="until"/> (an earlier pause already in force stays longer).</summary>
    public static SendQuotaState Pause(SendQuotaState state, DateTimeOffset until) =>
        state with { PausedUntil = Math.Max(state.PausedUntil, until.UtcTicks) };

    /// <summary>
    /// Slots for <paramref name="count"/> refused sends: the first no earlier than <paramref name="retryAfter"/> from now,
    /// each <see cref="SlotSpacing"/> after the slot promised before it (<paramref name="lastPromised"/>, ticks, shared by
    /// the fleet), so a backlog returns at the rate tokens refill instead of all at once. Returns the new last-promised slot.
    /// </summary>
    public (long LastPromised, IReadOnlyList<DateTimeOffset> Slots) PromiseSlots(long lastPromised, DateTimeOffset now, TimeSpan retryAfter, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var spacing = SlotSpacing.Ticks;
        var next = Math.Max((now + retryAfter).UtcTicks, lastPromised == 0 ? 0 : lastPromised + spacing);
        var slots = new DateTimeOffset[count];
        for (var i = 0; i < count; i++)
        {
            slots[i] = new DateTimeOffset(next, TimeSpan.Zero);
            next += spacing;
        }

        return (slots[^1].UtcTicks, slots);
    }
}

/// <summary>
/// The tokens one instance holds from its last take, usable until the take's request time plus
/// <see cref="SendQuota.LeaseLifetime"/>; after that they are dropped, never spent (the quota's bound counts on it).
/// Also decides how many tokens the next take asks for. Not thread-safe: its owner serialises calls.
/// </summary>
public sealed class SendTokenLease(int maxLease)
{
    private readonly Queue<long> _recentSpends = new();
    private int _count;
    private long _expiresAt;

    /// <summary>Spends one leased token if one is left and the lease has not expired.</summary>
    public bool TryTake(DateTimeOffset now)
    {
        if (_count > 0 && now.UtcTicks < _expiresAt)
        {
            _count--;
            _recentSpends.Enqueue(now.UtcTicks);
            return true;
        }

        _count = 0;
        return false;
    }

    /// <summary>Holds <paramref name="count"/> tokens from a take whose request was sent at <paramref name="requestedAt"/>;
    /// anything left of the previous lease is dropped.</summary>
    public void Hold(int count, DateTimeOffset requestedAt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _count = count;
        _expiresAt = (requestedAt + SendQuota.LeaseLifetime).UtcTicks;
    }

    /// <summary>Spends one token granted to a caller directly by a take (counted for the next lease's size).</summary>
    public void RecordSpend(DateTimeOffset now) => _recentSpends.Enqueue(now.UtcTicks);

    public void Drop() => _count = 0;

    /// <summary>
    /// Tokens the next take asks for: one per caller waiting now, or half of what this instance spent during the last
    /// lease lifetime if that is more, so a steady sender rarely pays a round trip per send and a lease is rarely
    /// outlived (an expired token is a send the quota allowed and nobody made). At most the lease's maximum.
    /// </summary>
    public int NextTakeSize(int waiting, DateTimeOffset now)
    {
        var since = (now - SendQuota.LeaseLifetime).UtcTicks;
        while (_recentSpends.Count > 0 && _recentSpends.Peek() < since)
        {
            _recentSpends.Dequeue();
        }

        return Math.Clamp(Math.Max(waiting, _recentSpends.Count / 2), 1, maxLease);
    }
}
