using System.Globalization;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Where an event lives in the inbox and the archive:
/// PK = <c>{provider}|{yyyyMMdd}|{bucket}</c>, the UTC day the provider says it created the event and one of
/// <see cref="BucketsPerDay"/> buckets (a stable hash of the event id); RK = the event id as a key. An event with no
/// creation time, or one outside <see cref="EarliestDated"/>..<see cref="LatestDated"/>, goes to
/// <c>{provider}|undated|{bucket}</c> with <see cref="UndatedBuckets"/> buckets.
/// <para>
/// Why the day: the Table emulator finds a row by scanning its whole partition, so a partition that grows with the
/// life of the app makes every claim and lookup slower by the day. A day's bucket holds a quarter of a day's events of
/// one provider, however long the app runs. Why the creation time and not the arrival: the key depends on the event
/// alone, so a redelivery days later lands on the same row and is caught as a duplicate (409 on insert).
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
