namespace CustomerSuccess.Simulator.Reporting;

/// <summary>A share with the counts behind it and its Wilson 95% interval; <see cref="Value"/> is null when the total is 0.</summary>
internal sealed record Proportion(int Successes, int Total)
{
    public double? Value => Total == 0 ? null : (double)Successes / Total;

    public double? Low => Total == 0 ? null : PredictionStatistics.Wilson(Successes, Total).Low;

    public double? High => Total == 0 ? null : PredictionStatistics.Wilson(Successes, Total).High;
}

/// <summary>A 2×2 table of a yes/no prediction ("flagged") against the outcome ("churned within the horizon").</summary>
internal sealed record Confusion(int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives)
{
    public int Total => TruePositives + FalsePositives + FalseNegatives + TrueNegatives;

    public int Positives => TruePositives + FalseNegatives;

    public int Negatives => FalsePositives + TrueNegatives;

    /// <summary>Churners flagged, of all churners (sensitivity).</summary>
    public Proportion Recall => new(TruePositives, Positives);

    /// <summary>Churners, of all flagged.</summary>
    public Proportion Precision => new(TruePositives, TruePositives + FalsePositives);

    /// <summary>Flagged, of all who did not churn.</summary>
    public Proportion FalsePositiveRate => new(FalsePositives, Negatives);

    public Proportion Accuracy => new(TruePositives + TrueNegatives, Total);

    /// <summary>The accuracy of predicting "nobody churns": the share who did not churn.</summary>
    public Proportion BaseRateAccuracy => new(Negatives, Total);

    public static Confusion Of(IEnumerable<(bool Flagged, bool Positive)> cases)
    {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        foreach (var (flagged, positive) in cases)
        {
            switch ((flagged, positive))
            {
                case (true, true): tp++; break;
                case (true, false): fp++; break;
                case (false, true): fn++; break;
                default: tn++; break;
            }
        }

        return new Confusion(tp, fp, fn, tn);
    }
}

internal readonly record struct RocPoint(double FalsePositiveRate, double TruePositiveRate);

/// <summary>Quartiles by linear interpolation between order statistics (the usual "type 7" definition).</summary>
internal sealed record Quartiles(double Q1, double Median, double Q3);

/// <summary>
/// The statistics behind the prediction figures, pure and small enough to check by hand: Wilson score intervals
/// for proportions, ROC AUC as the Mann-Whitney probability (ties count one half) with the Hanley-McNeil interval,
/// the ROC curve, and quartiles. Risk scores: higher means more likely to churn.
/// </summary>
internal static class PredictionStatistics
{
    /// <summary>The normal quantile for a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Wilson score interval: unlike p ± z·SE it stays inside [0, 1] and behaves with 0 or n successes.</summary>
    public static (double Low, double High) Wilson(int successes, int total, double z = Z95)
    {
        if (total <= 0 || successes < 0 || successes > total)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), $"{successes} of {total} is not a proportion.");
        }

        double n = total;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var centre = (p + (z2 / (2 * n))) / denominator;
        var half = z / denominator * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>P(a random churner's risk exceeds a random stayer's), ties counting one half; null without both kinds.</summary>
    public static double? RocAuc(IReadOnlyList<double> positiveRisks, IReadOnlyList<double> negativeRisks)
    {
        ArgumentNullException.ThrowIfNull(positiveRisks);
        ArgumentNullException.ThrowIfNull(negativeRisks);
        if (positiveRisks.Count == 0 || negativeRisks.Count == 0)
        {
            return null;
        }

        // Rank-sum form (average ranks for ties): O(n log n) instead of comparing every pair.
        var all = positiveRisks.Select(r => (Risk: r, Positive: true)).Concat(negativeRisks.Select(r => (Risk: r, Positive: false))).OrderBy(x => x.Risk).ToList();
        double positiveRankSum = 0;
        for (var i = 0; i < all.Count;)
        {
            var j = i;
            while (j < all.Count && all[j].Risk.Equals(all[i].Risk))
            {
                j++;
            }

            var averageRank = ((i + 1) + j) / 2.0;
            for (var k = i; k < j; k++)
            {
                if (all[k].Positive)
                {
                    positiveRankSum += averageRank;
                }
            }

            i = j;
        }

        double nPos = positiveRisks.Count, nNeg = negativeRisks.Count;
        return (positiveRankSum - (nPos * (nPos + 1) / 2)) / (nPos * nNeg);
    }

    /// <summary>Hanley and McNeil (1982) 95% interval for an AUC from its positive and negative counts, clipped to [0, 1].</summary>
    public static (double Low, double High) AucInterval(double auc, int positives, int negatives, double z = Z95)
    {
        if (positives < 1 || negatives < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(positives), "An AUC needs at least one positive and one negative.");
        }

        var q1 = auc / (2 - auc);
        var q2 = 2 * auc * auc / (1 + auc);
        var variance = ((auc * (1 - auc)) + ((positives - 1) * (q1 - (auc * auc))) + ((negatives - 1) * (q2 - (auc * auc)))) / ((double)positives * negatives);
        var se = Math.Sqrt(Math.Max(0, variance));
        return (Math.Max(0, auc - (z * se)), Math.Min(1, auc + (z * se)));
    }

    /// <summary>The ROC curve from (0,0) to (1,1): one point per distinct risk, flagging everyone at or above it.</summary>
    public static IReadOnlyList<RocPoint> RocCurve(IReadOnlyList<double> positiveRisks, IReadOnlyList<double> negativeRisks)
    {
        ArgumentNullException.ThrowIfNull(positiveRisks);
        ArgumentNullException.ThrowIfNull(negativeRisks);
        var points = new List<RocPoint> { new(0, 0) };
        if (positiveRisks.Count == 0 || negativeRisks.Count == 0)
        {
            return points;
        }

        var thresholds = positiveRisks.Concat(negativeRisks).Distinct().OrderDescending();
        foreach (var t in thresholds)
        {
            points.Add(new RocPoint((double)negativeRisks.Count(r => r >= t) / negativeRisks.Count, (double)positiveRisks.Count(r => r >= t) / positiveRisks.Count));
        }

        return points;
    }

    /// <summary>Area under a curve by trapezoids (the same value as <see cref="RocAuc"/> for an ROC curve).</summary>
    public static double Area(IReadOnlyList<RocPoint> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        double area = 0;
        for (var i = 1; i < curve.Count; i++)
        {
            area += (curve[i].FalsePositiveRate - curve[i - 1].FalsePositiveRate) * (curve[i].TruePositiveRate + curve[i - 1].TruePositiveRate) / 2;
        }

        return area;
    }

    public static Quartiles? QuartilesOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return null;
        }

        double At(double q)
        {
            var h = (sorted.Count - 1) * q;
            var low = (int)Math.Floor(h);
            var high = Math.Min(low + 1, sorted.Count - 1);
            return sorted[low] + ((h - low) * (sorted[high] - sorted[low]));
        }

        return new Quartiles(At(0.25), At(0.5), At(0.75));
    }
}
