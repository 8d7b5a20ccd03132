using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Playbooks;

public enum PlaybookTaskStatus
{
    Open,

    /// <summary>The alert that opened it resolved (or moved on to a new episode).</summary>
    Closed,
}

/// <summary>
/// A task list for one account's alert episode (rule and occurrence), from a playbook: its steps are due at the
/// trigger (the alert's raise) plus each step's offset. <see cref="TaskId"/> is "{ruleId}-{occurrence}", unique within
/// the account.
/// </summary>
public sealed partial record PlaybookTask
{
    public required string AccountId { get; init; }

    public required string RuleId { get; init; }

    public required int AlertOccurrence { get; init; }

    public required string PlaybookId { get; init; }

    public required string Title { get; init; }

    /// <summary>The account's CSM when the task opened (null when the account names none).</summary>
    public string? Owner { get; init; }

    public required DateTimeOffset TriggeredAt { get; init; }

    public required PlaybookTaskStatus Status { get; init; }

    /// <summary>Why the alert was raised, as it said when the task opened.</summary>
    public string Reason { get; init; } = string.Empty;

    public DateTimeOffset? ClosedAt { get; init; }

    public string? CloseNote { get; init; }

    public required IReadOnlyList<PlaybookTaskStep> Steps { get; init; }

    public string? ETag { get; init; }

    public string TaskId => IdFor(RuleId, AlertOccurrence);

    public bool IsOpen => Status == PlaybookTaskStatus.Open;

    public static string IdFor(string ruleId, int occurrence) => $"{ruleId}-{occurrence.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Whether <paramref name="taskId"/> has the shape <see cref="IdFor"/> gives: a rule id and an occurrence.</summary>
    public static bool IsWellFormedId(string taskId) => TaskIdShape().IsMatch(taskId);

    [GeneratedRegex("^[a-z0-9-]{1,64}-[0-9]{1,9}$", RegexOptions.CultureInvariant)]
    private static partial Regex TaskIdShape();
}

/// <summary>One step of a task; <see cref="Number"/> counts from 1 in the playbook's order. <see cref="EscalatedAt"/>: when
/// its being overdue escalated the task's alert (once per step).</summary>
public sealed record PlaybookTaskStep(int Number, string Name, DateTimeOffset DueBy, DateTimeOffset? CompletedAt = null, string? CompletedBy = null, DateTimeOffset? EscalatedAt = null)
{
    public bool IsDone => CompletedAt is not null;
}
