using Azure.Data.Tables;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// Many independent writes to one table in as few requests as the service allows: grouped by partition into
/// entity-group transactions of up to 100, the groups sent a few at a time. When the service refuses a transaction
/// because of one operation (an insert finds its key taken, a delete or update finds its row gone or changed), that
/// operation gets that outcome and the rest are sent again without it; a refusal that names no operation sends them
/// one at a time. An outage still surfaces as <see cref="TableStorageUnavailableException"/>.
/// </summary>
public static class TableBatches
{
    private const int Parallelism = 16;

    /// <summary>The outcome of each action, in the order given.</summary>
    public static async Task<TableWriteStatus[]> SubmitEachAsync(this AppTable table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(actions);
        var outcomes = new TableWriteStatus[actions.Count];
        var batches = new List<List<int>>();
        foreach (var group in Enumerable.Range(0, actions.Count).GroupBy(i => actions[i].Entity.PartitionKey, StringComparer.Ordinal))
        {
            batches.AddRange(group.Chunk(AppTable.MaxTransactionActions).Select(c => c.ToList()));
        }

        // One transaction (the common case: a page's rows of one partition, a group commit) goes on this thread; more go
        // a few at a time.
        if (batches.Count == 1)
        {
            await SendAsync(batches[0], cancellationToken);
        }
        else
        {
            await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, (batch, ct) => new ValueTask(SendAsync(batch, ct)));
        }

        return outcomes;

        async Task SendAsync(List<int> batch, CancellationToken ct)
        {
            while (batch.Count > 0)
            {
                var submitted = await table.SubmitAsync([.. batch.Select(i => actions[i])], ct);
                if (submitted.Succeeded)
                {
                    batch.ForEach(i => outcomes[i] = TableWriteStatus.Success);
                    return;
                }

                if (submitted.FailedActionIndex is { } failed && failed < batch.Count && StatusOf(submitted.FailedStatus) is { } status)
                {
                    outcomes[batch[failed]] = status;
                    batch.RemoveAt(failed);
                    continue;
                }

                foreach (var i in batch)
                {
                    outcomes[i] = (await OneAsync(table, actions[i], ct)).Status;
                }

                return;
            }
        }
    }

    private static TableWriteStatus? StatusOf(int? status) => status switch
    {
        409 => TableWriteStatus.AlreadyExists,
        412 => TableWriteStatus.PreconditionFailed,
        404 => TableWriteStatus.NotFound,
        _ => null,
    };

    private static Task<TableWriteOutcome> OneAsync(AppTable table, TableTransactionAction action, CancellationToken cancellationToken) => action.ActionType switch
    {
        TableTransactionActionType.Add => table.AddAsync(action.Entity, cancellationToken),
        TableTransactionActionType.UpsertMerge => table.UpsertAsync(action.Entity, TableUpdateMode.Merge, cancellationToken),
        TableTransactionActionType.UpsertReplace => table.UpsertAsync(action.Entity, TableUpdateMode.Replace, cancellationToken),
        TableTransactionActionType.UpdateMerge => table.UpdateAsync(action.Entity, AnyIfDefault(action.ETag), TableUpdateMode.Merge, cancellationToken),
        TableTransactionActionType.UpdateReplace => table.UpdateAsync(action.Entity, AnyIfDefault(action.ETag), TableUpdateMode.Replace, cancellationToken),
        TableTransactionActionType.Delete => table.DeleteAsync(action.Entity.PartitionKey, action.Entity.RowKey, action.ETag, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action.ActionType, "Unknown action type."),
    };

    // A transaction's update without an ETag matches any version; a single update needs it said.
    private static Azure.ETag AnyIfDefault(Azure.ETag etag) => etag == default ? Azure.ETag.All : etag;
}
