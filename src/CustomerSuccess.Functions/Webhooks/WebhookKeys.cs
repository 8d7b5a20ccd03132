using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Where an event lives in the inbox and the archive: PK = "{provider}|{bucket}" (a hex digit of a stable hash of the
/// event id, so a provider's load spreads over a few partitions), RK = the event id as a key. Both depend on the event
/// id alone, so a redelivery days later lands on the same row. <see cref="EventKey"/> names the event to the other
/// features (parked events, the account's memory of applied events).
/// </summary>
internal readonly record struct DeliveryKey(string PartitionKey, string RowKey)
{
    public const int BucketsPerProvider = 4;

    public string EventKey => PartitionKey + "|" + RowKey;

    public static DeliveryKey Of(WebhookProvider provider, string eventId)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(eventId), hash);
        var bucket = (hash[0] % BucketsPerProvider).ToString("x", CultureInfo.InvariantCulture);
        return new DeliveryKey(ProviderPartitionPrefix(provider) + bucket, ProviderIdKeys.Escape(eventId));
    }

    /// <summary>The key back from <see cref="EventKey"/>: the partition is everything up to the second '|'.</summary>
    public static bool TryParse(string eventKey, out DeliveryKey key)
    {
        key = default;
        var first = eventKey?.IndexOf('|', StringComparison.Ordinal) ?? -1;
        var second = first < 0 ? -1 : eventKey!.IndexOf('|', first + 1);
        if (second < 0 || second == eventKey!.Length - 1)
        {
            return false;
        }

        key = new DeliveryKey(eventKey[..second], eventKey[(second + 1)..]);
        return true;
    }

    public static string ProviderPartitionPrefix(WebhookProvider provider) => provider.ToString().ToLowerInvariant() + "|";
}
