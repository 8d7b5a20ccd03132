using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>One event for an account: its key (the same for every delivery of the event) and whether its counters may go in.</summary>
internal sealed record AccountEventToApply(AccountEvent Event, string EventKey, bool CountersAllowed = true);

/// <summary>What folding a page's events into one account did: per event, whether its counters went in.</summary>
internal sealed record AccountUpdate(string AccountId, bool Written, IReadOnlyList<bool> Counted);

/// <summary>
/// Folds all of a page's events for one account into its state and stores it with one write. In this process an
/// account's updates take turns (striped locks), so they fold onto the state this process last wrote without reading
/// it; another instance's write in between makes the ETag-guarded write fail, and the events are folded again onto
/// the state read afresh (the state's memory of applied events keeps counters from going in twice), after a random
/// wait that doubles each time.
/// </summary>
internal sealed class AccountUpdater(AccountStateStore store, TimeProvider timeProvider)
{
    private const int MaxAttempts = 8;
    private const int Stripes = 256;

    private readonly SemaphoreSlim[] _turns = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];

    public async Task<AccountUpdate> ApplyAsync(string accountId, IReadOnlyList<AccountEventToApply> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var counted = new bool[events.Count];
        var written = await UpdateAsync(accountId, createIfNew: true, (state, now) =>
        {
            var changed = false;
            for (var i = 0; i < events.Count; i++)
            {
                var outcome = state.Apply(events[i].Event, events[i].EventKey, now, events[i].CountersAllowed);
                changed |= outcome.Changed;
                counted[i] = outcome.Counted;
            }

            return changed;
        }, cancellationToken);
        return new AccountUpdate(accountId, written, counted);
    }

    /// <summary>
    /// Changes a known account's state outside an event (an admin's link noted on it), taking the same turn and retries
    /// as events. False when the account is not known or <paramref name="change"/> changed nothing.
    /// </summary>
    public Task<bool> ChangeAsync(string accountId, Func<AccountState, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        return UpdateAsync(accountId, createIfNew: false, (state, _) => change(state), cancellationToken);
    }

    /// <summary>
    /// The one read-fold-write loop: folds <paramref name="fold"/> onto the account's state (a new one when
    /// <paramref name="createIfNew"/>, else nothing happens for an unknown account) and writes it when it changed,
    /// again onto a fresh read after another writer's. True when a write was made.
    /// </summary>
    private async Task<bool> UpdateAsync(string accountId, bool createIfNew, Func<AccountState, DateTimeOffset, bool> fold, CancellationToken cancellationToken)
    {
        var turn = TurnOf(accountId);
        await turn.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var now = timeProvider.GetUtcNow();
                var stored = await store.TakeAsync(accountId, cancellationToken);
                if (stored is null && !createIfNew)
                {
                    return false;
                }

                var state = stored?.State ?? AccountState.New(accountId, now);
                var changed = fold(state, now) | stored is null;
                if (!changed)
                {
                    store.Return(stored!);
                    return false;
                }

                state.LastChangeTrace = TraceContext.Sampled();
                if (await store.WriteAsync(stored, state, cancellationToken) is not null)
                {
                    return true;
                }

                await Task.Delay(Random.Shared.Next(1, 10 << Math.Min(attempt, 7)), cancellationToken);
            }
        }
        finally
        {
            turn.Release();
        }

        throw new TableStorageUnavailableException($"The state of account {accountId} stayed contended; the page is retried.");
    }

    /// <summary>
    /// The events' deliveries are recorded as applied: their keys leave the account's memory of applied events with
    /// its next write (a redelivery is dropped before it reaches the account from now on).
    /// </summary>
    public async Task ForgetAsync(string accountId, IEnumerable<string> eventKeys, CancellationToken cancellationToken)
    {
        var turn = TurnOf(accountId);
        await turn.WaitAsync(cancellationToken);
        try
        {
            if (store.Kept(accountId) is { } kept)
            {
                foreach (var key in eventKeys)
                {
                    kept.State.Forget(key);
                }
            }
        }
        finally
        {
            turn.Release();
        }
    }

    private SemaphoreSlim TurnOf(string accountId) => _turns[(int)((uint)StringComparer.Ordinal.GetHashCode(accountId) % Stripes)];
}
