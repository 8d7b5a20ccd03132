using System.Globalization;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Where an event lives in the archive (and, in the inbox, the row key it waits under, see <see cref="InboxKey"/>):
/// PK = <c>{provider}|{yyyyMMdd}|{bucket}</c>, the UTC day the provider says it created the event and one of
/// <see cref="BucketsPerDay"/> buckets (a stable hash of the event id); RK = the event id as a key. An event with no
/// creation time, or one outside <see cref="EarliestDated"/>..<see cref="LatestDated"/>, goes to
/// <c>{provider}|undated|{bucket}</c> with <see cref="UndatedBuckets"/> buckets.
/// <para>
/// Why the day: the Table emulator finds a row by scanning its whole partition, so a partition that grows with the
/// life of the app makes every claim and lookup slower by the day. A day's bucket holds a quarter of a day's events of
/// one provider, however long the app runs. Why the creation time and not the arrival: the key depends on the event
/// alone, so a redelivery days later lands on the same row and is caught as a duplicate (409 on the archive's claim).
/// </para>
/// <see cref="EventKey"/> names the event to the other features (parked events, the account's memory of applied
/// events).
/// </summary>
internal readonly record struct DeliveryKey(string PartitionKey, string RowKey)
{
    public const int BucketsPerDay = 4;
    public const int UndatedBuckets = 16;
    public const string UndatedDay = "undated";

    /// <summary>The first creation time that places an event on its day.</summary>
    public static readonly DateTimeOffset EarliestDated = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The last creation time that places an event on its day (the end of 2099-12-31, UTC).</summary>
    public static readonly DateTimeOffset LatestDated = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1);

    public string EventKey => PartitionKey + "|" + RowKey;

    public static DeliveryKey Of(WebhookProvider provider, WebhookEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Of(provider, e.EventId, e.OccurredAt);
    }

    public static DeliveryKey Of(WebhookProvider provider, string eventId, DateTimeOffset? createdAt)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        var day = DayOf(createdAt);
        var buckets = day == UndatedDay ? UndatedBuckets : BucketsPerDay;
        var bucket = StableBucket.Of(eventId, buckets).ToString("x", CultureInfo.InvariantCulture);
        return new DeliveryKey(ProviderPartitionPrefix(provider) + day + "|" + bucket, ProviderIdKeys.Escape(eventId));
    }

    /// <summary>The day part of the partition key: the creation day (UTC) as yyyyMMdd, or <see cref="UndatedDay"/>.</summary>
    public static string DayOf(DateTimeOffset? createdAt) =>
        createdAt is { } at && at >= EarliestDated && at <= LatestDated
            ? at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)
            : UndatedDay;

    /// <summary>
    /// The key back from <see cref="EventKey"/>: the partition is everything up to the third '|' (the row key may hold
    /// '|' itself). A key written before partitions had a day (<c>{provider}|{bucket}</c>) ends at the second.
    /// </summary>
    public static bool TryParse(string eventKey, out DeliveryKey key)
    {
        key = default;
        if (eventKey is null)
        {
            return false;
        }

        var first = eventKey.IndexOf('|', StringComparison.Ordinal);
        var second = first < 0 ? -1 : eventKey.IndexOf('|', first + 1);
        if (second < 0)
        {
            return false;
        }

        var day = eventKey.AsSpan(first + 1, second - first - 1);
        var end = IsDayPart(day) ? eventKey.IndexOf('|', second + 1) : second;
        if (end < 0 || end == eventKey.Length - 1)
        {
            return false;
        }

        key = new DeliveryKey(eventKey[..end], eventKey[(end + 1)..]);
        return true;
    }

    public static string ProviderPartitionPrefix(WebhookProvider provider) => WebhookProviderNames.Of(provider) + "|";

    private static bool IsDayPart(ReadOnlySpan<char> part) =>
        part.SequenceEqual(UndatedDay) || (part.Length == 8 && !part.ContainsAnyExceptInRange('0', '9'));
}

/// <summary>
/// Where a delivery waits in the inbox: PK = the second it was received (UTC, <c>yyyyMMddHHmmss</c>) and the part of
/// that second (<c>20261203161530|0</c>; a part takes <see cref="WebhookInbox.RowsPerPart"/> deliveries, then the next
/// opens), after one of <see cref="WebhooksOptions.InboxPartitionsPerSecond"/> buckets
/// (<c>07|20261203161530|0</c>) when there are several; RK = the event's <see cref="DeliveryKey.EventKey"/>, which
/// names its row in the archive.
/// <para>
/// Why the arrival and not the event: the inbox is a queue, not the record. Deliveries that arrive together share a
/// partition, so their inserts share entity-group transactions (<see cref="Storage.TableGroupCommit{T}"/>); keyed by the
/// event they spread over a dozen partitions a day and went about 1.4 to a request. And a partition stays small
/// however far the applier lags or however long a clock stands still (a simulated one does, for a whole day), where
/// a lookup in the Table emulator scans its partition. The record of an event stored once is the archive's claim: a
/// redelivery this process stored lately is not stored again (<see cref="StoredLately"/>), one into the same partition
/// finds its row here (409), and any other waits as a second copy and its claim finds the first's.
/// </para>
/// <para>
/// Rows stored before this layout carry their archive keys (the PK starts with the provider) and are read as they are.
/// </para>
/// </summary>
internal readonly record struct InboxKey(string PartitionKey, string RowKey)
{
    /// <summary>Buckets per second, at most (two decimal digits in the key).</summary>
    public const int MaxPartitionsPerSecond = 64;

    // How the partitions of rows stored under the archive's keys begin: a provider's name.
    private static readonly string[] LegacyPrefixes = [.. Enum.GetValues<WebhookProvider>().Select(DeliveryKey.ProviderPartitionPrefix)];

    /// <summary>The second of <paramref name="receivedAt"/> as the key writes it (UTC).</summary>
    public static string SecondOf(DateTimeOffset receivedAt) => receivedAt.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    /// <summary>Where the event of <paramref name="delivery"/>, received at <paramref name="receivedAt"/>, waits in <paramref name="part"/> of its second.</summary>
    public static InboxKey For(DeliveryKey delivery, DateTimeOffset receivedAt, int partitionsPerSecond, int part)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionsPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partitionsPerSecond, MaxPartitionsPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        var second = SecondOf(receivedAt) + "|" + part.ToString(CultureInfo.InvariantCulture);
        var eventKey = delivery.EventKey;
        return new InboxKey(
            partitionsPerSecond == 1 ? second : StableBucket.Of(eventKey, partitionsPerSecond).ToString("D2", CultureInfo.InvariantCulture) + "|" + second,
            eventKey);
    }

    /// <summary>The archive key of the event that waits here; false for a row of neither layout.</summary>
    public bool TryGetDelivery(out DeliveryKey delivery)
    {
        var partition = PartitionKey;
        if (LegacyPrefixes.Any(prefix => partition.StartsWith(prefix, StringComparison.Ordinal)))
        {
            // Stored under the archive's keys, before the inbox had its own.
            delivery = new DeliveryKey(PartitionKey, RowKey);
            return true;
        }

        return DeliveryKey.TryParse(RowKey, out delivery);
    }
}
