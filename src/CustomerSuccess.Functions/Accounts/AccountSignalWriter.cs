using System.Globalization;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Writes one event's effect into the account's partition of AccountSignals as a single entity-group
/// transaction: the per-event marker (Add, so a second application fails with 409 and changes nothing), the
/// day's counters (ETag-guarded merge) and the versioned state rows (skipped when the stored version is
/// newer). All or nothing, retried on a lost ETag race.
/// Row keys: "day|yyyy-MM-dd", "sub|…", "ticket|…", "user|…", "seen|…", "milestone|…", "feature|…",
/// "profile|…"; rows that grow with event count start with "~" so reads of current state can stop before them.
/// </summary>
internal sealed class AccountSignalWriter(ITableStore store)
{
    public const string Table = "AccountSignals";
    private const int MaxAttempts = 8;

    public static string DayKey(DateOnly day) => "day|" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task<string> ApplyAsync(string accountId, WebhookProvider provider, string eventId, AccountEvent accountEvent, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var actions = await BuildAsync(accountId, provider, eventId, accountEvent, cancellationToken);
            if (actions is null)
            {
                return "already applied";
            }

            var result = await store.SubmitTransactionAsync(Table, actions, cancellationToken);
            if (result.Succeeded)
            {
                return "applied";
            }

            if (result.FailedActionIndex == 0 && result.FailedStatus == 409)
            {
                return "already applied";
            }

            // Another event changed a row we read: rebuild from fresh reads, after a random wait that doubles each
            // time (up to 1.3 s), so writers racing for one account's day row spread out instead of colliding again.
            await Task.Delay(Random.Shared.Next(1, 10 << attempt), cancellationToken);
        }

        throw new TableStorageUnavailableException("Account signals stayed contended; the sweeper retries.");
    }

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
            if (await store.GetAsync(Table, accountId, dauKey, ["PartitionKey"], cancellationToken) is null)
            {
                actions.Add(new(TableTransactionActionType.Add, new TableEntity(accountId, dauKey)));
                counters[nameof(DailySignals.ActiveUsers)] = 1;
            }
        }

        foreach (var state in e.States)
        {
            var existing = await store.GetAsync(Table, accountId, state.RowKey, cancellationToken: cancellationToken);
            if (existing is not null && existing.GetInt64("Version") >= state.Version)
            {
                continue;
            }

            var row = new TableEntity(accountId, state.RowKey) { ["Version"] = state.Version, ["EventId"] = eventId };
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
            var key = "sub|" + ProviderIdKeys.Escape(sub.SubscriptionId);
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
            var row = new TableEntity(accountId, dayKey);
            foreach (var (name, increment) in counters)
            {
                row[name] = (day?.GetInt64(name) ?? 0) + increment;
            }

            actions.Add(day is null
                ? new(TableTransactionActionType.Add, row)
                : new(TableTransactionActionType.UpdateMerge, row, day.ETag));
        }

        return actions;
    }
}
