using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>Whether a send may go now, and if not, how long until the quota has room.</summary>
public readonly record struct SendPermit(bool Granted, TimeSpan RetryAfter)
{
    public static SendPermit Grant { get; } = new(true, TimeSpan.Zero);

    public static SendPermit Refuse(TimeSpan retryAfter) => new(false, retryAfter);
}

/// <summary>The lifecycle send quota as the send processor uses it: one quota for every instance of the app.</summary>
public interface ISendRateLimiter
{
    /// <summary>Takes one send from the quota, or says how long until one is free. Never grants on a storage failure (it throws).</summary>
    ValueTask<SendPermit> TryAcquireAsync(CancellationToken cancellationToken);

    /// <summary>When a refused send should come back: no earlier than <paramref name="retryAfter"/>, and one refill
    /// interval after the slot promised to the send refused before it, anywhere in the fleet.</summary>
    ValueTask<DateTimeOffset> NextSlotAsync(TimeSpan retryAfter, CancellationToken cancellationToken);

    /// <summary>The email provider refused with 429: no instance takes a send before <paramref name="until"/>.</summary>
    ValueTask PauseUntilAsync(DateTimeOffset until, CancellationToken cancellationToken);
}

/// <summary>
/// The quota's shared state, two rows of <see cref="FleetSendRateLimiter.TableName"/> under the scope's partition: the
/// token row (both buckets and the provider's pause, <see cref="SendQuotaState"/>) and the slot row (the last slot
/// promised to a refused send). Instants are UTC ticks.
/// </summary>
public sealed class SendQuotaRow : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public long MinuteFullAt { get; set; }

    public long HourFullAt { get; set; }

    public long PausedUntil { get; set; }

    public long LastPromisedSlot { get; set; }

    public SendQuotaState ToState() => new(MinuteFullAt, HourFullAt, PausedUntil);

    public static SendQuotaRow Tokens(string scope, SendQuotaState state) => new()
    {
        PartitionKey = scope,
        RowKey = FleetSendRateLimiter.TokensRow,
        MinuteFullAt = state.MinuteFullAt,
        HourFullAt = state.HourFullAt,
        PausedUntil = state.PausedUntil,
    };

    public static SendQuotaRow Slots(string scope, long lastPromised) => new()
    {
        PartitionKey = scope,
        RowKey = FleetSendRateLimiter.SlotsRow,
        LastPromisedSlot = lastPromised,
    };
}

/// <summary>
/// <see cref="SendQuota"/> shared by every instance through Table storage. Each take is a read of the token row and a
/// write guarded by its ETag; a write that loses the race (412, or 409 for the first insert) reads again after a
/// jittered pause, so the fleet can never take a token twice. One take may lease several tokens, held in this
/// instance for <see cref="SendQuota.LeaseLifetime"/> from the moment its request was sent: callers waiting at the
/// same time share one round trip, and a steady sender prefetches. A lease left when the instance stops, or outlived,
/// is a send the quota allowed and nobody made; it is never spent late, which is what keeps the bound.
/// Concurrent refusals are promised their slots in one write per instance, for the same reason.
/// </summary>
public sealed partial class FleetSendRateLimiter : ISendRateLimiter, IDisposable
{
    public const string TableName = "LifecycleSendQuota";
    internal const string TokensRow = "tokens";
    internal const string SlotsRow = "slots";

    /// <summary>Writes tried per decision before giving up; a send that gives up waits (it is never sent without a token).</summary>
    internal const int MaxAttempts = 8;

    private readonly AppTable _table;
    private readonly SendQuota _quota;
    private readonly string _scope;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetSendRateLimiter> _logger;
    private readonly Lock _gate = new();
    private readonly SendTokenLease _lease;
    private readonly SemaphoreSlim _taker = new(1, 1);
    private readonly SemaphoreSlim _slotWriter = new(1, 1);
    private int _waiting;
    private DateTimeOffset _emptyUntil = DateTimeOffset.MinValue;
    private SlotRequest? _pendingSlots;
    private long _roundTrips;
    private long _conflicts;

