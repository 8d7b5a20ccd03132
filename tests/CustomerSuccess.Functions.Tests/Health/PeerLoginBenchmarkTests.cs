using CustomerSuccess.Functions.Health;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>Login frequency against the portfolio's own cadence: the histogram a run keeps, its medians, and how the model reads them.</summary>
public sealed class PeerLoginBenchmarkTests
{
    private static int LoginSubSignal(HealthScoreCalculator calculator, int loginsPerDay, PeerLoginBenchmark? peers) =>
        calculator.Explain(Healthy((_, d) => d with { Logins = loginsPerDay }), AsOf, peers).Single(x => x.Name == HealthSubSignals.LoginFrequency).Value!.Value;

    private static PeerLoginBenchmark Peers(double perUserWeek) => new("run", perUserWeek, perUserWeek, perUserWeek, 100);

    private static HealthScoreCalculator AgainstPeers(Action<HealthOptions>? configure = null) => Calculator(o =>
    {
        o.LoginsAgainstPeers = true;
        configure?.Invoke(o);
    });

    [Fact]
    public void Histogram_MedianPerSegment_FromTheMiddleAccount()
    {
        var histogram = new LoginRateHistogram();
        foreach (var rate in new[] { 0.2, 0.6, 0.9, 1.0, 4.0 })
        {
            histogram.Add(AccountSegment.Smb, rate);
        }

        var benchmark = histogram.Benchmark("r1", minimumPeers: 5);

        Assert.Equal(0.9, benchmark.Smb); // the bin [0.90, 0.95), its lower edge
        Assert.Equal(5, benchmark.Peers);
        Assert.Equal("r1", benchmark.RunId);
    }

    [Fact]
    public void Histogram_SegmentWithTooFewPeers_TakesThePortfoliosMedian_AndTooFewInAll_None()
    {
        var histogram = new LoginRateHistogram();
        for (var i = 0; i < 30; i++)
        {
            histogram.Add(AccountSegment.Smb, 2.0);
        }

        histogram.Add(AccountSegment.Enterprise, 10.0);

        var benchmark = histogram.Benchmark("r1", minimumPeers: 20);
        Assert.Equal(2.0, benchmark.Smb);
        Assert.Equal(2.0, benchmark.Enterprise); // 1 peer: the portfolio's median
        Assert.Equal(2.0, benchmark.MidMarket);

        var tooFew = histogram.Benchmark("r1", minimumPeers: 100);
        Assert.Null(tooFew.Smb);
        Assert.Null(tooFew.Enterprise);
    }

    [Fact]
    public void Histogram_NobodyLogsIn_NoYardstick()
    {
        // A product that sends no login events: a yardstick of zero would score every account full.
        var histogram = new LoginRateHistogram();
        for (var i = 0; i < 30; i++)
        {
            histogram.Add(AccountSegment.Smb, 0);
        }

        Assert.Null(histogram.Benchmark("r1", minimumPeers: 20).Smb);
    }

    [Fact]
    public void Histogram_SerializedAndMerged_CountsEveryShard()
    {
        var shard0 = new LoginRateHistogram();
        shard0.Add(AccountSegment.Smb, 1.0);
        shard0.Add(AccountSegment.Enterprise, 30.0); // above the last bin: counted in it
        var shard1 = new LoginRateHistogram();
        shard1.Add(AccountSegment.Smb, 1.0);
        shard1.Add(AccountSegment.MidMarket, 0.5);

        var merged = LoginRateHistogram.Parse(shard0.Serialize());
        merged.Merge(LoginRateHistogram.Parse(shard1.Serialize()));

        Assert.Equal(2, merged.Count(AccountSegment.Smb));
        Assert.Equal(1, merged.Count(AccountSegment.MidMarket));
        Assert.Equal(1, merged.Count(AccountSegment.Enterprise));
        Assert.Equal(merged.Serialize(), LoginRateHistogram.Parse(merged.Serialize()).Serialize());
        Assert.Equal(0, LoginRateHistogram.Parse(null).Total);
    }

