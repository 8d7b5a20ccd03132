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

    public async Task AcknowledgeAsync(HealthTransitionEnvelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var parts = envelope.Handle.Split('\n', 2);
        if (parts.Length != 2)
        {
            throw new ArgumentException("Not a health transition handle.", nameof(envelope));
        }

        // NotFound = already acknowledged: fine.
        await _transitions.DeleteAsync(parts[0], parts[1], cancellationToken: cancellationToken);
    }
}
