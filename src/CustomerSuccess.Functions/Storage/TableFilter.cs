using Azure.Data.Tables;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// An OData filter for a table query. The only way to make one is through these factories, which build the text
/// with <see cref="TableClient.CreateQueryFilter(FormattableString)"/>: values are quoted and escaped by the SDK,
/// never by string concatenation, so no key or id can change the meaning of a filter.
/// </summary>
public readonly record struct TableFilter
{
    private TableFilter(string? text) => Text = text;

    /// <summary>The filter text, or null for every entity of the table.</summary>
    public string? Text { get; }

    /// <summary>Every entity.</summary>
    public static TableFilter All => default;

    /// <summary>Any condition written as an interpolated string; the SDK escapes every interpolated value.</summary>
    public static TableFilter Of(FormattableString filter) => new(TableClient.CreateQueryFilter(filter));

    public static TableFilter Partition(string partitionKey) => Of($"PartitionKey eq {partitionKey}");

    /// <summary>Rows of one partition with <paramref name="fromRowKey"/> ≤ RowKey &lt; <paramref name="toRowKey"/>.</summary>
    public static TableFilter RowRange(string partitionKey, string fromRowKey, string toRowKey) =>
        Of($"PartitionKey eq {partitionKey} and RowKey ge {fromRowKey} and RowKey lt {toRowKey}");

    /// <summary>Rows of one partition whose key starts with <paramref name="prefix"/>.</summary>
    public static TableFilter RowPrefix(string partitionKey, string prefix) => RowRange(partitionKey, prefix, PrefixEnd(prefix));

    /// <summary>Every row of the partitions with <paramref name="fromPartitionKey"/> ≤ PartitionKey &lt; <paramref name="toPartitionKey"/>.</summary>
    public static TableFilter PartitionRange(string fromPartitionKey, string toPartitionKey) =>
        Of($"PartitionKey ge {fromPartitionKey} and PartitionKey lt {toPartitionKey}");

    /// <summary>Both conditions.</summary>
    public TableFilter And(TableFilter other) =>
        Text is null ? other : other.Text is null ? this : new TableFilter("(" + Text + ") and (" + other.Text + ")");

    public override string ToString() => Text ?? string.Empty;

    /// <summary>The smallest key greater than every key that starts with <paramref name="prefix"/>.</summary>
    public static string PrefixEnd(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        return prefix[..^1] + (char)(prefix[^1] + 1);
    }
}
