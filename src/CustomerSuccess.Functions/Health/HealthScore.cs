namespace CustomerSuccess.Functions.Health;

public enum HealthTrend
{
    Stable,
    Improving,
    Declining,
}

/// <summary>
/// One account's health as of a day: the weighted score, its band, the six dimension sub-scores, what moved it,
/// the 30-day trend, the flags raised, and the compact daily score history the next computation needs. It is
/// both the calculator's output and its "previous state" input, and what the score row stores.
/// </summary>
public sealed class HealthScore
{
    public required string AccountId { get; init; }

    public required DateOnly Day { get; init; }

    public required DateTimeOffset ScoredAt { get; init; }

    public AccountSegment Segment { get; init; }

    /// <summary>0-100. While onboarding: the onboarding-progress score.</summary>
    public int Score { get; init; }

    /// <summary>The band the model computed from <see cref="Score"/>.</summary>
    public HealthBand ComputedBand { get; init; }

    /// <summary>The band in force: an active CSM override's band, else <see cref="ComputedBand"/>.</summary>
    public HealthBand Band { get; init; }

    /// <summary>The CSM override in force when scored; null when none or expired.</summary>
    public HealthBandOverride? Override { get; init; }

    public bool Onboarding { get; init; }

    /// <summary>Where the account stands as a customer when scored; a churned account's score is its final one, kept as it was.</summary>
    public AccountLifecycleState Lifecycle { get; init; } = AccountLifecycleState.Active;

    /// <summary>The first day of the account's scores (again after it came back from churn): its baseline, during which alerting warms up.</summary>
    public DateOnly FirstScoredOn { get; init; }

    /// <summary>Sub-scores 0-100 indexed by <see cref="HealthDimension"/>.</summary>
    public required IReadOnlyList<int> Dimensions { get; init; }

    public HealthFlagMask Flags { get; init; }

    /// <summary>Up to three dimensions that moved the score most since the previous score, largest first.</summary>
    public IReadOnlyList<HealthDriverDelta> Drivers { get; init; } = [];

    public HealthTrend Trend { get; init; }

    /// <summary>Score now minus the oldest score in the last 30 days (0 when there is none).</summary>
    public int TrendDelta { get; init; }

    /// <summary>First day of the current run of days in <see cref="Band"/>.</summary>
    public DateOnly BandSince { get; init; }

    public int DaysInBand => Day.DayNumber - BandSince.DayNumber;

    public HealthScoreHistory History { get; init; } = HealthScoreHistory.Empty;

    public int Dimension(HealthDimension dimension) => Dimensions[(int)dimension];

    /// <summary>This score as it was, in another lifecycle state (a churned account keeps its final score).</summary>
    public HealthScore InLifecycle(AccountLifecycleState lifecycle) => new()
    {
        AccountId = AccountId,
        Day = Day,
        ScoredAt = ScoredAt,
        Segment = Segment,
        Score = Score,
        ComputedBand = ComputedBand,
        Band = Band,
        Override = Override,
        Onboarding = Onboarding,
        Lifecycle = lifecycle,
        FirstScoredOn = FirstScoredOn,
        Dimensions = Dimensions,
        Flags = Flags,
        Drivers = Drivers,
        Trend = Trend,
        TrendDelta = TrendDelta,
        BandSince = BandSince,
        History = History,
    };
}

/// <summary>A CSM's band override: in force until <see cref="ExpiresAt"/>; the computed score stays beside it.</summary>
public sealed record HealthBandOverride(HealthBand Band, string Reason, DateTimeOffset ExpiresAt, string? SetBy, DateTimeOffset SetAt)
{
    public bool IsActiveAt(DateTimeOffset instant) => ExpiresAt > instant;
}

