using CustomerSuccess.Functions.Accounts;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// The health model: (signals, previous score, override, as-of instant) → score. Pure and allocation-light:
/// the configured model is compiled once into arrays, and each account is one backwards pass over its daily
/// aggregates (no LINQ), because a recompute scores every account every hour.
/// </summary>
public sealed class HealthScoreCalculator
{
    public const int Neutral = 50;

    private const int DimensionCount = 6;
    private const int SignalWindowDays = 60;
    private const int ChampionLossDays = 90;
    private const int TrendWindowDays = 30;
    private const int MaxDrivers = 3;
    private const int LoginWindowDays = 28;
    private const int MinimumUsageDays = 7;

    // Product usage's sub-signals, percent of the dimension.
    private const int SeatShareWeight = 35;
    private const int LoginFrequencyWeight = 20;
    private const int KeyFeatureBreadthWeight = 15;
    private const int UsageTrendWeight = 30;

    // Weights per segment, indexed [segment][dimension], percent.
    private readonly int[][] _weights;
    private readonly long _enterpriseMinArrCents;
    private readonly long _midMarketMinArrCents;
    // Band thresholds per segment, indexed [segment].
    private readonly int[] _green;
    private readonly int[] _yellow;
    private readonly string _firstValue;
    private readonly string[] _outcomeMilestones;
    private readonly string[] _onboardingMilestones;
    private readonly string[] _keyFeatures;
    private readonly double? _expectedWeeklyLogins;
    private readonly bool _loginsAgainstPeers;
    private readonly int _onboardingMaxDays;
    private readonly int _onboardingGraceDays;
    private readonly int _trendThreshold;
    private readonly int _bandChangeDays;
    private readonly int _renewalWindowDays;
    private readonly int _renewalGraceDays;
    private readonly int _stakeholdersExpected;
    private readonly int _ticketSpikeMinimum;
    private readonly int _teamAdoptionDays;
    private readonly int _urgentTicketsMinimum;
    private readonly ProductOptions _product;

    public HealthScoreCalculator(IOptions<HealthOptions> options, IOptions<ProductOptions> product)
        : this(options?.Value ?? throw new ArgumentNullException(nameof(options)), product?.Value ?? throw new ArgumentNullException(nameof(product)))
    {
    }

    /// <summary>The model with <paramref name="product"/>'s milestones and key features (the defaults when null).</summary>
    public HealthScoreCalculator(HealthOptions options, ProductOptions? product = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        product ??= new ProductOptions();
        var segments = Enum.GetValues<AccountSegment>();
        _weights = new int[segments.Length][];
        _green = new int[segments.Length];
        _yellow = new int[segments.Length];
        foreach (var segment in segments)
        {
            (_green[(int)segment], _yellow[(int)segment]) = options.Bands.For(segment);
            var w = new int[DimensionCount];
            for (var d = 0; d < DimensionCount; d++)
            {
                w[d] = options.Weights.For(segment).Get((HealthDimension)d);
            }

            _weights[(int)segment] = w;
        }

        _enterpriseMinArrCents = options.Segments.EnterpriseMinArr * 100;
        _midMarketMinArrCents = options.Segments.MidMarketMinArr * 100;
        _firstValue = product.FirstValueMilestone;
        _outcomeMilestones = Distinct([product.FirstValueMilestone, .. product.SuccessMilestones]);
        _onboardingMilestones = product.OnboardingMilestones.Count > 0 ? Distinct([.. product.OnboardingMilestones]) : [product.FirstValueMilestone];
        _keyFeatures = Distinct([.. product.KeyFeatures]);
        _expectedWeeklyLogins = options.ExpectedWeeklyLoginsPerActiveUser;
        _loginsAgainstPeers = options.LoginsAgainstPeers;
        _onboardingMaxDays = options.OnboardingMaxDays;
        _onboardingGraceDays = options.OnboardingGraceDays;
        _trendThreshold = options.TrendThreshold;
        _bandChangeDays = options.BandChangeDays;
        _renewalWindowDays = options.RenewalConversationWindowDays;
        _renewalGraceDays = options.RenewalConversationGraceDays;
        _stakeholdersExpected = options.StakeholdersExpected;
        _ticketSpikeMinimum = options.TicketSpikeMinimum;
        _teamAdoptionDays = options.TeamAdoptionDays;
        _urgentTicketsMinimum = options.UrgentTicketsMinimum;
        _product = product;
    }

    /// <summary>ARR tier from MRR: Enterprise above the Enterprise minimum, Mid-Market from its minimum up to it, SMB below.</summary>
    public AccountSegment SegmentOf(long mrrCents)
    {
        var arrCents = mrrCents * 12;
        if (arrCents > _enterpriseMinArrCents)
        {
            return AccountSegment.Enterprise;
        }

        return arrCents >= _midMarketMinArrCents ? AccountSegment.MidMarket : AccountSegment.Smb;
    }

    /// <summary>The band of <paramref name="score"/> under <paramref name="segment"/>'s thresholds.</summary>
    public HealthBand BandOf(AccountSegment segment, int score) =>
        score >= _green[(int)segment] ? HealthBand.Green : score >= _yellow[(int)segment] ? HealthBand.Yellow : HealthBand.Red;

    /// <summary>The weighted score of six sub-scores for a segment: Σ weight × sub-score / 100, rounded half up.</summary>
    public int Weighted(AccountSegment segment, ReadOnlySpan<int> dimensions) => Weighted(segment, dimensions, default);

    /// <summary>
    /// The weighted score over the dimensions that have signals: a missing dimension shows its neutral sub-score but
    /// carries no weight, so it neither lifts nor sinks the account (a constant 50 would pull every account with a
    /// quiet dimension towards Yellow). Rounded half up; neutral when nothing is known.
    /// </summary>
    public int Weighted(AccountSegment segment, ReadOnlySpan<int> dimensions, HealthFlagMask flags)
    {
        var w = _weights[(int)segment];
        var sum = 0;
        var weight = 0;
        for (var d = 0; d < DimensionCount; d++)
        {
            if (!flags.IsMissing((HealthDimension)d))
            {
                sum += w[d] * dimensions[d];
                weight += w[d];
            }
        }

        return weight == 0 ? Neutral : ((2 * sum) + weight) / (2 * weight);
    }