    public FleetSendRateLimiter(AppTables tables, LifecycleOptions options, TimeProvider time, ILogger<FleetSendRateLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        _table = tables[TableName];
        _quota = new SendQuota(options);
        _scope = options.SendQuotaScope;
        _time = time;
        _logger = logger;
        _lease = new SendTokenLease(_quota.MaxLease);
    }

    /// <summary>Table round trips this instance made (reads and writes), for the load figures.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Conditional writes this instance lost to another writer (each is read again and retried).</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    public async ValueTask<SendPermit> TryAcquireAsync(CancellationToken cancellationToken)
    {
        if (TryLocally() is { } local)
        {
            return local;
        }

        Interlocked.Increment(ref _waiting);
        try
        {
            // One take in flight per instance; whoever waited behind it usually finds its token in the lease.
            await _taker.WaitAsync(cancellationToken);
            try
            {
                if (TryLocally() is { } leased)
                {
                    return leased;
                }

                int wanted;
                lock (_gate)
                {
                    wanted = _lease.NextTakeSize(Volatile.Read(ref _waiting), _time.GetUtcNow());
                }

                var (take, requestedAt) = await TakeAsync(wanted, cancellationToken);
                lock (_gate)
                {
                    if (take.Granted == 0)
                    {
                        // Nothing can refill before then, so until then refuse without asking.
                        _emptyUntil = requestedAt + take.RetryAfter;
                        return SendPermit.Refuse(take.RetryAfter);
                    }

                    _lease.Hold(take.Granted, requestedAt);
                    if (_lease.TryTake(_time.GetUtcNow()))
                    {
                        return SendPermit.Grant;
                    }
                }

                // The round trip outlived the lease: those tokens are dropped rather than spent late.
                Log.LeaseOutlived(_logger, take.Granted, SendQuota.LeaseLifetime);
                return SendPermit.Refuse(_quota.SlotSpacing);
            }
            finally
            {
                _taker.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public async ValueTask<DateTimeOffset> NextSlotAsync(TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        SlotRequest request;
        int index;
        lock (_gate)
        {
            request = _pendingSlots ??= new SlotRequest();
            index = request.Count++;
            request.RetryAfter = retryAfter > request.RetryAfter ? retryAfter : request.RetryAfter;
        }

        // The first of the group to get the writer promises slots for everyone who joined by then, in one write.
        await _slotWriter.WaitAsync(cancellationToken);
        try
        {
            if (!request.Slots.Task.IsCompleted)
            {
                int count;
                TimeSpan after;
                lock (_gate)
                {
                    if (ReferenceEquals(_pendingSlots, request))
                    {
                        _pendingSlots = null;
                    }

                    (count, after) = (request.Count, request.RetryAfter);
                }

                try
                {
                    request.Slots.SetResult(await PromiseSlotsAsync(count, after, cancellationToken));
                }
                catch (Exception ex)
                {
                    request.Slots.SetException(ex);
                }
            }
        }
        finally
        {
            _slotWriter.Release();
        }

        return (await request.Slots.Task)[index];
    }

    public async ValueTask PauseUntilAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _lease.Drop();
            _emptyUntil = until > _emptyUntil ? until : _emptyUntil;
        }

        var recorded = await CompareAndSwapAsync(
            TokensRow,
            (row, _) => row is not null && row.PausedUntil >= until.UtcTicks ? null : SendQuotaRow.Tokens(_scope, SendQuota.Pause(row?.ToState() ?? default, until)),
            cancellationToken);
        Log.Paused(_logger, until, recorded);
    }

    public void Dispose()
    {
        _taker.Dispose();
        _slotWriter.Dispose();
    }

    private SendPermit? TryLocally()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_lease.TryTake(now))
            {
                return SendPermit.Grant;
            }

