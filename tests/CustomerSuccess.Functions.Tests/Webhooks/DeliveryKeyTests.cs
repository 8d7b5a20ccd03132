using System.Globalization;
using System.Security.Cryptography;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>Where a delivery is stored: a pure function of the provider, the event id and the provider's creation time.</summary>
public sealed class DeliveryKeyTests
{
    private static readonly DateTimeOffset Created = new(2026, 3, 4, 23, 30, 0, TimeSpan.FromHours(-5));

    [Fact]
    public void Of_SameEventTwice_SameKey()
    {
        var first = DeliveryKey.Of(WebhookProvider.Stripe, "evt_1", Created);
        var again = DeliveryKey.Of(WebhookProvider.Stripe, new WebhookEvent("evt_1", "invoice.paid", Created.ToUniversalTime(), "{}"));

        Assert.Equal(first, again);
    }

    [Fact]
    public void Of_DatedEvent_PartitionIsProviderUtcCreationDayAndBucket()
    {
        var key = DeliveryKey.Of(WebhookProvider.Segment, "msg-1", Created);

        Assert.Matches("^segment\\|20260305\\|[0-3]$", key.PartitionKey);
        Assert.Equal("msg-1", key.RowKey);
        Assert.Equal(key.PartitionKey + "|msg-1", key.EventKey);
    }

    [Fact]
    public void Of_RowStoredOnAnotherDay_KeyFollowsCreationNotArrival()
    {
        var e = new WebhookEvent("evt_late", "invoice.paid", Created, "{}");

        var first = WebhookDeliveryRow.Create(WebhookProvider.Stripe, e, Created.AddMinutes(1));
        var redelivered = WebhookDeliveryRow.Create(WebhookProvider.Stripe, e, Created.AddDays(3));

        Assert.Equal((first.PartitionKey, first.RowKey), (redelivered.PartitionKey, redelivered.RowKey));
        Assert.StartsWith("stripe|20260305|", first.PartitionKey, StringComparison.Ordinal);
    }

    public static TheoryData<DateTimeOffset?> Undatable => new()
    {
        null,
        DateTimeOffset.MinValue,
        new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero),
        new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero),
        DateTimeOffset.MaxValue,
    };

    [Theory]
    [MemberData(nameof(Undatable))]
    public void Of_NoCreationTimeOrOutOfRange_Undated(DateTimeOffset? createdAt)
    {
        var key = DeliveryKey.Of(WebhookProvider.Zendesk, "z-1", createdAt);

        Assert.Matches("^zendesk\\|undated\\|[0-9a-f]$", key.PartitionKey);
        Assert.Equal(key, DeliveryKey.Of(WebhookProvider.Zendesk, "z-1", null));
    }

    [Fact]
    public void Of_EdgesOfTheRange_Dated()
    {
        Assert.StartsWith("stripe|20000101|", DeliveryKey.Of(WebhookProvider.Stripe, "a", new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)).PartitionKey, StringComparison.Ordinal);
        Assert.StartsWith("stripe|20991231|", DeliveryKey.Of(WebhookProvider.Stripe, "a", new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1)).PartitionKey, StringComparison.Ordinal);

        // In range as an instant, though its local date is a day earlier than its UTC one.
        Assert.StartsWith("stripe|20000101|", DeliveryKey.Of(WebhookProvider.Stripe, "a", new DateTimeOffset(1999, 12, 31, 20, 0, 0, TimeSpan.FromHours(-5))).PartitionKey, StringComparison.Ordinal);
    }

    [Fact]
    public void Of_ManyEventsOfOneDay_SpreadOverEveryBucket()
    {
        var counts = Enumerable.Range(0, 4000)
            .GroupBy(i => DeliveryKey.Of(WebhookProvider.Stripe, "evt_" + i.ToString(CultureInfo.InvariantCulture), Created).PartitionKey)
            .ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(DeliveryKey.BucketsPerDay, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 800, 1200));
    }

    [Fact]
    public void Of_ManyUndatedEvents_SpreadOverEveryUndatedBucket()
    {
        var counts = Enumerable.Range(0, 8000)
            .GroupBy(i => DeliveryKey.Of(WebhookProvider.Segment, Guid.NewGuid().ToString(), null).PartitionKey)
            .ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(DeliveryKey.UndatedBuckets, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 350, 650));
    }

    [Fact]
    public void Of_HostileEventId_KeysTheTableServiceAccepts()
    {
        var key = DeliveryKey.Of(WebhookProvider.Segment, "a/b#c?d\\e|f" + new string('x', 600), Created);

        Assert.True(ProviderIdKeys.IsValidKey(key.PartitionKey));
        Assert.True(ProviderIdKeys.IsValidKey(key.RowKey));
    }

    [Theory]
    [InlineData("evt_1", true)]
    [InlineData("id|with|pipes", true)]
    [InlineData("evt_1", false)]
    public void TryParse_EventKey_GivesTheKeyBack(string eventId, bool dated)
    {
        var key = DeliveryKey.Of(WebhookProvider.Stripe, eventId, dated ? Created : null);

        Assert.True(DeliveryKey.TryParse(key.EventKey, out var parsed));
        Assert.Equal(key, parsed);
    }

    [Fact]
    public void TryParse_KeyFromBeforePartitionsHadADay_ProviderAndBucketPartition()
    {
        Assert.True(DeliveryKey.TryParse("stripe|3|evt_1|x", out var parsed));
        Assert.Equal(new DeliveryKey("stripe|3", "evt_1|x"), parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("stripe")]
    [InlineData("stripe|20260305")]
    [InlineData("stripe|20260305|2")]
    [InlineData("stripe|20260305|2|")]
    [InlineData("stripe|3|")]
    public void TryParse_NotAnEventKey_False(string eventKey) => Assert.False(DeliveryKey.TryParse(eventKey, out _));

    [Fact]
    public void StableBucket_IsTheLeadingBytesOfSha256OverUtf16()
    {
        foreach (var value in (string[])["evt_1", "cus_RYx8n1H3dq9ZpA", string.Empty, "\uD800lone"])
        {
            // UTF-16LE code units as they are, lone surrogates too (an encoder would replace those).
            var hash = SHA256.HashData([.. value.SelectMany(c => (byte[])[(byte)(c & 0xFF), (byte)(c >> 8)])]);

            Assert.Equal(((hash[0] << 8) | hash[1]) % 256, StableBucket.Of(value, 256));
        }
    }
}
