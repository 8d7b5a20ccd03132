using Azure.Data.Tables;

namespace CustomerSuccess.Functions.Storage;

/// <summary>What an entity weighs in a transaction's payload, for the service's limit on one transaction.</summary>
public static class TableEntitySize
{
    /// <summary>
    /// An upper estimate: binary values as base64 (4 bytes per 3), strings as escaped UTF-8 JSON (at most 6 bytes a
    /// character), any other value and each property's name with its type annotation at a generous fixed size, plus
    /// the request's envelope.
    /// </summary>
    public static int EstimatedWireBytes(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        // The keys are entries of the entity too, so the loop counts them.
        long bytes = 2048;
        foreach (var (name, value) in entity)
        {
            bytes += 64 + (name.Length * 6) + value switch
            {
                byte[] binary => ((binary.Length + 2) / 3) * 4,
                BinaryData data => ((data.ToMemory().Length + 2) / 3) * 4,
                string text => text.Length * 6,
                _ => 64,
            };
        }

        return (int)Math.Min(bytes, int.MaxValue);
    }
}
