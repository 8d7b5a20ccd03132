using System.Security.Cryptography;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// Whether a send may go now, and then the instant by which it must be handed to the email provider (<see cref="SpendBy"/>:
/// its token's stamp plus <see cref="SendQuota.LeaseLifetime"/>; later it is not sent on this token). If not, when to
/// come back, and whether that instant is <see cref="Reserved"/> for it (it then sends without asking again if it
/// arrives within a lease lifetime of it).
/// </summary>
public readonly record struct SendPermit(bool Granted, DateTimeOffset ComeBackAt, bool Reserved, DateTimeOffset SpendBy)
{
    public static SendPermit GrantUntil(DateTimeOffset spendBy) => new(true, default, false, spendBy);

    public static SendPermit ReservedFor(DateTimeOffset slot) => new(false, slot, true, default);

    public static SendPermit RetryAt(DateTimeOffset at) => new(false, at, false, default);
}

/// <summary>The lifecycle send quota as the send processor uses it: one quota for every instance of the app.</summary>
public interface ISendRateLimiter
{
    /// <summary>
    /// Admits one send now, or reserves it the next free token (<see cref="SendPermit.Reserved"/>). A send that comes
    /// back with its <paramref name="reservedSlot"/> in time is admitted without a round trip. An admitted send goes to
    /// the provider before <see cref="SendPermit.SpendBy"/> or not on this permit. Never admits on a storage failure (it throws).
    /// </summary>
    ValueTask<SendPermit> AdmitAsync(DateTimeOffset? reservedSlot, CancellationToken cancellationToken);

    /// <summary>The email provider refused with 429: no token is stamped before <paramref name="until"/>, on any instance.</summary>
    ValueTask PauseUntilAsync(DateTimeOffset until, CancellationToken cancellationToken);
}

/// <summary>The quota's shared state, one row of <see cref="FleetSendRateLimiter.TableName"/> per scope (<see cref="SendQuotaState"/>, UTC ticks).</summary>
public sealed class SendQuotaRow : TableRow
{
    public long MinuteFullAt { get; set; }

    public long HourFullAt { get; set; }

    public long PausedUntil { get; set; }

    public SendQuotaState ToState() => new(MinuteFullAt, HourFullAt, PausedUntil);

    public static SendQuotaRow From(string scope, SendQuotaState state) => new()
    {
        PartitionKey = scope,
        RowKey = FleetSendRateLimiter.RowKey,
        MinuteFullAt = state.MinuteFullAt,
        HourFullAt = state.HourFullAt,
        PausedUntil = state.PausedUntil,
    };
}

/// <summary>
/// <see cref="SendQuota"/> shared by every instance through one Table storage row. Each decision is a read and a write
/// guarded by the row's ETag; a write that loses the race (412, or 409 for the first insert) reads again after a
/// jittered pause, so no token is ever given out twice. Callers waiting in one instance at the same time are decided
/// together in one round trip; a steady sender leases a few tokens ahead (held for <see cref="SendQuota.LeaseLifetime"/>
/// from the request, then dropped: a lease left when an instance stops, or outlived, is a send the quota allowed and
/// nobody made, never a send made late). A send that must wait is reserved its token, and sends without a round trip
/// when the queue brings it back on time.
/// </summary>
public sealed partial class FleetSendRateLimiter : ISendRateLimiter, IDisposable
{
    public const string TableName = "LifecycleSendQuota";
    internal const string RowKey = "quota";

    /// <summary>Writes tried per decision before giving up; a send that gives up waits (it is never sent without a token).</summary>
    internal const int MaxAttempts = 8;

    /// <summary>Decisions made again for one send when the last came back too late to use (storage slower than a lease lifetime).</summary>
    private const int MaxDecisions = 3;

    private readonly AppTable _table;
    private readonly SendQuota _quota;
    private readonly string _scope;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetSendRateLimiter> _logger;
    private readonly Lock _gate = new();
    private readonly SendTokenLease _lease;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private AdmissionBatch? _pending;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private long _roundTrips;
    private long _conflicts;
    private long _lateReservations;
    private long _outlivedGrants;
    private long _abandonedReservations;

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

    /// <summary>Sends that came back after their reservation's lifetime and had to be admitted again.</summary>
    public long LateReservations => Interlocked.Read(ref _lateReservations);

