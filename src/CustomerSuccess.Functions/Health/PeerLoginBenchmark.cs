using System.Globalization;
using System.Text;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// The login-frequency yardstick a recompute takes from the portfolio itself ("Score: 0-100 based on tier-specific
/// benchmark"): per segment, the median logins per active user per week of the established accounts the last
/// completed run scored. A product's own cadence (daily tool or monthly report) sets the level, so no absolute
/// number has to be guessed per product. A segment with fewer than the minimum of peers takes the whole portfolio's
/// median; with too few accounts in all, the configured yardstick stands.
/// </summary>
public sealed record PeerLoginBenchmark(string RunId, double? Smb, double? MidMarket, double? Enterprise, int Peers)
{
    /// <summary>The expected logins per active user per week for <paramref name="segment"/>; null when the run had too few peers.</summary>
    public double? For(AccountSegment segment) => segment switch
    {
        AccountSegment.Enterprise => Enterprise,
        AccountSegment.MidMarket => MidMarket,
        _ => Smb,
    };
}

/// <summary>
/// A mergeable histogram of logins per active user per week, per segment, in bins of 0.05 up to 20 (the last bin
/// holds everything above): what each shard of a run keeps in its checkpoint so a resumed shard keeps counting,
/// and what the run's completion merges into the medians of <see cref="PeerLoginBenchmark"/>.
/// </summary>
public sealed class LoginRateHistogram
{
    public const int BinsPerLogin = 20;
    public const int MaxLoginsPerWeek = 20;
    public const int Bins = MaxLoginsPerWeek * BinsPerLogin;
    private const int SegmentCount = 3;

    private readonly int[][] _counts = [new int[Bins], new int[Bins], new int[Bins]];

    public int Count(AccountSegment segment) => _counts[(int)segment].Sum();

    public int Total => _counts.Sum(c => c.Sum());

    public void Add(AccountSegment segment, double loginsPerUserWeek)
    {
        if (!double.IsFinite(loginsPerUserWeek) || loginsPerUserWeek < 0)
        {
            return;
        }

        var bin = (int)Math.Min(Bins - 1, Math.Floor(loginsPerUserWeek * BinsPerLogin));
        _counts[(int)segment][bin]++;
    }

    public void Merge(LoginRateHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var s = 0; s < SegmentCount; s++)
        {
            for (var b = 0; b < Bins; b++)
            {
                _counts[s][b] += other._counts[s][b];
            }
        }
    }

    /// <summary>The benchmark of these counts: each segment's median with at least <paramref name="minimumPeers"/> accounts, else the portfolio's.</summary>
    public PeerLoginBenchmark Benchmark(string runId, int minimumPeers)
    {
        var all = new int[Bins];
        for (var s = 0; s < SegmentCount; s++)
        {
            for (var b = 0; b < Bins; b++)
            {
                all[b] += _counts[s][b];
            }
        }

        var portfolio = Median(all, minimumPeers);
        double? For(AccountSegment segment) => Median(_counts[(int)segment], minimumPeers) ?? portfolio;
        return new PeerLoginBenchmark(runId, For(AccountSegment.Smb), For(AccountSegment.MidMarket), For(AccountSegment.Enterprise), all.Sum());
    }

    // The median bin's lower edge (an account at the median meets it); null below the minimum count, or when the
    // median is no logins at all (a product that sends no login events, where a yardstick of zero would score every
    // account full).
    private static double? Median(int[] counts, int minimumPeers)
    {
        var n = counts.Sum();
        if (n < Math.Max(1, minimumPeers))
        {
            return null;
        }

        var half = (n + 1) / 2;
        var seen = 0;
        for (var b = 0; b < Bins; b++)
        {
            seen += counts[b];
            if (seen >= half)
            {
                return b == 0 ? null : (double)b / BinsPerLogin;
            }
        }

        return null;
    }

    /// <summary>"bin=count,bin=count;…;…": the bins that are not empty, SMB, Mid-Market and Enterprise in that order (a checkpoint column).</summary>
    public string Serialize()
    {
        var text = new StringBuilder();
        for (var s = 0; s < SegmentCount; s++)
        {
            if (s > 0)
            {
                text.Append(';');
            }

            var first = true;
            for (var b = 0; b < Bins; b++)
            {
                if (_counts[s][b] == 0)
                {
                    continue;
                }

                text.Append(first ? string.Empty : ",").Append(b.ToString(CultureInfo.InvariantCulture)).Append('=').Append(_counts[s][b].ToString(CultureInfo.InvariantCulture));
                first = false;
            }
        }

        return text.ToString();
    }

    /// <summary>The histogram <see cref="Serialize"/> wrote; empty for null or empty text. Malformed text is refused, not half read.</summary>
    public static LoginRateHistogram Parse(string? text)
    {
        var histogram = new LoginRateHistogram();
        if (string.IsNullOrEmpty(text))
        {
            return histogram;
        }

        var segments = text.Split(';');
        if (segments.Length != SegmentCount)
        {
            throw new FormatException($"A login-rate histogram has {SegmentCount} segments, not {segments.Length}.");
        }

        for (var s = 0; s < SegmentCount; s++)
        {
            foreach (var pair in segments[s].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=');
                if (parts.Length != 2
                    || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var bin) || bin >= Bins
                    || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                {
                    throw new FormatException($"'{pair}' is not a login-rate bin and its count.");
                }

                histogram._counts[s][bin] += count;
            }
        }

        return histogram;
    }
}
