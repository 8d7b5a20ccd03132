namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// "At most <see cref="Limit"/> sends in any window of one <see cref="Period"/>" as a token bucket of
/// <see cref="Capacity"/> tokens refilled one per <see cref="Interval"/>. The bucket is kept as the instant it is full
/// again (its theoretical arrival time, as in GCRA), in whole ticks, so every decision is exact integer arithmetic and
/// one number per rule is all the state the fleet shares. A token is taken at a stamp: now, or a future instant for
/// which it is reserved, and spent from its stamp for at most <see cref="SendQuota.LeaseLifetime"/>.
/// <para>Why the interval is what it is: a send spent in a window [t, t + period) was stamped no earlier than
/// <see cref="SendQuota.SpendSlack"/> before t by the clock of whoever stamped it (a token lives a lease lifetime;
/// clocks differ by up to the skew allowance), and a bucket admits fewer than span / interval + capacity stamps in
/// any span, in whatever order they are written. With interval = (period + slack) / (limit + 1 − capacity) that is
/// fewer than limit + 1. So no window of one period sees more than <see cref="Limit"/> sends, while a steady
/// backlog gets period / (period + slack) · (limit + 1 − capacity) / limit of the quota.</para>
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

    /// <summary>The earliest stamp (ticks) at which the bucket, full again at <paramref name="fullAt"/>, has a token.</summary>
    public long FirstTokenAt(long fullAt) => fullAt - ((Capacity - 1) * Interval);

    /// <summary>The bucket's full-again instant after one token is taken at <paramref name="stamp"/> (no earlier than <see cref="FirstTokenAt"/>).</summary>
    public long Take(long fullAt, long stamp) => Math.Max(fullAt, stamp) + Interval;
}

/// <summary>What the fleet shares about its quota (UTC ticks). The default value is a fresh quota: both buckets full.</summary>
public readonly record struct SendQuotaState(long MinuteFullAt, long HourFullAt, long PausedUntil);

/// <summary>
/// One decision for a group of callers: the first <see cref="Granted"/> may send now (beyond the callers, tokens to
/// lease), each of the others is <see cref="Reserved"/> a later slot, in order; and the state to write back.
/// </summary>
public sealed record SendQuotaAdmission(SendQuotaState State, int Granted, IReadOnlyList<DateTimeOffset> Reserved);

/// <summary>
/// The fleet-wide lifecycle send quota (<c>Lifecycle__RatePerMinute</c> and <c>Lifecycle__RatePerHour</c>): two
/// <see cref="SendQuotaRule"/> buckets that must both grant, and a pause the email provider can impose (429
/// Retry-After). A send that cannot go now is reserved the next free token instead: the bucket itself is the queue,
/// so a send already waiting is never overtaken by one that arrives later. Pure: state in, state out, the time
/// passed in; storage and clock are <see cref="FleetSendRateLimiter"/>'s.
/// </summary>
public sealed class SendQuota
{
    /// <summary>How long after its stamp (the take's request, or a reserved slot) a token may be spent; later it is lost.</summary>
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(1);

    /// <summary>How far the clocks of two instances may differ (hosts are NTP-synchronised; this is generous).</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMilliseconds(250);

    /// <summary>How long before a window a send it contains may have been stamped.</summary>
    public static readonly TimeSpan SpendSlack = LeaseLifetime + ClockSkewAllowance;

    public SendQuota(int perMinute, int perHour)
    {
        PerMinute = new SendQuotaRule(perMinute, TimeSpan.FromMinutes(1), SpendSlack);
        PerHour = new SendQuotaRule(perHour, TimeSpan.FromHours(1), SpendSlack);
        MaxLease = Math.Min(PerMinute.Capacity, PerHour.Capacity);
    }