    /// <summary>
    /// Tokens this instance took and could not spend in time: leased ones that expired, granted ones whose decision
    /// came back after the lease lifetime, reservations delivered further ahead of their slot than clocks may differ
    /// (late reservations are counted in <see cref="LateReservations"/>).
    /// </summary>
    public long LostTokens
    {
        get
        {
            lock (_gate)
            {
                return _lease.Lost + Interlocked.Read(ref _outlivedGrants) + Interlocked.Read(ref _abandonedReservations);
            }
        }
    }

    public async ValueTask<SendPermit> AdmitAsync(DateTimeOffset? reservedSlot, CancellationToken cancellationToken)
    {
        if (reservedSlot is { } turn && _time.GetUtcNow() is var early && early < turn)
        {
            if (turn - early <= SendQuota.ClockSkewAllowance)
            {
                // Delivered on time by the broker, but another instance stamped the slot and this clock reads a little
                // behind its clock: wait for the slot here (deferring again to the same instant would reuse the message
                // id, which duplicate detection drops).
                await Task.Delay(turn - early, _time, cancellationToken);
                lock (_gate)
                {
                    if (_time.GetUtcNow() >= _pausedUntil)
                    {
                        _lease.RecordSpend(turn);
                        return SendPermit.GrantUntil(turn + SendQuota.LeaseLifetime);
                    }
                }
            }
            else
            {
                // Earlier than clocks may differ: a clock to fix, said loudly. The reservation is given up (a token
                // nobody spends, never one spent early) and the send asks afresh rather than failing into dead letters.
                Interlocked.Increment(ref _abandonedReservations);
                Log.ReservationTooEarly(_logger, turn - early);
            }

            reservedSlot = null;
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (reservedSlot is { } due && now >= _pausedUntil)
            {
                if (SendQuota.CanSpendReservation(due, now))
                {
                    _lease.RecordSpend(now);
                    return SendPermit.GrantUntil(due + SendQuota.LeaseLifetime);
                }

                Interlocked.Increment(ref _lateReservations);
            }

            if (_lease.TryTake(now))
            {
                return SendPermit.GrantUntil(_lease.ExpiresAt);
            }
        }

        for (var attempt = 1; attempt <= MaxDecisions; attempt++)
        {
            var (granted, slot, decidedAt) = await DecideTogetherAsync(cancellationToken);
            var now = _time.GetUtcNow();
            if (granted && now < decidedAt + SendQuota.LeaseLifetime)
            {
                return SendPermit.GrantUntil(decidedAt + SendQuota.LeaseLifetime);
            }

            if (!granted && slot is null)
            {
                // The row stayed contended: no token, no reservation; ask again a little later.
                return SendPermit.RetryAt(decidedAt + SendQuota.SpendSlack);
            }

            if (slot is { } reserved && now < reserved)
            {
                return SendPermit.ReservedFor(reserved);
            }

            if (slot is { } due && SendQuota.CanSpendReservation(due, now))
            {
                // Its slot came while the decision travelled.
                return SendPermit.GrantUntil(due + SendQuota.LeaseLifetime);
            }

            // The round trip outlived the token it brought: that token is dropped rather than spent late.
            if (granted)
            {
                Interlocked.Increment(ref _outlivedGrants);
            }
            else
            {
                Interlocked.Increment(ref _lateReservations);
            }

            Log.DecisionOutlived(_logger, now - (slot ?? decidedAt));
        }

        return SendPermit.RetryAt(_time.GetUtcNow() + SendQuota.SpendSlack);
    }

