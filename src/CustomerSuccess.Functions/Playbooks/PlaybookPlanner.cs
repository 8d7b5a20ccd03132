using CustomerSuccess.Functions.Alerts;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>What the account is, as far as playbooks care: its ARR in whole dollars (null when its revenue is not known) and whether it still onboards.</summary>
public readonly record struct PlaybookAccount(long? ArrDollars, bool Onboarding);

public enum PlaybookTaskChangeKind
{
    Open,
    Close,
}

/// <summary>A task to write: opened from an alert, or closed because its alert resolved.</summary>
public sealed record PlaybookTaskChange(PlaybookTaskChangeKind Kind, PlaybookTask Task);

public enum StepCompletionStatus
{
    Done,

    /// <summary>The step was completed before: the task is returned as it is.</summary>
    AlreadyDone,
    NoSuchStep,

    /// <summary>The task is closed: its alert resolved, nothing is left to do on it.</summary>
    TaskClosed,
}

/// <summary>
/// Turns alerts into playbook tasks and back. Pure: the caller supplies the account's alerts and tasks, the catalog,
/// the account's ARR and onboarding state, and the time. An active alert of a mapped rule has one task per episode
/// (rule and occurrence), opened at its raise unless the account is tech-touch; a task closes when its alert resolves
/// or a later occurrence of the rule replaces it.
/// </summary>
public static class PlaybookPlanner
{
    /// <summary>The close note of a task whose alert was resolved without a note of its own.</summary>
    public const string AlertResolvedNote = "Alert resolved";

    /// <summary>Below the configured ARR an account is tech-touch: no human tasks. Unknown revenue is not tech-touch.</summary>
    public static bool IsTechTouch(PlaybookAccount account, PlaybooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return account.ArrDollars is { } arr && arr < options.TechTouchMaxArr;
    }

    /// <summary>The task an alert opens, or null when no playbook takes its rule or the account is tech-touch.</summary>
    public static PlaybookTask? Open(Alert alert, PlaybookCatalog catalog, PlaybooksOptions options, PlaybookAccount account)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(catalog);
        if (IsTechTouch(account, options) || catalog.For(alert.RuleId, account.Onboarding) is not { } playbook)
        {
            return null;
        }

        return new PlaybookTask
        {
            AccountId = alert.AccountId,
            RuleId = alert.RuleId,
            AlertOccurrence = alert.Occurrence,
            PlaybookId = playbook.Id,
            Title = playbook.Title,
            Owner = alert.CsmEmail,
            TriggeredAt = alert.RaisedAt,
            Status = PlaybookTaskStatus.Open,
            Reason = alert.Reason,
            Steps = [.. playbook.Steps.Select((s, i) => new PlaybookTaskStep(i + 1, s.Name, alert.RaisedAt + s.DueAfter))],
        };
    }

    /// <summary>
    /// The task changes that bring one account's tasks in line with its alerts: open a task for each active alert of a
    /// mapped rule that has none for its episode; close each open task whose alert episode is no longer active.
    /// </summary>
    public static IReadOnlyList<PlaybookTaskChange> Reconcile(
        IReadOnlyCollection<Alert> alerts,
        IReadOnlyCollection<PlaybookTask> tasks,
        PlaybookCatalog catalog,
        PlaybooksOptions options,
        PlaybookAccount account,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(tasks);
        var changes = new List<PlaybookTaskChange>();
        foreach (var alert in alerts.Where(a => a.IsActive).OrderBy(a => a.RuleId, StringComparer.Ordinal))
        {
            if (!tasks.Any(t => t.RuleId == alert.RuleId && t.AlertOccurrence == alert.Occurrence) && Open(alert, catalog, options, account) is { } opened)
            {
                changes.Add(new PlaybookTaskChange(PlaybookTaskChangeKind.Open, opened));
            }
        }

        foreach (var task in tasks.Where(t => t.IsOpen).OrderBy(t => t.TaskId, StringComparer.Ordinal))
        {
            var alert = alerts.FirstOrDefault(a => a.RuleId == task.RuleId);
            if (alert is { IsActive: true } && alert.Occurrence == task.AlertOccurrence)
            {
                continue;
            }

            // Resolved, or a later episode of the rule took its place (whose own task opens above).
            var note = alert is not null && alert.Occurrence == task.AlertOccurrence ? alert.ResolutionNote : null;
            changes.Add(new PlaybookTaskChange(PlaybookTaskChangeKind.Close, task with
            {
                Status = PlaybookTaskStatus.Closed,
                ClosedAt = alert?.Occurrence == task.AlertOccurrence ? alert.ResolvedAt ?? now : now,
                CloseNote = string.IsNullOrWhiteSpace(note) ? AlertResolvedNote : AlertResolvedNote + ": " + note,
            }));
        }

        return changes;
    }

    /// <summary>Completes step <paramref name="number"/> of an open task.</summary>
    public static (StepCompletionStatus Status, PlaybookTask Task) CompleteStep(PlaybookTask task, int number, string? by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.Steps.FirstOrDefault(s => s.Number == number) is not { } step)
        {
            return (StepCompletionStatus.NoSuchStep, task);
        }

        if (step.IsDone)
        {
            return (StepCompletionStatus.AlreadyDone, task);
        }

        if (!task.IsOpen)
        {
            return (StepCompletionStatus.TaskClosed, task);
        }

        return (StepCompletionStatus.Done, task with
        {
            Steps = [.. task.Steps.Select(s => s.Number == number ? s with { CompletedAt = now, CompletedBy = string.IsNullOrWhiteSpace(by) ? null : by.Trim() } : s)],
        });
    }

    /// <summary>
    /// The overdue steps of an open task not escalated yet, marked escalated now, and the earliest of them (it names the
    /// escalation); null when there is none. One escalation covers every step that went overdue since the last.
    /// </summary>
    public static (PlaybookTask Task, PlaybookTaskStep Step)? EscalateOverdue(PlaybookTask task, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        var due = OverdueSteps(task, now).Where(s => s.EscalatedAt is null).ToList();
        if (due.Count == 0)
        {
            return null;
        }

        var numbers = due.Select(s => s.Number).ToHashSet();
        return (task with { Steps = [.. task.Steps.Select(s => numbers.Contains(s.Number) ? s with { EscalatedAt = now } : s)] }, due[0]);
    }

    /// <summary>The steps of an open task past their due time and not done, earliest due first.</summary>
    public static IReadOnlyList<PlaybookTaskStep> OverdueSteps(PlaybookTask task, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.IsOpen ? [.. task.Steps.Where(s => !s.IsDone && s.DueBy <= now).OrderBy(s => s.DueBy)] : [];
    }
}
