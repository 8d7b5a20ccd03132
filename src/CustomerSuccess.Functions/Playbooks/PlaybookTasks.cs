using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>
/// Playbook tasks as the app runs them: follows each account's alerts (<see cref="IAlertChangeListener"/>), opening a
/// task when an alert of a mapped rule is raised and closing it when the alert resolves, and serves the API's list and
/// step completion. The account's ARR and onboarding state come from Accounts' and Health's ports.
/// </summary>
public sealed partial class PlaybookTasks(
    PlaybookTaskStore store,
    IOptions<PlaybooksOptions> options,
    IAccountSignalSource accounts,
    IHealthScores scores,
    TimeProvider clock,
    ILogger<PlaybookTasks> logger) : IAlertChangeListener
{
    private const int ConflictRetries = 5;
    private readonly PlaybookCatalog _catalog = PlaybookCatalog.From(options.Value);

    public async Task AlertsChangedAsync(string accountId, IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        PlaybookAccount? account = null;
        for (var attempt = 1; ; attempt++)
        {
            var tasks = await store.ListForAccountAsync(accountId, cancellationToken).ConfigureAwait(false);
            if (account is null && alerts.Any(a => a.IsActive && _catalog.For(a.RuleId, onboarding: true) is not null && !tasks.Any(t => t.RuleId == a.RuleId && t.AlertOccurrence == a.Occurrence)))
            {
                // Only an alert that may open a task needs the account read.
                account = await ReadAccountAsync(accountId, cancellationToken).ConfigureAwait(false);
            }

            var changes = PlaybookPlanner.Reconcile(alerts, tasks, _catalog, options.Value, account ?? default, clock.GetUtcNow());
            if (changes.Count == 0)
            {
                return;
            }

            if (await store.ApplyAsync(accountId, changes, cancellationToken).ConfigureAwait(false) == PlaybookWriteStatus.Written)
            {
                foreach (var change in changes)
                {
                    Log.TaskChanged(logger, accountId, change.Task.TaskId, change.Kind, change.Task.PlaybookId);
                }

                return;
            }

            if (attempt >= ConflictRetries)
            {
                throw new InvalidOperationException($"Playbook tasks of account {accountId} kept changing underneath.");
            }
        }
    }

    /// <summary>The account's tasks: open ones first, each group by trigger, latest first.</summary>
    public async Task<IReadOnlyList<PlaybookTask>> ListAsync(string accountId, CancellationToken cancellationToken) =>
        [.. (await store.ListForAccountAsync(accountId, cancellationToken).ConfigureAwait(false))
            .Select(t => t with { ETag = null })
            .OrderBy(t => t.Status)
            .ThenByDescending(t => t.TriggeredAt)
            .ThenBy(t => t.TaskId, StringComparer.Ordinal)];

    /// <summary>Completes one step of a task; null when the account has no such task.</summary>
    public async Task<(StepCompletionStatus Status, PlaybookTask Task)?> CompleteStepAsync(string accountId, string taskId, int step, string? by, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await store.GetAsync(accountId, taskId, cancellationToken).ConfigureAwait(false) is not { } task)
            {
                return null;
            }

            var (status, updated) = PlaybookPlanner.CompleteStep(task, step, by, clock.GetUtcNow());
            if (status != StepCompletionStatus.Done || await store.SaveAsync(updated, cancellationToken).ConfigureAwait(false) == PlaybookWriteStatus.Written)
            {
                return (status, updated with { ETag = null });
            }

            if (attempt >= ConflictRetries)
            {
                throw new InvalidOperationException($"Playbook task {accountId}/{taskId} kept changing.");
            }
        }
    }

    /// <summary>ARR in whole dollars (null while neither billing status nor revenue is known) and whether the account onboards.</summary>
    private async Task<PlaybookAccount> ReadAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var signals = await accounts.ReadAccountAsync(accountId, DateOnly.FromDateTime(now.UtcDateTime), cancellationToken).ConfigureAwait(false);
        var score = await scores.GetLatestAsync(accountId, cancellationToken).ConfigureAwait(false);
        long? arr = signals is { } s && (s.SubscriptionStatus is not null || s.MrrCents > 0) ? s.MrrCents * 12 / 100 : null;
        return new PlaybookAccount(arr, score?.Onboarding ?? false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4601, Level = LogLevel.Information, Message = "Playbook task {AccountId}/{TaskId}: {Kind} ({PlaybookId})")]
        public static partial void TaskChanged(ILogger logger, string accountId, string taskId, PlaybookTaskChangeKind kind, string playbookId);
    }
}