    /// <summary>
    /// Scores <paramref name="signals"/> as of <paramref name="asOf"/>. <paramref name="peers"/> is the login yardstick
    /// the last completed run measured across the portfolio (<see cref="PeerLoginBenchmark"/>); without it, or while
    /// <see cref="HealthOptions.LoginsAgainstPeers"/> is off, the configured yardstick stands.
    /// </summary>
    public HealthScore Score(AccountSignals signals, HealthScore? previous, HealthBandOverride? bandOverride, DateTimeOffset asOf, PeerLoginBenchmark? peers = null) =>
        Score(signals, previous, bandOverride, asOf, peers, out _);

    /// <summary>
    /// As <see cref="Score(AccountSignals, HealthScore?, HealthBandOverride?, DateTimeOffset, PeerLoginBenchmark?)"/>,
    /// with the account's logins per active user per week when it is a peer for the benchmark (established, active,
    /// with active users; else null), read from the same pass over its days: what a recompute scores and measures the
    /// peers' yardstick with, every account every run.
    /// </summary>
    public (HealthScore Score, double? PeerLoginRate) ScoreAsPeer(AccountSignals signals, HealthScore? previous, HealthBandOverride? bandOverride, DateTimeOffset asOf, PeerLoginBenchmark? peers = null)
    {
        var score = Score(signals, previous, bandOverride, asOf, peers, out var window);
        return (score, PeerLoginRate(score, signals, in window));
    }

    // The score and the window it read (default for a churned account kept as it was, which is no peer).
    private HealthScore Score(AccountSignals signals, HealthScore? previous, HealthBandOverride? bandOverride, DateTimeOffset asOf, PeerLoginBenchmark? peers, out SignalWindow window)
    {
        ArgumentNullException.ThrowIfNull(signals);
        window = default;
        var day = DateOnly.FromDateTime(asOf.UtcDateTime);
        if (previous is not null && previous.Day > day)
        {
            // A late or replayed run must not rewrite a newer score's history.
            previous = null;
        }

        var churned = AccountLifecycle.IsChurned(signals, asOf);
        if (churned && previous is not null)
        {
            // A churned account leaves scoring: its final score, drivers and history stay as they were.
            return previous.Lifecycle == AccountLifecycleState.Churned ? previous : previous.InLifecycle(AccountLifecycleState.Churned);
        }

        window = SignalWindow.Read(signals.Days, day);
        var flags = HealthFlagMask.None;
        var segment = SegmentOf(signals.MrrCents);
        var dims = Dimensions(signals, segment, day, asOf, in window, peers, ref flags, sub: null);
        flags = new HealthFlagMask(flags.Bits | SettledTrendFlags(signals.Days, day, window, previous));

        var onboardingScore = OnboardingScore(signals, day);
        var onboarding = onboardingScore >= 0;
        var lifecycle = AccountLifecycle.Of(signals, asOf, onboarding);
        var score = onboarding ? onboardingScore : Weighted(segment, dims, flags);
        var history = (previous?.History ?? HealthScoreHistory.Empty).With(day, score);

        // The first score (or the first after coming back from churn) is the baseline: its band holds at once.
        var rebaseline = previous is null || previous.Lifecycle == AccountLifecycleState.Churned;
        var criticalFact = lifecycle == AccountLifecycleState.Cancelling || window.PaymentsFailed30 > 0 || window.Disputes60 > 0
            || string.Equals(signals.SubscriptionStatus, "past_due", StringComparison.Ordinal) || string.Equals(signals.SubscriptionStatus, "unpaid", StringComparison.Ordinal);
        var computedBand = rebaseline ? BandOf(segment, score) : SettledBand(segment, BandOf(segment, score), previous!.ComputedBand, history, day, criticalFact);
        var activeOverride = bandOverride is not null && bandOverride.IsActiveAt(asOf) ? bandOverride : null;
        var band = activeOverride?.Band ?? computedBand;

        var (trend, trendDelta) = TrendOf(history, day, score);
        var bandSince = !rebaseline && previous!.Band == band ? previous.BandSince : day;

        return new HealthScore
        {
            AccountId = signals.AccountId,
            Day = day,
            ScoredAt = asOf,
            Segment = segment,
            Score = score,
            ComputedBand = computedBand,
            Band = band,
            Override = activeOverride,
            Onboarding = onboarding,
            Lifecycle = lifecycle,
            FirstScoredOn = rebaseline ? day : previous!.FirstScoredOn,
            Dimensions = dims,
            Flags = flags,
            Drivers = DriversOf(segment, dims, previous),
            Trend = trend,
            TrendDelta = trendDelta,
            BandSince = bandSince,
            History = history,
        };
    }

