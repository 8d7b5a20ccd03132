using System.Globalization;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Writes one event's effect into the account's partition of AccountSignals as a single entity-group
/// transaction: the per-event marker (Add, so a second application fails with 409 and changes nothing), the
/// day's counters (ETag-guarded) and the versioned state rows (skipped when the stored version is
/// newer). All or nothing, retried on a lost ETag race. Every current-state row carries "Rev", one more than the
/// row it replaced, and is written whole, so the copy folded into the account's digest afterwards is ordered.
/// Row keys: "day|yyyy-MM-dd", "sub|…", "ticket|…", "user|…", "seen|…", "milestone|…", "feature|…",
/// "profile|…"; rows that grow with event count start with "~" so reads of current state can stop before them.
/// </summary>
internal sealed class AccountSignalWriter(ITableStore store, int maxDigestPayloadBytes = AccountDigest.DefaultMaxPayloadBytes)
{
    public const string Table = "AccountSignals";
    private const int MaxAttempts = 10;
    private readonly AccountDigestStore _digests = new(store, maxDigestPayloadBytes);

    // Active-user rows ("~dau|day|user") are only ever added: once one is known to exist, the user is counted for that
    // day and the next event from them needs no lookup.
    private readonly RememberedFacts<(string AccountId, string RowKey), bool> _activeUsersCounted = new(200_000);

    public static string DayKey(DateOnly day) => "day|" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task<string> ApplyAsync(string accountId, WebhookProvider provider, string eventId, AccountEvent accountEvent, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var actions = await BuildAsync(accountId, provider, eventId, accountEvent, cancellationToken);
            if (actions is null)
            {
                return await AlreadyAppliedAsync(accountId, accountEvent, cancellationToken);
            }

            var result = await store.SubmitTransactionAsync(Table, actions, cancellationToken);
            if (result.Succeeded)
            {
                var written = new List<TableEntity>(actions.Count);
                foreach (var action in actions)
                {
                    var key = action.Entity.RowKey;
                    if (key.StartsWith("~dau|", StringComparison.Ordinal))
                    {
                        _activeUsersCounted.Remember((accountId, key), true);
                    }
                    else if (!key.StartsWith('~'))
                    {
                        written.Add(action.Entity);
                    }
                }

                // The delivery is marked applied only after this returns: if the digest merge fails, the sweep applies
                // the event again, finds it applied, and refreshes the digest from the partition.
                await _digests.MergeAsync(accountId, written, cancellationToken);
                return "applied";
            }

            if (result.FailedActionIndex == 0 && result.FailedStatus == 409)
            {
                return await AlreadyAppliedAsync(accountId, accountEvent, cancellationToken);
            }

            // Another event changed a row we read: rebuild from fresh reads, after a random wait that doubles each
            // time (up to 1.3 s), so writers racing for one account's day row spread out instead of colliding again.
            await Task.Delay(Random.Shared.Next(1, 10 << attempt), cancellationToken);
        }