            return now < _emptyUntil ? SendPermit.Refuse(_emptyUntil - now) : null;
        }
    }

    private async Task<(SendQuotaTake Take, DateTimeOffset RequestedAt)> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        var take = default(SendQuotaTake);
        var requestedAt = _time.GetUtcNow();
        var written = await CompareAndSwapAsync(
            TokensRow,
            (row, now) =>
            {
                take = _quota.Take(row?.ToState() ?? default, now, wanted);
                requestedAt = now;
                return take.Granted == 0 ? null : SendQuotaRow.Tokens(_scope, take.State);
            },
            cancellationToken);
        return written ? (take, requestedAt) : (new SendQuotaTake(default, 0, _quota.SlotSpacing), requestedAt);
    }

    private async Task<IReadOnlyList<DateTimeOffset>> PromiseSlotsAsync(int count, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        IReadOnlyList<DateTimeOffset> slots = [];
        var written = await CompareAndSwapAsync(
            SlotsRow,
            (row, now) =>
            {
                var (last, promised) = _quota.PromiseSlots(row?.LastPromisedSlot ?? 0, now, retryAfter, count);
                slots = promised;
                return SendQuotaRow.Slots(_scope, last);
            },
            cancellationToken);
        if (written)
        {
            return slots;
        }

        // Spread over this instance's own schedule rather than not at all; the token check still decides each send.
        return _quota.PromiseSlots(0, _time.GetUtcNow(), retryAfter, count).Slots;
    }

    /// <summary>
    /// Reads the row, lets <paramref name="decide"/> compute its next version from it and the time (null: write nothing),
    /// and writes that only if nobody wrote since (ETag; insert if there was no row). On a conflict it reads again after
    /// a jittered pause. True when the decision stands (written, or nothing to write); false after <see cref="MaxAttempts"/> conflicts.
    /// </summary>
    private async Task<bool> CompareAndSwapAsync(string rowKey, Func<SendQuotaRow?, DateTimeOffset, SendQuotaRow?> decide, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await _table.GetAsync<SendQuotaRow>(_scope, rowKey, cancellationToken: cancellationToken);
            Interlocked.Increment(ref _roundTrips);
            var next = decide(current, _time.GetUtcNow());
            if (next is null)
            {
                return true;
            }

            var outcome = current is null
                ? await _table.AddAsync(next, cancellationToken)
                : await _table.UpdateAsync(next, current.ETag, TableUpdateMode.Replace, cancellationToken);
            Interlocked.Increment(ref _roundTrips);
            if (outcome.Succeeded)
            {
                return true;
            }

            Interlocked.Increment(ref _conflicts);

            if (attempt == MaxAttempts)
            {
                Log.Contended(_logger, rowKey, attempt);
                return false;
            }

            // Full jitter: contenders that collided spread out instead of colliding again in step.
            var ceiling = Math.Min(500, 10 << attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(RandomNumberGenerator.GetInt32(1, ceiling)), cancellationToken);
        }
    }

    private sealed class SlotRequest
    {
        public int Count { get; set; }

        public TimeSpan RetryAfter { get; set; }

        public TaskCompletionSource<IReadOnlyList<DateTimeOffset>> Slots { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Lifecycle send quota row {Row} stayed contended after {Attempts} writes; the send waits for a later slot")]
        public static partial void Contended(ILogger logger, string row, int attempts);

        [LoggerMessage(301, LogLevel.Warning, "Lifecycle send quota paused until {Until} by the email provider (recorded for the fleet: {Recorded})")]
        public static partial void Paused(ILogger logger, DateTimeOffset until, bool recorded);

        [LoggerMessage(302, LogLevel.Information, "Lifecycle send quota: a take of {Tokens} tokens came back after its lease of {Lifetime} had run out; dropped")]
        public static partial void LeaseOutlived(ILogger logger, int tokens, TimeSpan lifetime);
    }
}

internal static class SendQuotaRegistration
{
    /// <summary>The fleet-wide send quota and its table (created at start, re-created if found missing).</summary>
    public static IServiceCollection AddLifecycleSendQuota(this IServiceCollection services)
    {
        services.AddTables(FleetSendRateLimiter.TableName);
        services.AddSingleton<ISendRateLimiter, FleetSendRateLimiter>();
        return services;
    }
}