    /// <summary>
    /// Every named sub-signal of the six dimensions for <paramref name="signals"/> as of <paramref name="asOf"/>: its
    /// weight inside its dimension and its value, or null when it is not known (then re-weighted among the others).
    /// The same code the score runs, with a recorder; for the account page and the API, not the hourly recompute.
    /// </summary>
    public IReadOnlyList<HealthSubSignal> Explain(AccountSignals signals, DateTimeOffset asOf, PeerLoginBenchmark? peers = null)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var day = DateOnly.FromDateTime(asOf.UtcDateTime);
        var window = SignalWindow.Read(signals.Days, day);
        var flags = HealthFlagMask.None;
        var sub = new List<HealthSubSignal>(20);
        Dimensions(signals, SegmentOf(signals.MrrCents), day, asOf, in window, peers, ref flags, sub);
        return sub;
    }

    /// <summary>
    /// The six dimension sub-scores and the flags they raise (missing signals, missed touchpoints, renewal not
    /// started, low stakeholder coverage, dimension at zero); each sub-signal is told to <paramref name="sub"/> when
    /// one is given. The relationship's renewal conversation and stakeholder coverage are read above the tech-touch
    /// segment only.
    /// </summary>
    private int[] Dimensions(AccountSignals signals, AccountSegment segment, DateOnly day, DateTimeOffset asOf, in SignalWindow window, PeerLoginBenchmark? peers, ref HealthFlagMask flags, List<HealthSubSignal>? sub)
    {
        var dims = new int[DimensionCount];
        dims[(int)HealthDimension.ProductUsage] = ProductUsage(signals, day, in window, ExpectedWeeklyLogins(segment, peers), ref flags, sub);
        dims[(int)HealthDimension.Engagement] = Engagement(signals, in window, ref flags, sub);
        dims[(int)HealthDimension.Outcomes] = Outcomes(signals, ref flags, sub);
        dims[(int)HealthDimension.Support] = Support(signals, in window, sub);
        var highTouch = segment != AccountSegment.Smb;
        var renewal = highTouch ? RenewalConversationScore(signals, asOf) : null;
        var coverage = highTouch ? StakeholderCoverageScore(signals, asOf) : null;
        if (renewal == 0)
        {
            flags = flags.WithRenewalNotStarted();
        }

        if (coverage is { } covered && covered < 100)
        {
            flags = flags.WithLowStakeholderCoverage();
        }

        dims[(int)HealthDimension.Relationship] = Relationship(signals.Relationship, asOf, highTouch, NpsScore(signals, asOf), renewal, coverage, sub);
        dims[(int)HealthDimension.Payment] = Payment(signals, in window, sub);

        for (var d = 0; d < DimensionCount; d++)
        {
            if (dims[d] == 0)
            {
                flags = flags.WithDimensionZero((HealthDimension)d);
            }
        }

        return dims;
    }

    /// <summary>
    /// The decline flags on rolling windows as of one day: logins down more than 30% week over week two weeks running;
    /// product events down at least 20%, last 4 weeks against the 4 before and last 2 weeks against the 2 before.
    /// </summary>
    private static uint TrendFlags(in SignalWindow w)
    {
        var flags = HealthFlagMask.None;
        if (10 * w.LoginsWeek0 < 7 * w.LoginsWeek1 && 10 * w.LoginsWeek1 < 7 * w.LoginsWeek2)
        {
            flags = flags.WithLoginsDownWeekOverWeek();
        }

        var last4 = w.EventsBlock0 + w.EventsBlock1;
        var prior4 = w.EventsBlock2 + w.EventsBlock3;
        if (prior4 > 0 && 10 * last4 <= 8 * prior4)
        {
            flags = flags.WithUsageDown4Weeks();
        }

        if (w.EventsBlock1 > 0 && 10 * w.EventsBlock0 <= 8 * w.EventsBlock1)
        {
            flags = flags.WithUsageDown2Weeks();
        }

        return flags.Bits;
    }

    /// <summary>
    /// The decline flags with the same hysteresis as the band: a flag rises when its condition held on each of the
    /// last <see cref="HealthOptions.BandChangeDays"/> days and falls when it held on none of them; in between it
    /// keeps the previous score's value. The earlier days are read from the same daily aggregates (the windows end
    /// at most 56 days back, inside the 60 kept), so no state is needed beyond the previous flags. A rolling
    /// two-week comparison crosses its threshold back and forth on ordinary noise; a decline is a sustained one.
    /// </summary>
    private uint SettledTrendFlags(IReadOnlyList<DailySignals> days, DateOnly day, in SignalWindow today, HealthScore? previous)
    {
        var all = TrendFlags(in today);
        var any = all;
        for (var k = 1; k < _bandChangeDays; k++)
        {
            var earlier = SignalWindow.Read(days, day.AddDays(-k));
            var f = TrendFlags(in earlier);
            all &= f;
            any |= f;
        }

        var held = previous?.Flags.Bits & TrendMask ?? 0;
        return all | (held & any);
    }

    private static readonly uint TrendMask = HealthFlagMask.None.WithLoginsDownWeekOverWeek().WithUsageDown4Weeks().WithUsageDown2Weeks().Bits;

    /// <summary>
    /// Hysteresis: the band moves from <paramref name="current"/> only when the score has sat on the same side of it on
    /// each of the last <see cref="HealthOptions.BandChangeDays"/> days (today included), and then to the mildest band
    /// of those days (falling) or the lowest (recovering): the band that was sustained. A critical fact moves it down
    /// at once. A day without a score breaks the run.
    /// </summary>
    public HealthBand SettledBand(AccountSegment segment, HealthBand raw, HealthBand current, HealthScoreHistory history, DateOnly day, bool criticalFact)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (raw == current || _bandChangeDays <= 1 || (criticalFact && raw < current))
        {
            return raw;
        }

        var falling = raw < current;
        var settled = raw;
        for (var k = 1; k < _bandChangeDays; k++)
        {
            if (history.ScoreOn(day.AddDays(-k)) is not { } earlier)
            {
                return current;
            }

            var b = BandOf(segment, earlier);
            if (falling ? b >= current : b <= current)
            {
                return current;
            }

            settled = falling ? (b > settled ? b : settled) : (b < settled ? b : settled);
        }

        return settled;
    }

    // Seat share (the table; in a new contract's first TeamAdoptionDays, on the adoption pace), login frequency
    // against the expected rate, breadth of key features and usage against the account's own recent baseline,
    // weighted by the constants above. A sub-signal that is not known (no licensed seats, no key features configured,
    // no baseline yet) re-weights the others; the dimension is missing only when none is known. An account watched
    // for less than a week has no usage picture yet: missing, not zero. Watched for less than the 4-week login
    // window, the expected logins shrink to the days actually watched.
    private int ProductUsage(AccountSignals s, DateOnly day, in SignalWindow w, double? expectedWeeklyLogins, ref HealthFlagMask flags, List<HealthSubSignal>? sub = null)
    {
        var observedDays = ObservedDays(s, day);
        if (observedDays < MinimumUsageDays)
        {
            flags = flags.WithMissingSignals(HealthDimension.ProductUsage);
            Record(sub, HealthDimension.ProductUsage, HealthSubSignals.SeatShare, SeatShareWeight, null);
            Record(sub, HealthDimension.ProductUsage, HealthSubSignals.LoginFrequency, LoginFrequencyWeight, null);
            Record(sub, HealthDimension.ProductUsage, HealthSubSignals.KeyFeatureBreadth, KeyFeatureBreadthWeight, null);
            Record(sub, HealthDimension.ProductUsage, HealthSubSignals.UsageTrend, UsageTrendWeight, null);
            return Neutral;
        }

        var sum = 0;
        var weight = 0;
        int? seats = s.LicensedSeats > 0 ? SeatShareScore(s.ActiveUsers30d, s.LicensedSeats, ContractDays(s, day), _teamAdoptionDays) : null;
        Add(SeatShareWeight, seats, ref sum, ref weight);
        Record(sub, HealthDimension.ProductUsage, HealthSubSignals.SeatShare, SeatShareWeight, seats);

        var logins = LoginFrequencyScore(s, in w, observedDays, expectedWeeklyLogins);
        Add(LoginFrequencyWeight, logins, ref sum, ref weight);
        Record(sub, HealthDimension.ProductUsage, HealthSubSignals.LoginFrequency, LoginFrequencyWeight, logins);

        int? breadth = null;
        if (_keyFeatures.Length > 0)
        {
            var used = 0;
            var features = s.KeyFeaturesUsed30d;
            for (var i = 0; i < _keyFeatures.Length; i++)
            {
                if (features.Contains(_keyFeatures[i]))
                {
                    used++;
                }
            }

            breadth = RoundDiv(used * 100, _keyFeatures.Length);
            sum += KeyFeatureBreadthWeight * breadth.Value;
            weight += KeyFeatureBreadthWeight;
        }

        Record(sub, HealthDimension.ProductUsage, HealthSubSignals.KeyFeatureBreadth, KeyFeatureBreadthWeight, breadth);
        var trend = UsageTrendScore(in w, observedDays);
        Add(UsageTrendWeight, trend, ref sum, ref weight);
        Record(sub, HealthDimension.ProductUsage, HealthSubSignals.UsageTrend, UsageTrendWeight, trend);
        return RoundDiv(sum, weight);
    }

    private static void Record(List<HealthSubSignal>? sub, HealthDimension dimension, string name, int weight, int? value) =>
        sub?.Add(new HealthSubSignal(dimension, name, weight, value));

    /// <summary>
    /// Product events of the last two weeks against the account's own average fortnight over the weeks before (up
    /// to six, counting only fortnights watched in full). The seeds call a fall of 20% or more a decline ("Usage
    /// decline — 20%+ drop in key feature usage over 2-4 weeks"), so anything above 80% of the baseline is ordinary
    /// variation and scores 100; 60-80% → 50, 40-60% → 20, less → 0. Unknown (null) until two full fortnights are
    /// watched or while the baseline is empty.
    /// </summary>
    private static int? UsageTrendScore(in SignalWindow w, int observedDays) =>
        AgainstBaseline(w.EventsBlock0, w.EventsBlock1, w.EventsBlock2, w.EventsBlock3, observedDays) is { } tenths
            ? tenths >= 8 ? 100 : tenths >= 6 ? 50 : tenths >= 4 ? 20 : 0
            : null;

    /// <summary>
    /// Login frequency. With a yardstick (<see cref="HealthOptions.ExpectedWeeklyLoginsPerActiveUser"/>, or the peers'
    /// median when <see cref="HealthOptions.LoginsAgainstPeers"/> is on and the last run measured one): logins in the
    /// last 28 days against that rate × active users (≥100% → 100, 75% → 75, 50% → 50, 25% → 25, less → 0; a newly
    /// watched account is expected only the days watched). Without (the setting empty): logins of the last two weeks
    /// against the account's own average fortnight before, with the seeds' threshold ("Login frequency drops &gt;30%"):
    /// at least 70% → 100, 50-70% → 50, 30-50% → 20, less → 0; unknown until two full fortnights are watched.
    /// </summary>
    private static int? LoginFrequencyScore(AccountSignals s, in SignalWindow w, int observedDays, double? expectedWeeklyLogins)
    {
        if (expectedWeeklyLogins is { } perUser)
        {
            var ratio = w.Logins28 / (perUser * ExpectedLoginWeeks(s, observedDays));
            return ratio >= 1 ? 100 : ratio >= 0.75 ? 75 : ratio >= 0.5 ? 50 : ratio >= 0.25 ? 25 : 0;
        }

        return AgainstBaseline(w.LoginsBlock0, w.LoginsBlock1, w.LoginsBlock2, w.LoginsBlock3, observedDays) is { } tenths
            ? tenths >= 7 ? 100 : tenths >= 5 ? 50 : tenths >= 3 ? 20 : 0
            : null;
    }

    // Days the app has watched the account up to and including day (the whole signal window when it always has).
    private static int ObservedDays(AccountSignals s, DateOnly day) =>
        s.ObservedSince is { } since ? day.DayNumber - DateOnly.FromDateTime(since.UtcDateTime).DayNumber + 1 : SignalWindowDays;

    // Active users × weeks watched in the 28-day login window: what a yardstick in logins per user-week multiplies.
    private static double ExpectedLoginWeeks(AccountSignals s, int observedDays) =>
        Math.Max(1, s.ActiveUsers30d) * 4.0 * Math.Min(observedDays, LoginWindowDays) / LoginWindowDays;

    /// <summary>The login yardstick for <paramref name="segment"/>: none in own-past mode, the peers' when measured and on, else the configured one.</summary>
    private double? ExpectedWeeklyLogins(AccountSegment segment, PeerLoginBenchmark? peers) =>
        _expectedWeeklyLogins is null ? null
        : _loginsAgainstPeers && peers?.For(segment) is { } measured ? measured
        : _expectedWeeklyLogins;

    /// <summary>
    /// The account's logins per active user per week over the last 28 days, as a peer for the benchmark, from a window
    /// already read as of the score's day: only an established, active account (past onboarding, watched the whole
    /// window, with active users) is a peer, so new and leaving customers do not set the yardstick for the rest. Null
    /// otherwise.
    /// </summary>
    private static double? PeerLoginRate(HealthScore score, AccountSignals signals, in SignalWindow window) =>
        IsPeer(score, signals) ? window.Logins28 / ExpectedLoginWeeks(signals, ObservedDays(signals, score.Day)) : null;

    private static bool IsPeer(HealthScore score, AccountSignals signals) =>
        !score.Onboarding && score.Lifecycle == AccountLifecycleState.Active && signals.ActiveUsers30d >= 1
        && ObservedDays(signals, score.Day) >= LoginWindowDays;

    /// <summary>
    /// The last fortnight against the average of the fortnights before it (up to three, counting only fortnights
    /// watched in full), in whole tenths rounded down (8 = at least 80%); null without two full fortnights watched or
    /// with an empty baseline.
    /// </summary>
    private static long? AgainstBaseline(long block0, long block1, long block2, long block3, int observedDays)
    {
        var priorBlocks = Math.Min(3, (observedDays / 14) - 1);
        if (priorBlocks < 1)
        {
            return null;
        }

        var prior = block1 + (priorBlocks >= 2 ? block2 : 0) + (priorBlocks >= 3 ? block3 : 0);
        if (prior <= 0)
        {
            return null;
        }

        // recent / (prior / blocks) in tenths, in integers: recent × blocks × 10 / prior.
        return block0 * priorBlocks * 10 / prior;
    }

    /// <summary>
    /// Seat share of an account <paramref name="contractDays"/> into its contract: before <paramref name="teamAdoptionDays"/>
    /// the active seats are read against the team-adoption pace (× <paramref name="teamAdoptionDays"/> ÷ <paramref name="contractDays"/>,
    /// at most every licensed seat), then by the table as they stand. Unknown contract age (null) or no ramp (0 days): as they stand.
    /// </summary>
    public static int SeatShareScore(int activeUsers30d, int licensedSeats, int? contractDays, int teamAdoptionDays)
    {
        if (contractDays is not { } age || age >= teamAdoptionDays || teamAdoptionDays <= 0)
        {
            return SeatShareScore(activeUsers30d, licensedSeats);
        }

        var paced = Math.Max(0, activeUsers30d) * (long)teamAdoptionDays / Math.Max(1, age);
        return SeatShareScore((int)Math.Min(paced, licensedSeats), licensedSeats);
    }

    // Whole days since the contract started (the customer's start), or null when it is not known.
    private static int? ContractDays(AccountSignals s, DateOnly day) =>
        s.CustomerSince is { } since ? day.DayNumber - DateOnly.FromDateTime(since.UtcDateTime).DayNumber : null;

    /// <summary>Share of licensed seats active in the last 30 days: &lt;20% → 0, 20-49% → 40, 50-74% → 70, ≥75% → 100.</summary>
    public static int SeatShareScore(int activeUsers30d, int licensedSeats)
    {
        long active = Math.Max(0, activeUsers30d) * 100L;
        return active < 20L * licensedSeats ? 0
            : active < 50L * licensedSeats ? 40
            : active < 75L * licensedSeats ? 70
            : 100;
    }

    // Recency of two-way contact, meetings/QBRs (a QBR counts twice), email replies, and attendance of booked CSM
    // meetings ("CSM meeting attendance"; "misses two consecutive scheduled CSM touchpoints"). No contact signal at
    // all in the window and no meeting ever booked = missing: neutral and flagged, never zero. Attendance unknown (no
    // meeting booked, held or missed yet) re-weights the other three.
    private static int Engagement(AccountSignals s, in SignalWindow w, ref HealthFlagMask flags, List<HealthSubSignal>? sub = null)
    {
        var attendance = AttendanceScore(s.MissedMeetingsInRow);
        if (s.MissedMeetingsInRow >= 2)
        {
            flags = flags.WithMissedTouchpoints();
        }

        Record(sub, HealthDimension.Engagement, HealthSubSignals.MeetingAttendance, 1, attendance);
        if (w.LastContactAge < 0)
        {
            Record(sub, HealthDimension.Engagement, HealthSubSignals.ContactRecency, 1, null);
            Record(sub, HealthDimension.Engagement, HealthSubSignals.Meetings, 1, null);
            Record(sub, HealthDimension.Engagement, HealthSubSignals.EmailReplies, 1, null);
            if (attendance is { } only)
            {
                return only;
            }

            flags = flags.WithMissingSignals(HealthDimension.Engagement);
            return Neutral;
        }

        var recency = w.LastContactAge <= 14 ? 100 : w.LastContactAge <= 30 ? 70 : 30;
        var meetings = w.Meetings60 >= 3 ? 100 : w.Meetings60 >= 1 ? 70 : 30;
        var replies = w.Replies30 >= 3 ? 100 : w.Replies30 >= 1 ? 70 : 30;
        Record(sub, HealthDimension.Engagement, HealthSubSignals.ContactRecency, 1, recency);
        Record(sub, HealthDimension.Engagement, HealthSubSignals.Meetings, 1, meetings);
        Record(sub, HealthDimension.Engagement, HealthSubSignals.EmailReplies, 1, replies);
        return attendance is { } a ? RoundDiv(recency + meetings + replies + a, 4) : RoundDiv(recency + meetings + replies, 3);
    }

    /// <summary>Booked CSM meetings missed in a row: none 100, one 50, two or more 0 (the seeds' churn indicator); null when unknown.</summary>
    public static int? AttendanceScore(int? missedInRow) => missedInRow switch
    {
        null => null,
        <= 0 => 100,
        1 => 50,
        _ => 0,
    };

    /// <summary>
    /// The renewal conversation of an account above tech-touch on terms longer than the window: 100 when a renewal
    /// meeting or QBR was held since the window opened (<see cref="HealthOptions.RenewalConversationWindowDays"/> before
    /// the renewal date), 0 when none was and the window has been open longer than the grace days ("Renewal conversation
    /// not started within 90-day window"); null (unknown, re-weighted) outside the window, during the grace, when the
    /// renewal date or term is unknown, or when this app first saw the account after the window opened (a conversation
    /// before that was out of sight).
    /// </summary>
    public int? RenewalConversationScore(AccountSignals s, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.RenewalDate is not { } renewal || s.BillingPeriodDays is not { } term || term <= _renewalWindowDays || renewal < asOf)
        {
            return null;
        }

        var opens = renewal.AddDays(-_renewalWindowDays);
        if (asOf < opens)
        {
            return null;
        }

        if (s.LastRenewalConversationAt is { } held && held >= opens && held <= asOf)
        {
            return 100;
        }

        // Observed only since after the window opened: a conversation before that happened out of sight.
        if (s.ObservedSince is { } observed && observed > opens)
        {
            return null;
        }

        return asOf < opens.AddDays(_renewalGraceDays) ? null : 0;
    }

    /// <summary>
    /// Active stakeholders against <see cref="HealthOptions.StakeholdersExpected"/>: distinct people, not departed, seen in
    /// the last 30 days, who are the champion or executive sponsor or whose role or title marks a decision maker
    /// (<see cref="ProductOptions.DecisionMakerRoles"/>, <see cref="ProductOptions.DecisionMakerTitles"/>). All expected →
    /// 100, fewer → proportionally less, none → 0; null when the account has no identified people at all.
    /// </summary>
    public int? StakeholderCoverageScore(AccountSignals s, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Users.Count == 0)
        {
            return null;
        }

        var since = asOf.AddDays(-30);
        var active = 0;
        foreach (var user in s.Users)
        {
            if (!user.Departed && user.LastSeen is { } seen && seen > since && seen <= asOf
                && (user.Stakeholder || _product.IsDecisionMaker(user.Role, user.Title)))
            {
                active++;
            }
        }

        return RoundDiv(Math.Min(active, _stakeholdersExpected) * 100, _stakeholdersExpected);
    }

    // Milestones reached of those named. An account that was already past onboarding when this app first saw it
    // reached its milestones (or not) out of sight: with none recorded, that is missing, not failed.
    private int Outcomes(AccountSignals s, ref HealthFlagMask flags, List<HealthSubSignal>? sub = null)
    {
        var reached = 0;
        var milestones = s.Milestones;
        for (var i = 0; i < _outcomeMilestones.Length; i++)
        {
            if (milestones.ContainsKey(_outcomeMilestones[i]))
            {
                reached++;
            }
        }

        if (reached == 0 && s.ObservedSince is { } observed && s.CustomerSince is { } since && observed > since.AddDays(_onboardingMaxDays))
        {
            flags = flags.WithMissingSignals(HealthDimension.Outcomes);
            Record(sub, HealthDimension.Outcomes, HealthSubSignals.Milestones, 1, null);
            return Neutral;
        }

        var outcomes = RoundDiv(reached * 100, _outcomeMilestones.Length);
        Record(sub, HealthDimension.Outcomes, HealthSubSignals.Milestones, 1, outcomes);
        return outcomes;
    }

    // Volume against the account's own baseline, urgent/high share, unresolved urgent tickets, satisfaction. With no
    // rating in the window, satisfaction is unknown and the other three carry the dimension: ticket volume and
    // urgency still count. Volume and urgency read patterns, not single tickets: a rise of fewer than
    // TicketSpikeMinimum tickets is no spike, and fewer than UrgentTicketsMinimum urgent tickets no share to judge.
    private int Support(AccountSignals s, in SignalWindow w, List<HealthSubSignal>? sub = null)
    {
        var recent = w.Tickets30;
        var baseline = Math.Max(1, w.TicketsPrior30);
        var volume = recent - w.TicketsPrior30 < _ticketSpikeMinimum || recent <= baseline ? 100
            : 2 * recent <= 3 * baseline ? 70
            : recent <= 2 * baseline ? 40
            : 0;

        var urgent = recent == 0 || w.Urgent30 < _urgentTicketsMinimum || 10 * w.Urgent30 <= recent ? 100
            : 4 * w.Urgent30 <= recent ? 70
            : 2 * w.Urgent30 <= recent ? 40
            : 0;

        var open = s.OpenUrgentTickets <= 0 ? 100 : s.OpenUrgentTickets == 1 ? 50 : 0;

        Record(sub, HealthDimension.Support, HealthSubSignals.TicketVolume, 1, volume);
        Record(sub, HealthDimension.Support, HealthSubSignals.UrgentShare, 1, urgent);
        Record(sub, HealthDimension.Support, HealthSubSignals.OpenUrgentTickets, 1, open);
        var rated = w.SatisfactionGood60 + w.SatisfactionBad60;
        if (rated == 0)
        {
            Record(sub, HealthDimension.Support, HealthSubSignals.Satisfaction, 1, null);
            return RoundDiv(volume + urgent + open, 3);
        }

        var good = w.SatisfactionGood60 * 100;
        var satisfaction = good >= 90 * rated ? 100 : good >= 75 * rated ? 70 : good >= 50 * rated ? 40 : 0;
        Record(sub, HealthDimension.Support, HealthSubSignals.Satisfaction, 1, satisfaction);
        return RoundDiv(volume + urgent + open + satisfaction, 4);
    }

    /// <summary>
    /// Champion (60%) and executive sponsor (40%): present and active 100, present but inactive 50, absent 0.
    /// A champion who left in the last 90 days is a strong negative: 0 with nobody in their place, at most 40 with a new one.
    /// </summary>
    public static int Relationship(RelationshipSignals r, DateTimeOffset asOf) => Relationship(r, asOf, sponsorExpected: true);

    /// <summary>
    /// As <see cref="Relationship(RelationshipSignals, DateTimeOffset)"/>; where no executive sponsor is expected (tech-touch
    /// SMB), an account without one is scored on its champion alone, while a sponsor it does have still counts.
    /// </summary>
    public static int Relationship(RelationshipSignals r, DateTimeOffset asOf, bool sponsorExpected, int? nps = null, int? renewal = null, int? coverage = null) =>
        Relationship(r, asOf, sponsorExpected, nps, renewal, coverage, null);

    private static int Relationship(RelationshipSignals r, DateTimeOffset asOf, bool sponsorExpected, int? nps, int? renewal, int? coverage, List<HealthSubSignal>? sub)
    {
        ArgumentNullException.ThrowIfNull(r);
        var champion = r.HasChampion ? (r.ChampionActive ? 100 : 50) : 0;
        var sponsor = r.HasExecutiveSponsor ? (r.ExecutiveSponsorActive ? 100 : 50) : 0;
        var people = sponsorExpected || r.HasExecutiveSponsor ? RoundDiv((60 * champion) + (40 * sponsor), 100) : champion;

        // "Executive sponsor status, champion stability, NPS", "Stakeholder coverage: # of relationships at org",
        // "Buying committee awareness: Renewal decision-maker contact": champion and sponsor 45, NPS 15 (a few percent
        // of the score: "Don't weight NPS above 15-20% — it's a lagging indicator"), the renewal conversation 20 and
        // stakeholder coverage 20. An unknown sub-signal is re-weighted among the known ones.
        var sum = 45 * people;
        var weight = 45;
        Add(15, nps, ref sum, ref weight);
        Add(20, renewal, ref sum, ref weight);
        Add(20, coverage, ref sum, ref weight);
        var score = RoundDiv(sum, weight);
        var championLost = r.ChampionLeftAt is { } left && left > asOf.AddDays(-ChampionLossDays) && left <= asOf;
        if (championLost)
        {
            score = r.HasChampion ? Math.Min(score, 40) : 0;
        }

        Record(sub, HealthDimension.Relationship, HealthSubSignals.ChampionAndSponsor, 45, people);
        if (championLost)
        {
            Record(sub, HealthDimension.Relationship, HealthSubSignals.ChampionDeparture, 0, r.HasChampion ? 40 : 0);
        }

        Record(sub, HealthDimension.Relationship, HealthSubSignals.Nps, 15, nps);
        Record(sub, HealthDimension.Relationship, HealthSubSignals.RenewalConversation, 20, renewal);
        Record(sub, HealthDimension.Relationship, HealthSubSignals.StakeholderCoverage, 20, coverage);

        return score;
    }

    private static void Add(int weight, int? value, ref int sum, ref int weights)
    {
        if (value is { } v)
        {
            sum += weight * v;
            weights += weight;
        }
    }

    /// <summary>Days an NPS response stays the account's sentiment (surveys run quarterly to twice a year).</summary>
    public const int NpsWindowDays = 180;

    /// <summary>
    /// The most recent NPS response in the last <see cref="NpsWindowDays"/> days: promoter (9-10) 100, passive (7-8)
    /// 70, detractor (0-6) 0; null (unknown, re-weighted) without one.
    /// </summary>
    public static int? NpsScore(AccountSignals s, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.LastNpsScore is not { } nps || s.LastNpsAt is not { } at || at > asOf || asOf - at > TimeSpan.FromDays(NpsWindowDays))
        {
            return null;
        }

        return nps >= 9 ? 100 : nps >= 7 ? 70 : 0;
    }

    // 100 less penalties: failed payment (30 d) 30, past due/unpaid 40, dispute (60 d) 50, cancel at period end 60,
    // downgrade (30 d) 20; canceled = 0.
    private static int Payment(AccountSignals s, in SignalWindow w, List<HealthSubSignal>? sub = null)
    {
        var status = s.SubscriptionStatus;
        if (string.Equals(status, "canceled", StringComparison.Ordinal))
        {
            Record(sub, HealthDimension.Payment, HealthSubSignals.Billing, 1, 0);
            return 0;
        }

        var score = 100;
        if (w.PaymentsFailed30 > 0)
        {
            score -= 30;
        }

        if (string.Equals(status, "past_due", StringComparison.Ordinal) || string.Equals(status, "unpaid", StringComparison.Ordinal))
        {
            score -= 40;
        }

        if (w.Disputes60 > 0)
        {
            score -= 50;
        }

        if (s.CancelAtPeriodEnd)
        {
            score -= 60;
        }

        if (w.Downgraded30)
        {
            score -= 20;
        }

        Record(sub, HealthDimension.Payment, HealthSubSignals.Billing, 1, Math.Max(0, score));
        return Math.Max(0, score);
    }

    /// <summary>
    /// -1 when the account is not onboarding. Otherwise 100 less 100/n points per onboarding milestone it is behind
    /// the expected pace, where the pace expects none during the grace days and all n by the last onboarding day.
    /// </summary>
    private int OnboardingScore(AccountSignals s, DateOnly day)
    {
        if (s.CustomerSince is not { } since || s.Milestones.ContainsKey(_firstValue))
        {
            return -1;
        }

        var elapsed = day.DayNumber - DateOnly.FromDateTime(since.UtcDateTime).DayNumber;
        if (elapsed < 0 || elapsed > _onboardingMaxDays)
        {
            return -1;
        }

        var n = _onboardingMilestones.Length;
        var reached = 0;
        for (var i = 0; i < n; i++)
        {
            if (s.Milestones.ContainsKey(_onboardingMilestones[i]))
            {
                reached++;
            }
        }

        var expected = (double)n * Math.Max(0, elapsed - _onboardingGraceDays) / (_onboardingMaxDays - _onboardingGraceDays);
        var behind = Math.Max(0, expected - reached);
        return Math.Clamp((int)Math.Round(100 * (n - behind) / n, MidpointRounding.AwayFromZero), 0, 100);
    }

    private (HealthTrend Trend, int Delta) TrendOf(HealthScoreHistory history, DateOnly day, int score)
    {
        if (history.OldestScoreWithin(day, TrendWindowDays) is not { } reference)
        {
            return (HealthTrend.Stable, 0);
        }

        var delta = score - reference;
        var trend = delta >= _trendThreshold ? HealthTrend.Improving : delta <= -_trendThreshold ? HealthTrend.Declining : HealthTrend.Stable;
        return (trend, delta);
    }

    // The dimensions that moved the score since the previous score, by weighted points. When nothing moved (an
    // hourly recompute of unchanged signals), the previous drivers stay: they still explain the score.
    private HealthDriverDelta[] DriversOf(AccountSegment segment, int[] dims, HealthScore? previous)
    {
        if (previous is null)
        {
            return [];
        }

        var w = _weights[(int)segment];
        Span<int> order = stackalloc int[DimensionCount];
        Span<double> points = stackalloc double[DimensionCount];
        var count = 0;
        for (var d = 0; d < DimensionCount; d++)
        {
            var before = previous.Dimensions[d];
            if (before == dims[d] || w[d] == 0)
            {
                continue;
            }

            points[d] = w[d] * (dims[d] - before) / 100.0;

            // Insertion by |points|, largest first; ties keep dimension order.
            var at = count;
            while (at > 0 && Math.Abs(points[order[at - 1]]) < Math.Abs(points[d]))
            {
                order[at] = order[at - 1];
                at--;
            }

            order[at] = d;
            count++;
        }

        if (count == 0)
        {
            return previous.Drivers is HealthDriverDelta[] kept ? kept : [.. previous.Drivers];
        }

        var drivers = new HealthDriverDelta[Math.Min(count, MaxDrivers)];
        for (var i = 0; i < drivers.Length; i++)
        {
            var d = order[i];
            drivers[i] = new HealthDriverDelta((HealthDimension)d, points[d], previous.Dimensions[d], dims[d]);
        }

        return drivers;
    }

    private static int RoundDiv(int numerator, int denominator) => (numerator + (denominator / 2)) / denominator;

    private static string[] Distinct(string[] names)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(names.Length);
        foreach (var name in names)
        {
            if (!string.IsNullOrWhiteSpace(name) && set.Add(name))
            {
                result.Add(name);
            }
        }

        return [.. result];
    }

    /// <summary>Sums over the daily aggregates by age in days (0 = the as-of day), read in one backwards pass.</summary>
    private struct SignalWindow
    {
        public int LoginsWeek0;
        public int LoginsWeek1;
        public int LoginsWeek2;
        public int Logins28;
        public long EventsBlock0;
        public long EventsBlock1;
        public long EventsBlock2;
        public long EventsBlock3;
        public long LoginsBlock0;
        public long LoginsBlock1;
        public long LoginsBlock2;
        public long LoginsBlock3;
        public int Tickets30;
        public int TicketsPrior30;
        public int Urgent30;
        public int SatisfactionGood60;
        public int SatisfactionBad60;
        public int PaymentsFailed30;
        public int Disputes60;
        public bool Downgraded30;
        public int LastContactAge;
        public int Meetings60;
        public int Replies30;

        public static SignalWindow Read(IReadOnlyList<DailySignals> days, DateOnly asOf)
        {
            var w = new SignalWindow { LastContactAge = -1 };

            // Arrays and lists (what the signal sources build) are read without interface dispatch per day.
            if (days is DailySignals[] array)
            {
                w.Add(array, asOf.DayNumber);
            }
            else if (days is List<DailySignals> list)
            {
                w.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list), asOf.DayNumber);
            }
            else
            {
                w.Add([.. days], asOf.DayNumber);
            }

            return w;
        }

        private void Add(ReadOnlySpan<DailySignals> days, int today)
        {
            ref var w = ref this;
            for (var i = days.Length - 1; i >= 0; i--)
            {
                ref readonly var d = ref days[i];
                var age = today - d.Day.DayNumber;
                if (age < 0)
                {
                    continue;
                }

                if (age >= SignalWindowDays)
                {
                    break;
                }

                if (age < 21)
                {
                    if (age < 7)
                    {
                        w.LoginsWeek0 += d.Logins;
                    }
                    else if (age < 14)
                    {
                        w.LoginsWeek1 += d.Logins;
                    }
                    else
                    {
                        w.LoginsWeek2 += d.Logins;
                    }
                }

                if (age < 28)
                {
                    w.Logins28 += d.Logins;
                }

                switch (age / 14)
                {
                    case 0: w.EventsBlock0 += d.Events; w.LoginsBlock0 += d.Logins; break;
                    case 1: w.EventsBlock1 += d.Events; w.LoginsBlock1 += d.Logins; break;
                    case 2: w.EventsBlock2 += d.Events; w.LoginsBlock2 += d.Logins; break;
                    case 3: w.EventsBlock3 += d.Events; w.LoginsBlock3 += d.Logins; break;
                    default: break;
                }

                if (age < 30)
                {
                    w.Tickets30 += d.TicketsOpened;
                    w.Urgent30 += d.UrgentOrHighTicketsOpened;
                    w.PaymentsFailed30 += d.PaymentsFailed;
                    w.Replies30 += d.EmailReplies;
                    w.Downgraded30 |= d.MrrDeltaCents < 0;
                }
                else
                {
                    w.TicketsPrior30 += d.TicketsOpened;
                }

                w.SatisfactionGood60 += d.SatisfactionGood;
                w.SatisfactionBad60 += d.SatisfactionBad;
                w.Disputes60 += d.DisputesOpened;
                w.Meetings60 += d.Meetings + (2 * d.Qbrs);
                if (w.LastContactAge < 0 && d.Meetings + d.Qbrs + d.EmailReplies > 0)
                {
                    w.LastContactAge = age;
                }
            }
        }
    }
}