        throw new TableStorageUnavailableException("Account signals stayed contended; the sweeper retries.");
    }

    // The first application may have stopped between the partition write and the digest merge: copy the rows this
    // event writes into the digest again (a no-op when the digest already holds them or newer).
    private async Task<string> AlreadyAppliedAsync(string accountId, AccountEvent e, CancellationToken cancellationToken)
    {
        var keys = new List<string>(e.States.Count + 2) { DayKey(e.Day) };
        keys.AddRange(e.States.Select(s => s.RowKey));
        if (e.Subscription is { } sub)
        {
            keys.Add(SubscriptionKey(sub.SubscriptionId));
        }

        await _digests.RefreshAsync(accountId, keys, cancellationToken);
        return "already applied";
    }

    private static string SubscriptionKey(string subscriptionId) => "sub|" + ProviderIdKeys.Escape(subscriptionId);

    private static long NextRev(TableEntity? existing) => (existing?.GetInt64(AccountDigest.RevProperty) ?? 0) + 1;

    private async Task<List<TableTransactionAction>?> BuildAsync(string accountId, WebhookProvider provider, string eventId, AccountEvent e, CancellationToken cancellationToken)
    {
        var markerKey = "~evt|" + provider + "|" + ProviderIdKeys.Escape(eventId);
        if (await store.GetAsync(Table, accountId, markerKey, ["PartitionKey"], cancellationToken) is not null)
        {
            return null;
        }

        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, new TableEntity(accountId, markerKey) { ["Provider"] = provider.ToString(), ["EventId"] = eventId }),
        };
        var counters = new Dictionary<string, long>(e.Counters, StringComparer.Ordinal);

        if (e.ActiveUserId is { } userId)
        {
            var dauKey = "~dau|" + e.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "|" + ProviderIdKeys.Escape(userId);
            if (!_activeUsersCounted.TryGet((accountId, dauKey), out _))
            {
                if (await store.GetAsync(Table, accountId, dauKey, ["PartitionKey"], cancellationToken) is null)
                {
                    actions.Add(new(TableTransactionActionType.Add, new TableEntity(accountId, dauKey)));
                    counters[nameof(DailySignals.ActiveUsers)] = 1;
                }
                else
                {
                    _activeUsersCounted.Remember((accountId, dauKey), true);
                }
            }
        }

        foreach (var state in e.States)
        {
            var existing = await store.GetAsync(Table, accountId, state.RowKey, cancellationToken: cancellationToken);
            if (existing is not null && existing.GetInt64("Version") >= state.Version)
            {
                continue;
            }

            var row = new TableEntity(accountId, state.RowKey) { ["Version"] = state.Version, ["EventId"] = eventId, [AccountDigest.RevProperty] = NextRev(existing) };
            foreach (var (k, v) in state.Properties)
            {
                row[k] = v;
            }

            actions.Add(existing is null
                ? new(TableTransactionActionType.Add, row)
                : new(TableTransactionActionType.UpdateReplace, row, existing.ETag));
        }

        if (e.Subscription is { } sub)
        {
            var key = SubscriptionKey(sub.SubscriptionId);
            var existing = await store.GetAsync(Table, accountId, key, cancellationToken: cancellationToken);
            if (existing is null || existing.GetInt64("Version") < sub.Version)
            {
                var previousMrr = existing?.GetInt64("MrrCents");
                var kind = MrrMovementClassifier.Classify(previousMrr, sub.MrrCents, existing?.GetBoolean("EverChurned") ?? false);
                var churned = (existing?.GetBoolean("EverChurned") ?? false) || kind == MrrMovementKind.Churn;
                actions.Add(new(existing is null ? TableTransactionActionType.Add : TableTransactionActionType.UpdateReplace, new TableEntity(accountId, key)
                {
                    ["Version"] = sub.Version,
                    ["EventId"] = eventId,
                    [AccountDigest.RevProperty] = NextRev(existing),
                    ["SubscriptionId"] = sub.SubscriptionId,
                    ["MrrCents"] = sub.MrrCents,
                    ["Plan"] = sub.Plan,
                    ["Seats"] = sub.Seats,
                    ["Status"] = sub.Status,
                    ["CancelAtPeriodEnd"] = sub.CancelAtPeriodEnd,
                    ["CurrentPeriodEnd"] = sub.CurrentPeriodEnd,
                    ["StartedAt"] = sub.StartedAt,
                    ["BillingPeriodDays"] = sub.BillingPeriodDays,
                    ["EverChurned"] = churned,
                    ["ChurnedAt"] = kind == MrrMovementKind.Churn ? DateTimeOffset.FromUnixTimeSeconds(sub.Version) : existing?.GetDateTimeOffset("ChurnedAt"),
                }, existing?.ETag));

                if (kind != MrrMovementKind.None)
                {
                    var delta = sub.MrrCents - (previousMrr ?? 0);
                    counters[nameof(DailySignals.MrrDeltaCents)] = delta;
                    actions.Add(new(TableTransactionActionType.Add, new TableEntity(accountId, "~mrr|" + e.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "|" + ProviderIdKeys.Escape(eventId))
                    {
                        ["Kind"] = kind.ToString(),
                        ["DeltaCents"] = delta,
                        ["SubscriptionId"] = sub.SubscriptionId,
                    }));
                }
            }
        }

        if (counters.Count > 0)
        {
            var dayKey = DayKey(e.Day);
            var day = await store.GetAsync(Table, accountId, dayKey, cancellationToken: cancellationToken);
            // The whole row, not a merge of the changed counters: the digest's copy must be complete on its own.
            var row = new TableEntity(accountId, dayKey);
            if (day is not null)
            {
                foreach (var (name, value) in day.Properties)
                {
                    row[name] = value;
                }
            }

            foreach (var (name, increment) in counters)
            {
                row[name] = (day?.GetInt64(name) ?? 0) + increment;
            }

            row[AccountDigest.RevProperty] = NextRev(day);
            actions.Add(day is null
                ? new(TableTransactionActionType.Add, row)
                : new(TableTransactionActionType.UpdateReplace, row, day.ETag));
        }

        return actions;
    }
}
