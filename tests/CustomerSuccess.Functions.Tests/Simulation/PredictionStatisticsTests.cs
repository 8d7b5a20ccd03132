using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>The prediction statistics on examples worked by hand (and against published Wilson tables).</summary>
public sealed class PredictionStatisticsTests
{
    [Theory]
    [InlineData(5, 10, 0.2366, 0.7634)] // the textbook example: 0.5 with n = 10
    [InlineData(0, 10, 0.0, 0.2775)] // no successes: the interval still has width, z²/(n+z²) above 0
    [InlineData(9, 10, 0.5958, 0.9821)]
    [InlineData(1, 1, 0.2065, 1.0)]
    public void Wilson_KnownCases_MatchPublishedIntervals(int successes, int total, double low, double high)
    {
        var (l, h) = PredictionStatistics.Wilson(successes, total);

        Assert.Equal(low, l, 4);
        Assert.Equal(high, h, 4);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 2)]
    [InlineData(-1, 4)]
    public void Wilson_NotAProportion_Throws(int successes, int total)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PredictionStatistics.Wilson(successes, total));
    }

    [Fact]
    public void Proportion_NoCases_ValueAndIntervalNull()
    {
        var p = new Proportion(0, 0);

        Assert.Equal((null, null, null), (p.Value, p.Low, p.High));
    }

    [Fact]
    public void RocAuc_TiesCountHalf()
    {
        // Pairs (churner, stayer): (3,2) win, (3,1) win, (2,2) tie, (2,1) win → 3.5 of 4.
        var auc = PredictionStatistics.RocAuc([3, 2], [2, 1]);

        Assert.Equal(0.875, auc!.Value, 12);
    }

    [Fact]
    public void RocAuc_AllTied_Half()
    {
        Assert.Equal(0.5, PredictionStatistics.RocAuc([5, 5, 5], [5, 5])!.Value, 12);
    }

    [Fact]
    public void RocAuc_PerfectAndReversed_OneAndZero()
    {
        Assert.Equal(1.0, PredictionStatistics.RocAuc([9, 8], [1, 2, 3])!.Value, 12);
        Assert.Equal(0.0, PredictionStatistics.RocAuc([1, 2], [8, 9])!.Value, 12);
    }

    [Fact]
    public void RocAuc_NoChurnersOrNoStayers_Null()
    {
        Assert.Null(PredictionStatistics.RocAuc([], [1, 2]));
        Assert.Null(PredictionStatistics.RocAuc([1], []));
    }

    [Fact]
    public void RocAuc_RankForm_EqualsCountingEveryPair()
    {
        var random = new Random(3);
        var positives = Enumerable.Range(0, 40).Select(_ => (double)random.Next(0, 20)).ToList();
        var negatives = Enumerable.Range(0, 70).Select(_ => (double)random.Next(0, 25)).ToList();
        var pairs = positives.SelectMany(p => negatives.Select(n => p > n ? 1.0 : p.Equals(n) ? 0.5 : 0.0)).Average();

        Assert.Equal(pairs, PredictionStatistics.RocAuc(positives, negatives)!.Value, 12);
    }

    [Fact]
    public void RocCurve_WithTies_PointsAndAreaAsWorkedOut()
    {
        var curve = PredictionStatistics.RocCurve([3, 2], [2, 1]);

        // Flag at ≥3: 1 of 2 churners, no stayer; at ≥2: both churners, 1 stayer; at ≥1: everyone.
        Assert.Equal([new RocPoint(0, 0), new RocPoint(0, 0.5), new RocPoint(0.5, 1), new RocPoint(1, 1)], curve);
        Assert.Equal(0.875, PredictionStatistics.Area(curve), 12);
    }

    [Fact]
    public void AucInterval_HanleyMcNeil_AsWorkedOut()
    {
        // A = 0.875, 2 and 2: Q1 = A/(2-A) = 0.7778, Q2 = 2A²/(1+A) = 0.8167; var = (0.1094 + 0.0122 + 0.0510)/4 = 0.04314.
        var (low, high) = PredictionStatistics.AucInterval(0.875, 2, 2);

        Assert.Equal(0.4679, low, 4);
        Assert.Equal(1.0, high, 12); // clipped
    }

    [Fact]
    public void Confusion_CountsAndRates_AsWorkedOut()
    {
        // 3 churners (2 flagged), 7 stayers (1 flagged).
        var c = Confusion.Of([(true, true), (true, true), (false, true), (true, false), (false, false), (false, false), (false, false), (false, false), (false, false), (false, false)]);

        Assert.Equal((2, 1, 1, 6), (c.TruePositives, c.FalsePositives, c.FalseNegatives, c.TrueNegatives));
        Assert.Equal((2, 3), (c.Recall.Successes, c.Recall.Total));
        Assert.Equal((2, 3), (c.Precision.Successes, c.Precision.Total));
        Assert.Equal((1, 7), (c.FalsePositiveRate.Successes, c.FalsePositiveRate.Total));
        Assert.Equal(0.8, c.Accuracy.Value!.Value, 12);
        Assert.Equal(0.7, c.BaseRateAccuracy.Value!.Value, 12);
    }

    [Fact]
    public void Quartiles_LinearInterpolation()
    {
        var q = PredictionStatistics.QuartilesOf([4, 1, 3, 2]);

        Assert.Equal(new Quartiles(1.75, 2.5, 3.25), q);
        Assert.Null(PredictionStatistics.QuartilesOf([]));
    }
}
