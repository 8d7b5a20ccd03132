using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Tests.Health;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

public sealed class LifecycleFactsReaderTests
{
    private readonly HealthScoreCalculator _calculator = new(new HealthOptions());

    [Fact]
    public void Build_LatestScoreFromBeforeSubscriptionWasKnown_SegmentFromCurrentMrr()
    {
        // $3,000 a month = $36,000 ARR: Mid-Market. Scored while billing had told the app nothing (MRR 0: the smallest tier).
        var midMarket = HealthTestData.Healthy() with { MrrCents = 300_000 };
        var scoredBeforeBilling = _calculator.Score(midMarket with { MrrCents = 0, SubscriptionStatus = null }, null, null, HealthTestData.AsOf);
        Assert.Equal(AccountSegment.Smb, scoredBeforeBilling.Segment);

        var facts = LifecycleFactsReader.Build(midMarket, scoredBeforeBilling, _calculator, new ProductOptions(), HealthTestData.Today);

        Assert.Equal(AccountSegment.MidMarket, facts.Segment);
        Assert.Equal(scoredBeforeBilling.Band, facts.Band);
    }

    [Fact]
    public void Build_SmbAccount_SegmentSmb()
    {
        var smb = HealthTestData.Healthy();

        var facts = LifecycleFactsReader.Build(smb, _calculator.Score(smb, null, null, HealthTestData.AsOf), _calculator, new ProductOptions(), HealthTestData.Today);

        Assert.Equal(AccountSegment.Smb, facts.Segment);
    }
}
