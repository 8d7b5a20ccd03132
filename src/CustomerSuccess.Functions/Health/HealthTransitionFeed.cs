using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// Pending transitions are the rows of HealthTransitions (written by the recompute before the scores they belong to,
/// deleted when taken), so reading them is one query over a table that holds only what is pending. Older runs sort
/// first, so one account's transitions are taken in the order they happened. Handle = "{partition}\n{row}".
/// </summary>
public sealed class HealthTransitionFeed(AppTables tables) : IHealthTransitionFeed
{
    private readonly AppTable _transitions = tables[HealthTables.Transitions];

    public async Task<IReadOnlyList<HealthTransitionEnvelope>> ReadPendingAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var pending = new List<HealthTransitionEnvelope>(Math.Min(max, 1000));
        await foreach (var row in _transitions.QueryAsync<HealthTransitionEntity>(TableFilter.All, pageSize: Math.Min(max, 1000), cancellationToken: cancellationToken))
        {
            if (row.ToTransition() is { } transition)
            {
                pending.Add(new HealthTransitionEnvelope(transition, row.PartitionKey + "\n" + row.RowKey));
                if (pending.Count == max)
                {
                    break;
                }
            }
        }

        return pending;
    }

    /// <summary>Deletes the taken rows, up to 100 of one partition (one recompute run's shard) in one transaction.</summary>
    public async Task AcknowledgeAsync(IReadOnlyList<HealthTransitionEnvelope> envelopes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelopes);
        var deletes = new List<TableTransactionAction>(envelopes.Count);
        foreach (var envelope in envelopes)
        {
            var parts = envelope.Handle.Split('\n', 2);
            if (parts.Length != 2)
            {
                throw new ArgumentException("Not a health transition handle: " + envelope.Handle, nameof(envelopes));
            }

            deletes.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(parts[0], parts[1]), ETag.All));
        }

        // NotFound = acknowledged before (a retried run): fine.
        await _transitions.SubmitEachAsync(deletes, cancellationToken);
    }
}
