using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>What one dispatcher run did.</summary>
public sealed record AlertDispatchResult(int TransitionsTaken, int Changes, int Sent, int SendFailures);

/// <summary>
/// The timer-driven fan-out. (1) Takes the recompute's pending transitions, turns them into alert changes and
/// outbox rows in one transaction per account, and acknowledges each transition only after that write.
/// (2) Escalates alerts left unacknowledged past their due time, found through the open-alerts index. (3) Sends the
/// outbox rows to their tier's queue, a batch per queue, and deletes each row only after the queue took it; a failed
/// send leaves the row for the next run, and the deterministic message id lets duplicate detection drop a resend
/// after a crash between send and delete. With the account's facts at hand it also reads the account's expansion
/// signals (<see cref="ExpansionDetector"/>), for the opportunity rule.
/// </summary>
public sealed partial class AlertDispatcher(
    IHealthTransitionFeed feed,
    AlertStore store,
    IMessagePublisher publisher,
    IOptions<AlertsOptions> options,
    TimeProvider clock,
    ILogger<AlertDispatcher> logger,
    AppMetrics? metrics = null,
    IAccountSignalSource? accounts = null,
    IOptions<ExpansionOptions>? expansionOptions = null,
    IOptions<ProductOptions>? product = null,
    IOptions<HealthOptions>? health = null,
    AlertChangeFanOut? fanOut = null)
{
    private const int BatchSize = 100;

    // Accounts whose transitions are evaluated at once: each is a few sequential round trips (its facts, its alerts,
    // the write), so one at a time leaves storage idle between them.
    private const int AccountsAtOnce = 8;
    private const int ConflictRetries = 5;

    /// <summary>How often escalation checks the alerts table itself rather than the open-alerts index.</summary>
    public static readonly TimeSpan EscalationScanInterval = TimeSpan.FromMinutes(15);

    // When this instance last escalated from a scan of the alerts table (never yet: the first run scans).
    private long _lastEscalationScanTicks = DateTimeOffset.MinValue.UtcTicks;

    public async Task<AlertDispatchResult> RunAsync(CancellationToken cancellationToken)
    {
        var taken = 0;
        var changes = 0;
        IReadOnlyList<HealthTransitionEnvelope> pending;
        do
        {
            pending = await feed.ReadPendingAsync(BatchSize, cancellationToken).ConfigureAwait(false);
            changes += await TakeAsync(pending, cancellationToken).ConfigureAwait(false);
            taken += pending.Count;
        }
        while (pending.Count == BatchSize);

        changes += await EscalateOverdueAsync(cancellationToken).ConfigureAwait(false);
        var (sent, failed) = await SendOutboxAsync(cancellationToken).ConfigureAwait(false);
        return new AlertDispatchResult(taken, changes, sent, failed);
    }

    /// <summary>
    /// A page of transitions: several accounts at once (each account's alerts are a partition of their own, so they do
    /// not contend), one account's transitions in the order they happened. What was written is acknowledged in one go
    /// at the end, also when another account failed, so a retry redoes only the rest.
    /// </summary>
    private async Task<int> TakeAsync(IReadOnlyList<HealthTransitionEnvelope> page, CancellationToken cancellationToken)
    {
        var changes = 0;
        var done = new System.Collections.Concurrent.ConcurrentQueue<HealthTransitionEnvelope>();
        try
        {
            await Parallel.ForEachAsync(
                page.GroupBy(e => e.Transition.AccountId, StringComparer.Ordinal),
                new ParallelOptions { MaxDegreeOfParallelism = AccountsAtOnce, CancellationToken = cancellationToken },
                async (account, ct) =>
                {
                    foreach (var envelope in account)
                    {
                        var made = await EvaluateAsync(envelope.Transition, ct).ConfigureAwait(false);
                        Interlocked.Add(ref changes, made);
                        done.Enqueue(envelope);
                    }
                }).ConfigureAwait(false);
        }
        finally
        {
            if (!done.IsEmpty)
            {
                await feed.AcknowledgeAsync([.. done], CancellationToken.None).ConfigureAwait(false);
            }
        }

        return changes;
    }

    private async Task<int> EvaluateAsync(HealthTransition transition, CancellationToken cancellationToken)
    {
        // The rules run in the trace of what changed the account (a webhook applied), linked to this run, so
        // the alerts raised and the notifications sent for them are found from the webhook that caused them.
        using var activity = TraceContext.StartContinuing("alert rules evaluated", System.Diagnostics.ActivityKind.Internal, TraceContext.Parse(transition.CausedBy));
        activity?.SetTag("health.band", transition.Band.ToString());
        var state = transition;
        var now = clock.GetUtcNow();
        var signals = await ReadFactsAsync(state.AccountId, now, cancellationToken).ConfigureAwait(false);
        if (state.Lifecycle != AccountLifecycleState.Churned && signals is not null && AccountLifecycle.IsChurned(signals, now))
        {
            // Scored before its churn reached the app: too late to raise anything, its alerts close instead.
            state = state with { Lifecycle = AccountLifecycleState.Churned };
        }

        var expansion = signals is not null && expansionOptions is not null && product is not null
            ? ExpansionDetector.Assess(signals, state, expansionOptions.Value, new ValueMilestone(product.Value.FirstValueMilestone, health?.Value.OnboardingMaxDays ?? 90), now)
            : null;
        return await ApplyWithRetryAsync(state.AccountId, existing =>
            AlertRuleEngine.Evaluate(state, existing, options.Value, now, expansion), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the outbox a batch per queue at a time; each row is deleted once the batch carrying it was taken.</summary>
    public async Task<(int Sent, int Failed)> SendOutboxAsync(CancellationToken cancellationToken)
    {
        var sent = 0;
        var failed = 0;
        var byQueue = new Dictionary<string, List<AlertOutboxItem>>(StringComparer.Ordinal);
        async Task FlushAsync(List<AlertOutboxItem> items)
        {
            var (s, f) = await SendAsync(items, cancellationToken).ConfigureAwait(false);
            sent += s;
            failed += f;
            items.Clear();
        }

        await foreach (var item in store.ListOutboxAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!byQueue.TryGetValue(item.Queue, out var items))
            {
                byQueue[item.Queue] = items = [];
            }

            items.Add(item);
            if (items.Count == BatchSize)
            {
                await FlushAsync(items).ConfigureAwait(false);
            }
        }

        foreach (var items in byQueue.Values.Where(i => i.Count > 0))
        {
            await FlushAsync(items).ConfigureAwait(false);
        }

        return (sent, failed);
    }

    /// <summary>One queue's items in one send; a failure leaves their rows for the next run (duplicate detection drops what did arrive).</summary>
    private async Task<(int Sent, int Failed)> SendAsync(List<AlertOutboxItem> items, CancellationToken cancellationToken)
    {
        var queue = items[0].Queue;
        var messages = items.ConvertAll(item => new OutgoingMessage(item.MessageId, System.Text.Json.JsonSerializer.Serialize(item.Notification, AlertStore.Json))
        {
            // Each message carries the context of the work that raised its alert, not of this send.
            ApplicationProperties = TraceContext.Stamp(
                new Dictionary<string, string>
                {
                    ["tier"] = item.Notification.Alert.Tier.ToString(),
                    ["accountId"] = item.Notification.Alert.AccountId,
                    ["ruleId"] = item.Notification.Alert.RuleId,
                    ["dueBy"] = AlertStore.Iso(item.Notification.Alert.DueBy),
                },
                item.TraceParent),
        });
        try
        {
            await publisher.SendBatchAsync(queue, messages, cancellationToken).ConfigureAwait(false);
        }
        catch (MessagePublishException ex)
        {
            Log.SendDeferred(logger, items.Count, queue, ex);
            return (0, items.Count);
        }

        await store.DeleteOutboxAsync(items, cancellationToken).ConfigureAwait(false);

        return (items.Count, 0);
    }

    /// <summary>
    /// Finds the accounts with an alert past its due time and escalates them, each re-read from its own partition (so a
    /// stale copy escalates nothing). The candidates come from the open-alerts index, a partition of the active
    /// alerts alone, not from a scan of every alert row ever written. An index row that a failed write lost, or left
    /// as an older copy, would hide its alert from that read, so at most every <see cref="EscalationScanInterval"/>
    /// of this instance the candidates come from the scan instead: such an alert escalates at the next scan (that
    /// interval plus a timer period late at worst), and the hourly rebuild repairs the index itself.
    /// </summary>
    private async Task<int> EscalateOverdueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var sinceScan = now.UtcTicks - Interlocked.Read(ref _lastEscalationScanTicks);
        var scan = sinceScan < 0 || sinceScan >= EscalationScanInterval.Ticks; // a clock set back scans too
        var active = scan ? store.ListActiveAsync(cancellationToken) : store.ListActiveIndexedAsync(cancellationToken);
        var overdueAccounts = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var alert in active.ConfigureAwait(false))
        {
            if (AlertRuleEngine.EscalateIfOverdue(alert, options.Value, now) is not null)
            {
                overdueAccounts.Add(alert.AccountId);
            }
        }

        if (scan)
        {
            Interlocked.Exchange(ref _lastEscalationScanTicks, now.UtcTicks);
        }

        var changes = 0;
        await Parallel.ForEachAsync(overdueAccounts, new ParallelOptions { MaxDegreeOfParallelism = AccountsAtOnce, CancellationToken = cancellationToken }, async (account, ct) =>
        {
            if (await ChurnedSinceAsync(account, ct).ConfigureAwait(false))
            {
                // Nobody to save: its next transition resolves its alerts ("churned") instead of escalating them.
                return;
            }

            var made = await ApplyWithRetryAsync(account, existing =>
                [.. existing.Select(a => AlertRuleEngine.EscalateIfOverdue(a, options.Value, now)).OfType<AlertChange>()], ct).ConfigureAwait(false);
            Interlocked.Add(ref changes, made);
        }).ConfigureAwait(false);

        return changes;
    }

    /// <summary>
    /// Whether the account has churned by now according to its facts, which can be newer than the transition or the
    /// alert at hand (a score taken before the day's cancellation was applied). False without an account source.
    /// </summary>
    private async Task<bool> ChurnedSinceAsync(string accountId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var signals = await ReadFactsAsync(accountId, now, cancellationToken).ConfigureAwait(false);
        return signals is not null && AccountLifecycle.IsChurned(signals, now);
    }

    /// <summary>The account's facts as of today; null without an account source or for an unknown account.</summary>
    private async Task<AccountSignals?> ReadFactsAsync(string accountId, DateTimeOffset now, CancellationToken cancellationToken) =>
        accounts is null ? null : await accounts.ReadAccountAsync(accountId, DateOnly.FromDateTime(now.UtcDateTime), cancellationToken).ConfigureAwait(false);

    private async Task<int> ApplyWithRetryAsync(string accountId, Func<IReadOnlyList<Alert>, IReadOnlyList<AlertChange>> decide, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var existing = await store.GetForAccountAsync(accountId, cancellationToken).ConfigureAwait(false);
            var changes = decide(existing);
            var status = await store.ApplyAsync(accountId, changes, cancellationToken).ConfigureAwait(false);
            if (status == AlertWriteStatus.Written)
            {
                foreach (var change in changes)
                {
                    Log.AlertChanged(logger, change.Alert.AlertId, change.Kind, change.Alert.Tier);
                    Count(change);
                }

                if (fanOut is not null)
                {
                    await fanOut.WrittenAsync(accountId, existing, changes, cancellationToken).ConfigureAwait(false);
                }

                return changes.Count;
            }

            if (attempt >= ConflictRetries)
            {
                throw new InvalidOperationException($"Alerts of account {accountId} kept changing underneath the dispatcher.");
            }
        }
    }

    private void Count(AlertChange change)
    {
        switch (change.Kind)
        {
            case AlertChangeKind.Raise or AlertChangeKind.Escalate:
                metrics?.AlertRaised(change.Alert.Tier.ToString());
                break;
            case AlertChangeKind.EscalateToContact:
                metrics?.AlertSlaBreached(change.Alert.Tier.ToString());
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Alert {AlertId}: {Kind} at {Tier}")]
        public static partial void AlertChanged(ILogger logger, string alertId, AlertChangeKind kind, AlertTier tier);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "{Count} alert message(s) to {Queue} stay in the outbox for the next run")]
        public static partial void SendDeferred(ILogger logger, int count, string queue, Exception exception);
    }
}
