using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// Pending transitions are the "tx|" rows of each shard partition (written with the scores); reading is one
/// partition range query per shard, acknowledging deletes the row. Handle = "{partition}\n{row}".
/// </summary>
public sealed class HealthTransitionFeed(ITableStore tables, IOptions<HealthOptions> options) : IHealthTransitionFeed
{
    public async Task<IReadOnlyList<HealthTransitionEnvelope>> ReadPendingAsync(int max, CancellationToken cancellationToken)
    {
        var pending = new List<HealthTransitionEnvelope>();
        for (var shard = 0; shard < options.Value.ShardCount && pending.Count < max; shard++)
        {
            var filter = HealthRows.PrefixFilter(HealthRows.Partition(shard), "tx|");
            await foreach (var e in tables.QueryAsync(HealthRows.Table, filter, null, Math.Min(1000, max), cancellationToken))
            {
                if (HealthRows.ToTransition(e) is { } transition)
                {
                    pending.Add(new HealthTransitionEnvelope(transition, e.PartitionKey + "\n" + e.RowKey));
                }

                if (pending.Count >= max)
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
        await tables.DeleteAsync(HealthRows.Table, parts[0], parts[1], "*", cancellationToken);
    }
}