    public async ValueTask PauseUntilAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _lease.Drop();
            _pausedUntil = until > _pausedUntil ? until : _pausedUntil;
        }

        var recorded = await CompareAndSwapAsync(
            (row, _) => row is not null && row.PausedUntil >= until.UtcTicks ? null : SendQuotaRow.From(_scope, SendQuota.Pause(row?.ToState() ?? default, until)),
            cancellationToken);
        Log.Paused(_logger, until, recorded);
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>
    /// Joins the callers waiting in this instance; the first of them to get the writer decides for all who joined by
    /// then, in one read and write. Returns whether this caller may send now, else its reserved slot (null: the row
    /// stayed contended), and when the decision was made (the stamp of a token granted now).
    /// </summary>
    private async Task<(bool Granted, DateTimeOffset? Slot, DateTimeOffset DecidedAt)> DecideTogetherAsync(CancellationToken cancellationToken)
    {
        AdmissionBatch batch;
        int index;
        lock (_gate)
        {
            batch = _pending ??= new AdmissionBatch();
            index = batch.Callers++;
        }

        await _writer.WaitAsync(cancellationToken);
        try
        {
            if (!batch.Outcome.Task.IsCompleted)
            {
                try
                {
                    batch.Outcome.SetResult(await DecideAsync(batch, cancellationToken));
                }
                catch (Exception ex)
                {
                    batch.Outcome.SetException(ex);
                }
            }
        }
        finally
        {
            _writer.Release();
        }

        var outcome = await batch.Outcome.Task;
        var reservedIndex = index - outcome.Granted;
        return (index < outcome.Granted, reservedIndex >= 0 && reservedIndex < outcome.Reserved.Count ? outcome.Reserved[reservedIndex] : null, outcome.DecidedAt);
    }

    private async Task<BatchOutcome> DecideAsync(AdmissionBatch batch, CancellationToken cancellationToken)
    {
        int callers;
        int prefetch;
        lock (_gate)
        {
            if (ReferenceEquals(_pending, batch))
            {
                _pending = null;
            }

            callers = batch.Callers;
            prefetch = _lease.PrefetchFor(callers, _time.GetUtcNow());
        }

        SendQuotaAdmission? admission = null;
        var decidedAt = _time.GetUtcNow();
        var written = await CompareAndSwapAsync(
            (row, now) =>
            {
                admission = _quota.Admit(row?.ToState() ?? default, now, callers, prefetch);
                decidedAt = now;
                return SendQuotaRow.From(_scope, admission.State);
            },
            cancellationToken);
        if (!written || admission is null)
        {
            return new BatchOutcome(0, [], decidedAt);
        }

        lock (_gate)
        {
            // Tokens beyond the callers are this instance's lease, stamped with the decision.
            if (admission.Granted > callers)
            {
                _lease.Hold(admission.Granted - callers, decidedAt);
            }

            for (var i = 0; i < Math.Min(callers, admission.Granted); i++)
            {
                _lease.RecordSpend(decidedAt);
            }
        }

        return new BatchOutcome(Math.Min(callers, admission.Granted), admission.Reserved, decidedAt);
    }

    /// <summary>
    /// Reads the row, lets <paramref name="decide"/> compute its next version from it and the time (null: write nothing),
    /// and writes that only if nobody wrote since (ETag; insert if there was no row). On a conflict it reads again after
    /// a jittered pause. True when the decision stands (written, or nothing to write); false after <see cref="MaxAttempts"/> conflicts.
    /// </summary>
    private async Task<bool> CompareAndSwapAsync(Func<SendQuotaRow?, DateTimeOffset, SendQuotaRow?> decide, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await _table.GetAsync<SendQuotaRow>(_scope, RowKey, cancellationToken: cancellationToken);
            Interlocked.Increment(ref _roundTrips);
            if (current is not null)
            {
                lock (_gate)
                {
                    var paused = new DateTimeOffset(current.PausedUntil, TimeSpan.Zero);
                    _pausedUntil = paused > _pausedUntil ? paused : _pausedUntil;
                }
            }

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
                Log.Contended(_logger, attempt);
                return false;
            }

            // Full jitter: contenders that collided spread out instead of colliding again in step.
            var ceiling = Math.Min(500, 10 << attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(RandomNumberGenerator.GetInt32(1, ceiling)), cancellationToken);
        }
    }

    private sealed class AdmissionBatch
    {
        public int Callers { get; set; }

        public TaskCompletionSource<BatchOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The first <paramref name="Granted"/> callers send now; the next ones have <paramref name="Reserved"/> slots; any others retry.</summary>
    private sealed record BatchOutcome(int Granted, IReadOnlyList<DateTimeOffset> Reserved, DateTimeOffset DecidedAt);

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Lifecycle send quota row stayed contended after {Attempts} writes; the send waits and asks again")]
        public static partial void Contended(ILogger logger, int attempts);

        [LoggerMessage(301, LogLevel.Warning, "Lifecycle send quota paused until {Until} by the email provider (recorded for the fleet: {Recorded})")]
        public static partial void Paused(ILogger logger, DateTimeOffset until, bool recorded);

        [LoggerMessage(302, LogLevel.Information, "Lifecycle send quota: a decision came back {Late} after its token's stamp, past the lease lifetime; decided again")]
        public static partial void DecisionOutlived(ILogger logger, TimeSpan late);

        [LoggerMessage(303, LogLevel.Warning, "Lifecycle send quota: a reserved send arrived {Early} before its slot, more than instance clocks may differ; check this instance's clock. The reservation is given up and the send asks again")]
        public static partial void ReservationTooEarly(ILogger logger, TimeSpan early);
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
