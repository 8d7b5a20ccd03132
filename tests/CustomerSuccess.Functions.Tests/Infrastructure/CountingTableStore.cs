using System.Collections.Concurrent;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>Forwards to another store and counts point reads per table and row-key prefix (up to the first '|').</summary>
internal sealed class CountingTableStore(ITableStore inner) : ForwardingTableStore(inner)
{
    private readonly ConcurrentDictionary<(string Table, string Prefix), int> _gets = new();

    public int Gets(string table, string rowKeyPrefix = "") =>
        _gets.Where(g => g.Key.Table == table && g.Key.Prefix.StartsWith(rowKeyPrefix, StringComparison.Ordinal)).Sum(g => g.Value);

    public void Reset() => _gets.Clear();

    public override Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, IReadOnlyList<string>? columns = null, CancellationToken cancellationToken = default)
    {
        var bar = rowKey.IndexOf('|', StringComparison.Ordinal);
        _gets.AddOrUpdate((table, bar < 0 ? rowKey : rowKey[..(bar + 1)]), 1, (_, n) => n + 1);
        return base.GetAsync(table, partitionKey, rowKey, columns, cancellationToken);
    }
}