    public SendQuota(LifecycleOptions options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).RatePerMinute, options.RatePerHour)
    {
    }

    public SendQuotaRule PerMinute { get; }

    public SendQuotaRule PerHour { get; }

    /// <summary>Most tokens that can be granted at one instant.</summary>
    public int MaxLease { get; }

    /// <summary>
    /// Admits <paramref name="callers"/> sends in order: each gets a token now if both buckets have one and no pause
    /// is on, otherwise the earliest instant both will have one (after the pause), reserved for it. Then up to
    /// <paramref name="prefetch"/> more tokens, only as many as are free now (a lease).
    /// </summary>
    public SendQuotaAdmission Admit(SendQuotaState state, DateTimeOffset now, int callers, int prefetch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(callers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        var t = now.UtcTicks;
        var from = Math.Max(t, state.PausedUntil);
        var (minute, hour) = (state.MinuteFullAt, state.HourFullAt);
        var granted = 0;
        var reserved = new List<DateTimeOffset>();
        for (var i = 0; i < callers + prefetch; i++)
        {
            var stamp = Math.Max(from, Math.Max(PerMinute.FirstTokenAt(minute), PerHour.FirstTokenAt(hour)));
            if (stamp > t)
            {
                if (i >= callers)
                {
                    break;
                }

                reserved.Add(new DateTimeOffset(stamp, TimeSpan.Zero));
            }
            else
            {
                granted++;
            }

            minute = PerMinute.Take(minute, stamp);
            hour = PerHour.Take(hour, stamp);
        }

        return new SendQuotaAdmission(state with { MinuteFullAt = minute, HourFullAt = hour }, granted, reserved);
    }

    /// <summary>No token is stamped before <paramref name="until"/> (an earlier pause already in force stays longer).</summary>
    public static SendQuotaState Pause(SendQuotaState state, DateTimeOffset until) =>
        state with { PausedUntil = Math.Max(state.PausedUntil, until.UtcTicks) };

    /// <summary>Whether a send reserved <paramref name="slot"/> may spend its token at <paramref name="now"/>: from the slot for one lease lifetime.</summary>
    public static bool CanSpendReservation(DateTimeOffset slot, DateTimeOffset now) => now >= slot && now < slot + LeaseLifetime;
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
    /// <summary>Leased tokens that expired, or were dropped, unspent.</summary>
    public long Lost { get; private set; }

    /// <summary>Until when the tokens held may be spent.</summary>
    public DateTimeOffset ExpiresAt => new(_expiresAt, TimeSpan.Zero);

    public bool TryTake(DateTimeOffset now)
    {
        if (_count > 0 && now.UtcTicks < _expiresAt)
        {
            _count--;
            _recentSpends.Enqueue(now.UtcTicks);
            return true;
        }

        Drop();
        return false;
    }

    /// <summary>Holds <paramref name="count"/> tokens from a take whose request was sent at <paramref name="requestedAt"/>;
    /// anything left of the previous lease is dropped.</summary>
    public void Hold(int count, DateTimeOffset requestedAt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Drop();
        _count = count;
        _expiresAt = (requestedAt + SendQuota.LeaseLifetime).UtcTicks;
    }

    /// <summary>Counts a send this instance made with a token it did not lease (granted to the caller, or reserved).</summary>
    public void RecordSpend(DateTimeOffset now) => _recentSpends.Enqueue(now.UtcTicks);

    public void Drop()
    {
        Lost += _count;
        _count = 0;
    }

    /// <summary>
    /// Tokens to ask for beyond the <paramref name="callers"/> waiting now: half of what this instance spent during the
    /// last lease lifetime, less the callers, so a steady sender rarely pays a round trip per send and a lease is rarely
    /// outlived (an expired token is a send the quota allowed and nobody made). At most the lease's maximum in all.
    /// </summary>
    public int PrefetchFor(int callers, DateTimeOffset now)
    {
        var since = (now - SendQuota.LeaseLifetime).UtcTicks;
        while (_recentSpends.Count > 0 && _recentSpends.Peek() < since)
        {
            _recentSpends.Dequeue();
        }

        return Math.Max(0, Math.Min(maxLease, _recentSpends.Count / 2) - callers);
    }
}
