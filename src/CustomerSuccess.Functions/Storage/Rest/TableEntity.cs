using System.Diagnostics.CodeAnalysis;

namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>
/// A table row: keys, ETag, timestamp and typed properties. Property values are one of the EDM types the
/// service stores: string, int, long, double, bool, DateTimeOffset, Guid, byte[] (null removes nothing on merge).
/// </summary>
public sealed class TableEntity
{
    public TableEntity(string partitionKey, string rowKey)
    {
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public string PartitionKey { get; }

    public string RowKey { get; }

    public string? ETag { get; set; }

    public DateTimeOffset? Timestamp { get; set; }

    public Dictionary<string, object?> Properties { get; } = new(StringComparer.Ordinal);

    public object? this[string name]
    {
        get => Properties.TryGetValue(name, out var v) ? v : null;
        set => Properties[name] = value;
    }

    public string? GetString(string name) => this[name] as string;

    public long? GetInt64(string name) => this[name] switch
    {
        long l => l,
        int i => i,
        double d => (long)d,
        string s when long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    public int? GetInt32(string name) => this[name] switch
    {
        int i => i,
        long l => checked((int)l),
        double d => (int)d,
        _ => null,
    };

    public double? GetDouble(string name) => this[name] switch
    {
        double d => d,
        int i => i,
        long l => l,
        _ => null,
    };

    public bool? GetBoolean(string name) => this[name] as bool?;

    public DateTimeOffset? GetDateTimeOffset(string name) => this[name] switch
    {
        DateTimeOffset d => d,
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        _ => null,
    };

    public Guid? GetGuid(string name) => this[name] as Guid?;

    [SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "Binary EDM values are byte arrays.")]
    public byte[]? GetBinary(string name) => this[name] as byte[];
}
