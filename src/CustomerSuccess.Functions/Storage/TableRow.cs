using Azure;
using Azure.Data.Tables;

namespace CustomerSuccess.Functions.Storage;

/// <summary>The key and concurrency columns every row has; a feature's row type adds its own columns and maps them once.</summary>
public abstract class TableRow : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }
}
