using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>Where a delivery waits in the inbox: the second it arrived and a part of it, and its event's archive key as row key.</summary>
public sealed class InboxKeyTests
{
    private static readonly DateTimeOffset Received = new(2026, 12, 3, 17, 4, 5, 678, TimeSpan.FromHours(2));
    private static readonly DeliveryKey Event = DeliveryKey.Of(WebhookProvider.Stripe, "evt_1|x", new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void For_OnePartitionPerSecond_TheUtcSecondAndTheEventKey()
    {
        var key = InboxKey.For(Event, Received, 1, 0);

        Assert.Equal(new InboxKey("20261203150405|0", Event.EventKey), key);
        Assert.Equal(key, InboxKey.For(Event, Received.AddMilliseconds(300), 1, 0));
        Assert.Equal("20261203150406|0", InboxKey.For(Event, Received.AddSeconds(1), 1, 0).PartitionKey);
        Assert.Equal("20261203150405|12", InboxKey.For(Event, Received, 1, 12).PartitionKey);
    }

    [Fact]
    public void For_SeveralPartitionsPerSecond_TheEventsBucketLeads()
    {
        var key = InboxKey.For(Event, Received, 8, 1);

        Assert.Equal(StableBucket.Of(Event.EventKey, 8).ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + "|20261203150405|1", key.PartitionKey);
        Assert.Equal(Event.EventKey, key.RowKey);
        var buckets = Enumerable.Range(0, 200).Select(i => InboxKey.For(DeliveryKey.Of(WebhookProvider.Segment, "m" + i, null), Received, 8, 0).PartitionKey[..2]).Distinct().Count();
        Assert.Equal(8, buckets);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(InboxKey.MaxPartitionsPerSecond + 1)]
    public void For_PartitionsOutOfRange_Refused(int partitions) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => InboxKey.For(Event, Received, partitions, 0));

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public void TryGetDelivery_GivesBackTheArchiveKey_DatedOrUndated(int partitions)
    {
        foreach (var delivery in (DeliveryKey[])[Event, DeliveryKey.Of(WebhookProvider.Zendesk, "z|1", null), DeliveryKey.Of(WebhookProvider.Segment, "m-1", Received)])
        {
            Assert.True(InboxKey.For(delivery, Received, partitions, 3).TryGetDelivery(out var back));
            Assert.Equal(delivery, back);
        }
    }

    [Fact]
    public void TryGetDelivery_RowStoredUnderTheArchiveKeys_ReadAsItIs()
    {
        // What the inbox held before it had keys of its own.
        Assert.True(new InboxKey(Event.PartitionKey, Event.RowKey).TryGetDelivery(out var back));
        Assert.Equal(Event, back);
    }

    [Theory]
    [InlineData("20261203150405|0", "evt_1")]
    [InlineData("20261203150405|0", "")]
    [InlineData("03|20261203150405|0", "stripe|20261201")]
    public void TryGetDelivery_RowKeyNamesNoEvent_False(string partitionKey, string rowKey) =>
        Assert.False(new InboxKey(partitionKey, rowKey).TryGetDelivery(out _));

    [Fact]
    public void KeyFor_ASecondFillsItsParts_ThenTheNextSecondStartsAtPartZero()
    {
        var inbox = new WebhookInbox(new AppTables(StorageModule.CreateServiceClient(new TableStorageOptions { ConnectionString = "UseDevelopmentStorage=true" }, new Azure.Data.Tables.TableClientOptions()), [], Microsoft.Extensions.Logging.Abstractions.NullLogger<AppTables>.Instance));
        DeliveryKey EventNo(int i) => DeliveryKey.Of(WebhookProvider.Segment, "m" + i, null);

        var first = Enumerable.Range(0, (2 * WebhookInbox.RowsPerPart) + 1).Select(i => inbox.KeyFor(EventNo(i), Received, 1).PartitionKey).ToList();
        var late = inbox.KeyFor(EventNo(-1), Received.AddSeconds(-1), 1);
        var next = inbox.KeyFor(EventNo(-2), Received.AddSeconds(1), 1);

        Assert.Equal(
            [("20261203150405|0", WebhookInbox.RowsPerPart), ("20261203150405|1", WebhookInbox.RowsPerPart), ("20261203150405|2", 1)],
            first.GroupBy(p => p).Select(g => (g.Key, g.Count())));
        Assert.Equal("20261203150404|2", late.PartitionKey);
        Assert.Equal("20261203150406|0", next.PartitionKey);
    }
}
