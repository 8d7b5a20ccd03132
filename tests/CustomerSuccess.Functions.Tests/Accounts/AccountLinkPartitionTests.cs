using System.Globalization;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>Where a link is stored: the id kind and one of 256 buckets of the external id, so no partition holds a whole kind.</summary>
public sealed class AccountLinkPartitionTests
{
    [Fact]
    public void LinkPartition_SameId_SamePartitionOfItsKind()
    {
        var partition = AccountIdentity.LinkPartition(ExternalIdKinds.StripeCustomer, "cus_1");

        Assert.Equal(partition, AccountIdentity.LinkPartition(ExternalIdKinds.StripeCustomer, "cus_1"));
        Assert.Matches("^" + ExternalIdKinds.StripeCustomer + "\\|[0-9a-f]{2}$", partition);
        Assert.NotEqual(partition, AccountIdentity.LinkPartition(ExternalIdKinds.SegmentGroup, "cus_1"));
    }

    [Fact]
    public void LinkPartition_ManyIds_SpreadOverAllBuckets()
    {
        var counts = Enumerable.Range(0, 25_600)
            .GroupBy(i => AccountIdentity.LinkPartition(ExternalIdKinds.SegmentUser, "usr_" + i.ToString(CultureInfo.InvariantCulture)))
            .Select(g => g.Count())
            .ToList();

        Assert.Equal(AccountIdentity.LinkBuckets, counts.Count);
        Assert.InRange(counts.Max(), 100, 160);
        Assert.InRange(counts.Min(), 50, 100);
    }
}
