using System.Text;

namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>What only the hand-written REST client needs: entity addresses with escaped keys, and OData literals.</summary>
internal static class RestTableKeys
{
    public static void ValidateEntityKeys(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        TableKeys.ValidateKey(entity.PartitionKey, nameof(entity.PartitionKey));
        TableKeys.ValidateKey(entity.RowKey, nameof(entity.RowKey));
    }

    /// <summary>The path segment addressing one entity: <c>table(PartitionKey='pk',RowKey='rk')</c>, escaped for a URL.</summary>
    public static string EntityPath(string table, string partitionKey, string rowKey)
    {
        var sb = new StringBuilder(table.Length + partitionKey.Length + rowKey.Length + 32);
        sb.Append(table).Append("(PartitionKey='");
        AppendKey(sb, partitionKey);
        sb.Append("',RowKey='");
        AppendKey(sb, rowKey);
        sb.Append("')");
        return sb.ToString();
    }

    /// <summary>An OData string literal: single quotes doubled inside.</summary>
    public static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static void AppendKey(StringBuilder sb, string key)
    {
        // OData doubles a quote inside a literal; the result is then percent-encoded for the path. Keeping the
        // quote percent-encoded too means no character of a key can end the literal early.
        sb.Append(Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal)));
    }
}