/// <summary>How much one dimension moved the overall score: <see cref="Points"/> = weight × (new − old) / 100.</summary>
public readonly record struct HealthDriverDelta(HealthDimension Dimension, double Points, int From, int To)
{
    public HealthDriver ToDriver() => new(
        Dimension.ToString(),
        Points,
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Dimension} {From} → {To} ({Points:+0.#;-0.#} points)"));
}

/// <summary>The flags of one score as bits (cheap to compute and compare); <see cref="ToIds"/> gives the stable ids of <see cref="HealthFlags"/>.</summary>
public readonly record struct HealthFlagMask(uint Bits)
{
    private const int DimensionCount = 6;
    private const uint LoginsDownBit = 1;
    private const uint Usage4wBit = 2;
    private const uint Usage2wBit = 4;
    private const int ZeroShift = 3;
    private const int MissingShift = ZeroShift + DimensionCount;
    private const uint RenewalNotStartedBit = 1u << (MissingShift + DimensionCount);
    private const uint MissedTouchpointsBit = RenewalNotStartedBit << 1;
    private const uint LowStakeholderCoverageBit = RenewalNotStartedBit << 2;

    public static HealthFlagMask None => default;

    public bool IsEmpty => Bits == 0;

    public HealthFlagMask WithLoginsDownWeekOverWeek() => new(Bits | LoginsDownBit);

    public HealthFlagMask WithUsageDown4Weeks() => new(Bits | Usage4wBit);

    public HealthFlagMask WithUsageDown2Weeks() => new(Bits | Usage2wBit);

    public HealthFlagMask WithDimensionZero(HealthDimension dimension) => new(Bits | (1u << (ZeroShift + (int)dimension)));

    public HealthFlagMask WithMissingSignals(HealthDimension dimension) => new(Bits | (1u << (MissingShift + (int)dimension)));

    public HealthFlagMask WithRenewalNotStarted() => new(Bits | RenewalNotStartedBit);

    public HealthFlagMask WithMissedTouchpoints() => new(Bits | MissedTouchpointsBit);

    public HealthFlagMask WithLowStakeholderCoverage() => new(Bits | LowStakeholderCoverageBit);

    public bool IsMissing(HealthDimension dimension) => (Bits & (1u << (MissingShift + (int)dimension))) != 0;

    public bool Has(string id)
    {
        foreach (var candidate in ToIds())
        {
            if (candidate == id)
            {
                return true;
            }
        }

        return false;
    }

    public IReadOnlySet<string> ToIds()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if ((Bits & LoginsDownBit) != 0)
        {
            ids.Add(HealthFlags.LoginsDownWeekOverWeek);
        }

        if ((Bits & Usage4wBit) != 0)
        {
            ids.Add(HealthFlags.UsageDown4Weeks);
        }

        if ((Bits & Usage2wBit) != 0)
        {
            ids.Add(HealthFlags.UsageDown2Weeks);
        }

        if ((Bits & RenewalNotStartedBit) != 0)
        {
            ids.Add(HealthFlags.RenewalNotStarted);
        }

        if ((Bits & MissedTouchpointsBit) != 0)
        {
            ids.Add(HealthFlags.MissedTouchpoints);
        }

        if ((Bits & LowStakeholderCoverageBit) != 0)
        {
            ids.Add(HealthFlags.LowStakeholderCoverage);
        }

        for (var d = 0; d < DimensionCount; d++)
        {
            if ((Bits & (1u << (ZeroShift + d))) != 0)
            {
                ids.Add(HealthFlags.DimensionZeroPrefix + (HealthDimension)d);
            }

            if ((Bits & (1u << (MissingShift + d))) != 0)
            {
                ids.Add(HealthFlags.MissingSignalsPrefix + (HealthDimension)d);
            }
        }

        return ids;
    }
}

/// <summary>
/// The last <see cref="Length"/> daily scores ending at <see cref="LastDay"/>, one byte per day (0 = no score that
/// day, else score + 1), so the 30-day trend needs no extra read and the row stays small.
/// </summary>
public sealed class HealthScoreHistory
{
    public const int Length = 31;

    private readonly byte[] _days;

    private HealthScoreHistory(DateOnly lastDay, byte[] days)
    {
        LastDay = lastDay;
        _days = days;
    }

    public static HealthScoreHistory Empty { get; } = new(DateOnly.MinValue, new byte[Length]);

    public DateOnly LastDay { get; }

    public static HealthScoreHistory FromBytes(DateOnly lastDay, ReadOnlySpan<byte> days)
    {
        var copy = new byte[Length];
        days[..Math.Min(days.Length, Length)].CopyTo(copy);
        return new HealthScoreHistory(lastDay, copy);
    }

    public byte[] ToBytes() => (byte[])_days.Clone();

    /// <summary>The score recorded on <paramref name="day"/>, or null.</summary>
    public int? ScoreOn(DateOnly day)
    {
        var age = LastDay.DayNumber - day.DayNumber;
        if (age < 0 || age >= Length)
        {
            return null;
        }

        var value = _days[age];
        return value == 0 ? null : value - 1;
    }

    /// <summary>The oldest score recorded 1 to <paramref name="days"/> days before <paramref name="day"/>, or null.</summary>
    public int? OldestScoreWithin(DateOnly day, int days)
    {
        var offset = LastDay.DayNumber - day.DayNumber;
        for (var ageFromDay = days; ageFromDay >= 1; ageFromDay--)
        {
            var age = ageFromDay + offset;
            if (age >= 0 && age < Length && _days[age] != 0)
            {
                return _days[age] - 1;
            }
        }

        return null;
    }

    /// <summary>This history moved forward to <paramref name="day"/> with <paramref name="score"/> recorded on it (replacing an earlier score that day).</summary>
    public HealthScoreHistory With(DateOnly day, int score)
    {
        var shift = day.DayNumber - LastDay.DayNumber;
        if (shift < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(day), "History only moves forward.");
        }

        var days = new byte[Length];
        for (var age = 0; age + shift < Length; age++)
        {
            days[age + shift] = _days[age];
        }

        days[0] = (byte)(Math.Clamp(score, 0, 100) + 1);
        return new HealthScoreHistory(day, days);
    }
}

/// <summary>
/// One named sub-signal of a dimension: its weight inside the dimension and its 0-100 value, or null when it is not
/// known (its weight then goes to the known ones; the dimension is missing only when none is known).
/// </summary>
public sealed record HealthSubSignal(HealthDimension Dimension, string Name, int Weight, int? Value);

/// <summary>The sub-signal names, as the API and the account page show them.</summary>
public static class HealthSubSignals
{
    public const string SeatShare = "seat-share";
    public const string LoginFrequency = "login-frequency";
    public const string KeyFeatureBreadth = "key-feature-breadth";
    public const string UsageTrend = "usage-trend";
    public const string ContactRecency = "contact-recency";
    public const string Meetings = "meetings";
    public const string EmailReplies = "email-replies";
    public const string MeetingAttendance = "meeting-attendance";
    public const string Milestones = "milestones";
    public const string TicketVolume = "ticket-volume";
    public const string UrgentShare = "urgent-share";
    public const string OpenUrgentTickets = "open-urgent-tickets";
    public const string Satisfaction = "satisfaction";
    public const string ChampionAndSponsor = "champion-and-sponsor";
    /// <summary>A champion who left in the last 90 days: weight 0, the value the dimension is capped at (40 with a new champion, else 0).</summary>
    public const string ChampionDeparture = "champion-departure";
    public const string Nps = "nps";
    public const string RenewalConversation = "renewal-conversation";
    public const string StakeholderCoverage = "stakeholder-coverage";
    public const string Billing = "billing";
}
