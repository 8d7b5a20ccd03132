using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>Result of writing tasks.</summary>
public enum PlaybookWriteStatus
{
    Written,

    /// <summary>Someone else changed the account's tasks in between (ETag, or a task added meanwhile); reload and decide again.</summary>
    Conflict,
}

/// <summary>
/// Playbook tasks in Table storage, the one place that knows their layout. Table "playbooktasks": partition = account
/// id, row = task id ("{ruleId}-{occurrence}"), so one task per alert episode by construction; the steps are a JSON
/// column. An account's changes are one entity-group transaction.
/// </summary>
public sealed class PlaybookTaskStore(AppTables tables)
{
    public const string Table = "playbooktasks";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static readonly TableFilter OpenTasks = TableFilter.Of($"Status eq {nameof(PlaybookTaskStatus.Open)}");

    private readonly AppTable _tasks = tables[Table];

    public async Task<IReadOnlyList<PlaybookTask>> ListForAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var tasks = new List<PlaybookTask>();
        await foreach (var row in _tasks.QueryAsync<PlaybookTaskRow>(TableFilter.Partition(accountId), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            tasks.Add(row.ToTask());
        }

        return tasks;
    }

    /// <summary>Open tasks across accounts (one scan of the table; closed tasks are filtered by the service).</summary>
    public async IAsyncEnumerable<PlaybookTask> ListOpenAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _tasks.QueryAsync<PlaybookTaskRow>(OpenTasks, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return row.ToTask();
        }
    }

    public async Task<PlaybookTask?> GetAsync(string accountId, string taskId, CancellationToken cancellationToken) =>
        (await _tasks.GetAsync<PlaybookTaskRow>(accountId, taskId, cancellationToken: cancellationToken).ConfigureAwait(false))?.ToTask();

    /// <summary>Writes one account's task changes atomically: an open is an insert, a close a replace guarded by the ETag read.</summary>
    public async Task<PlaybookWriteStatus> ApplyAsync(string accountId, IReadOnlyList<PlaybookTaskChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var actions = new List<TableTransactionAction>();
        foreach (var change in changes)
        {
            if (change.Task.AccountId != accountId)
            {
                throw new ArgumentException("A transaction covers one account's partition only.", nameof(changes));
            }

            actions.Add(Action(change.Task));
        }

        foreach (var chunk in actions.Chunk(AppTable.MaxTransactionActions))
        {
            var result = await _tasks.SubmitAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return result.FailedStatus is 409 or 412 or 404
                    ? PlaybookWriteStatus.Conflict
                    : throw new InvalidOperationException($"Writing playbook tasks of account {accountId} was refused: {result.FailedStatus} {result.ErrorCode}.");
            }
        }

        return PlaybookWriteStatus.Written;
    }

    /// <summary>Saves one task changed in place (a step completed), guarded by its ETag.</summary>
    public async Task<PlaybookWriteStatus> SaveAsync(PlaybookTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return await ApplyAsync(task.AccountId, [new PlaybookTaskChange(PlaybookTaskChangeKind.Open, task)], cancellationToken).ConfigureAwait(false);
    }

    private static TableTransactionAction Action(PlaybookTask task) => task.ETag is { } etag
        ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, PlaybookTaskRow.From(task), new ETag(etag))
        : new TableTransactionAction(TableTransactionActionType.Add, PlaybookTaskRow.From(task));
}

/// <summary>One task (table "playbooktasks", partition = account, row = task id).</summary>
public sealed class PlaybookTaskRow : TableRow
{
    public string RuleId { get; set; } = string.Empty;

    public int AlertOccurrence { get; set; }

    public string PlaybookId { get; set; } = string.Empty;

    public string Title { get; set; } = string.Empty;

    public string? Owner { get; set; }

    public DateTimeOffset TriggeredAt { get; set; }

    public PlaybookTaskStatus Status { get; set; }

    public string Reason { get; set; } = string.Empty;

    public DateTimeOffset? ClosedAt { get; set; }

    public string? CloseNote { get; set; }

    /// <summary>The steps as JSON.</summary>
    public string Steps { get; set; } = "[]";

    public static PlaybookTaskRow From(PlaybookTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new PlaybookTaskRow
        {
            PartitionKey = task.AccountId,
            RowKey = task.TaskId,
            RuleId = task.RuleId,
            AlertOccurrence = task.AlertOccurrence,
            PlaybookId = task.PlaybookId,
            Title = task.Title,
            Owner = task.Owner,
            TriggeredAt = task.TriggeredAt,
            Status = task.Status,
            Reason = task.Reason,
            ClosedAt = task.ClosedAt,
            CloseNote = task.CloseNote,
            Steps = JsonSerializer.Serialize(task.Steps, PlaybookTaskStore.Json),
        };
    }

    public PlaybookTask ToTask() => new()
    {
        AccountId = PartitionKey,
        RuleId = RuleId,
        AlertOccurrence = AlertOccurrence,
        PlaybookId = PlaybookId,
        Title = Title,
        Owner = Owner,
        TriggeredAt = TriggeredAt,
        Status = Status,
        Reason = Reason,
        ClosedAt = ClosedAt,
        CloseNote = CloseNote,
        Steps = JsonSerializer.Deserialize<List<PlaybookTaskStep>>(Steps, PlaybookTaskStore.Json) ?? [],
        ETag = ETag == default ? null : ETag.ToString(),
    };
}