    [Theory]
    [InlineData("20=1")]
    [InlineData("x=1;;")]
    [InlineData("400=1;;")]
    public void Histogram_MalformedCheckpoint_Refused(string text) =>
        Assert.Throws<FormatException>(() => LoginRateHistogram.Parse(text));

    [Fact]
    public void Score_LoginsAtThePeersCadence_FullMarks_WhereTheFixedYardstickSaysAQuarter()
    {
        // 1 login a day for 8 active users: 28 / (8 × 4) = 0.875 logins per user-week, a quarter of the fixed 3.
        var calculator = AgainstPeers();

        Assert.Equal(25, LoginSubSignal(calculator, 1, peers: null));
        Assert.Equal(100, LoginSubSignal(calculator, 1, Peers(0.85)));
        Assert.Equal(50, LoginSubSignal(calculator, 1, Peers(1.6))); // 0.875 / 1.6 = 55%
        Assert.Equal(0, LoginSubSignal(calculator, 0, Peers(0.85)));
    }

    [Fact]
    public void Score_PeersMeasured_MoveTheScore()
    {
        var calculator = AgainstPeers();
        var signals = Healthy((_, d) => d with { Logins = 1 });

        var fixedYardstick = calculator.Score(signals, null, null, AsOf);
        var againstPeers = calculator.Score(signals, null, null, AsOf, Peers(0.85));

        Assert.True(againstPeers.Dimension(HealthDimension.ProductUsage) > fixedYardstick.Dimension(HealthDimension.ProductUsage));
        Assert.True(againstPeers.Score > fixedYardstick.Score);
    }

    [Fact]
    public void Score_PeersOffOrOwnPast_TheBenchmarkIsIgnored()
    {
        Assert.False(new HealthOptions().LoginsAgainstPeers); // off by default: the fixed yardstick
        Assert.Equal(25, LoginSubSignal(Calculator(), 1, Peers(0.85)));

        // Own-past mode: a steady account keeps 100 whatever the peers do.
        Assert.Equal(100, LoginSubSignal(AgainstPeers(o => o.ExpectedWeeklyLoginsPerActiveUser = null), 1, Peers(50)));
    }

    [Fact]
    public void PeerLoginRate_EstablishedActiveAccount_LoginsPerActiveUserWeek()
    {
        var calculator = Calculator();
        var signals = Healthy((_, d) => d with { Logins = 2 });

        Assert.Equal(56.0 / 32, calculator.ScoreAsPeer(signals, null, null, AsOf).PeerLoginRate);
    }

    [Fact]
    public void PeerLoginRate_NewCancellingOrUserlessAccount_NotAPeer()
    {
        var calculator = Calculator();
        var young = Healthy() with { ObservedSince = AsOf.AddDays(-20) };
        var cancelling = Healthy() with { CancelAtPeriodEnd = true, RenewalDate = AsOf.AddDays(20) };
        var userless = Healthy() with { ActiveUsers30d = 0 };

        Assert.Null(calculator.ScoreAsPeer(young, null, null, AsOf).PeerLoginRate);
        Assert.Null(calculator.ScoreAsPeer(cancelling, null, null, AsOf).PeerLoginRate);
        Assert.Null(calculator.ScoreAsPeer(userless, null, null, AsOf).PeerLoginRate);
    }

    [Fact]
    public void ScoreAsPeer_OnePass_TheSameScoreAsScoreAndThePeerRateOnlyForAnEstablishedAccount()
    {
        var calculator = Calculator();
        var established = Healthy((_, d) => d with { Logins = 2 });
        var young = Healthy() with { ObservedSince = AsOf.AddDays(-20) };
        var churned = Healthy() with { SubscriptionStatus = "canceled", ChurnedAt = AsOf.AddDays(-2) };
        var previous = calculator.Score(churned, null, null, AsOf.AddDays(-1));

        foreach (var (signals, before, expectedRate) in new[] { (established, (HealthScore?)null, (double?)(56.0 / 32)), (young, null, null), (churned, previous, null) })
        {
            var (score, rate) = calculator.ScoreAsPeer(signals, before, null, AsOf);

            Assert.Equal(calculator.Score(signals, before, null, AsOf).Score, score.Score);
            Assert.Equal(expectedRate, rate);
        }
    }
}
