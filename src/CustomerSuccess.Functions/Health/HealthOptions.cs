using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// The health model as CS operations configure it (section "Health", e.g. <c>Health__Weights__Smb__ProductUsage=40</c>).
/// The defaults are the documented model. The recompute schedule lives in the timer's function.json, not here; the
/// milestones and key features it scores are the product's vocabulary (<c>Product__*</c>, ProductOptions).
/// </summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    public HealthWeightsBySegment Weights { get; set; } = new();

    public HealthSegmentOptions Segments { get; set; } = new();

    public HealthBandOptions Bands { get; set; } = new();

    /// <summary>An account without its first-value milestone is scored on onboarding progress for up to this many days after it became a customer.</summary>
    public int OnboardingMaxDays { get; set; } = 90;

    /// <summary>Days at the start of onboarding during which no milestone is expected yet.</summary>
    public int OnboardingGraceDays { get; set; } = 14;

    /// <summary>
    /// Logins per active user per week that count as full use: the login-frequency yardstick, a property of the
    /// product that CS operations should set to their product's own cadence. Set it empty
    /// (<c>Health__ExpectedWeeklyLoginsPerActiveUser=</c>) to read login frequency against each account's own past
    /// instead: logins of the last two weeks against its average fortnight before ("Login frequency drops &gt;30%").
    /// </summary>
    public double? ExpectedWeeklyLoginsPerActiveUser { get; set; } = 3;

    /// <summary>
    /// Read login frequency against the portfolio's own cadence: each segment's median logins per active user per
    /// week, measured over the established accounts by the last completed recompute (the seeds' "tier-specific
    /// benchmark"), for a product whose cadence nobody has measured. <see cref="ExpectedWeeklyLoginsPerActiveUser"/>
    /// stays the yardstick until a run has measured one, for a segment with too few peers (it takes the portfolio's
    /// median), and while this is off (the default). Measured on both shipped scenarios, it lifts healthy accounts into
    /// Green and halves the stayers flagged, and flags fewer churners as well (docs/benchmarks.md): it moves where the
    /// bands cut, not how well the score ranks, so it is a choice for CS operations, not a default.
    /// </summary>
    public bool LoginsAgainstPeers { get; set; }

    /// <summary>Established accounts a segment needs before its median is its login yardstick (else the portfolio's, else the fixed one).</summary>
    public int PeerBenchmarkMinimumAccounts { get; set; } = 20;

    /// <summary>
    /// Consecutive days the score must sit in another band before the band changes (hysteresis), so one noisy day
    /// neither raises nor clears anything. A critical fact (a failed payment or dispute, past-due billing, a
    /// cancellation notice) moves the band down at once.
    /// </summary>
    public int BandChangeDays { get; set; } = 3;

    /// <summary>
    /// Days before a renewal in which the renewal conversation (a renewal meeting or a QBR) is expected, for accounts
    /// above the tech-touch segment on terms longer than this ("Renewal conversation not started within 90-day window").
    /// </summary>
    public int RenewalConversationWindowDays { get; set; } = 90;

    /// <summary>Days into that window before a conversation not yet held counts as not started (a meeting is booked, not held, on the window's first day).</summary>
    public int RenewalConversationGraceDays { get; set; } = 14;

    /// <summary>
    /// Active stakeholders (champion, executive sponsor, decision makers by role or title, seen in 30 days) a Mid-Market or
    /// Enterprise account is expected to have ("Map at least two stakeholders").
    /// </summary>
    public int StakeholdersExpected { get; set; } = 2;

    /// <summary>
    /// Days from contract start by which a new customer is expected to have its team on the product ("Milestone 3 -
    /// Team adoption (Days 30-60): 60% of licensed seats active"). Before then seat share is read against that pace
    /// (active seats × these days ÷ the contract's age), so a customer three weeks in is not marked down for seats
    /// it is still rolling out to. 0 reads every account's seat share as it stands.
    /// </summary>
    public int TeamAdoptionDays { get; set; } = 60;

    /// <summary>
    /// Tickets above the account's count in the 30 days before that make a rise in ticket volume count ("Support ticket
    /// volume spikes", "increasing ticket volume"): below it the volume sub-signal stays 100, because a ticket or two
    /// more than a quiet month is how engaged customers use support, not a spike.
    /// </summary>
    public int TicketSpikeMinimum { get; set; } = 3;

    /// <summary>
    /// Urgent or high-priority tickets in 30 days before their share of the tickets counts ("increasing ticket volume
    /// or severity"): one urgent ticket is an incident, told by the open-urgent sub-signal while it is unresolved.
    /// </summary>
    public int UrgentTicketsMinimum { get; set; } = 2;

    /// <summary>Points the score must move over 30 days to count as improving or declining.</summary>
    public int TrendThreshold { get; set; } = 5;

    /// <summary>How many shards a recompute run is split into (one Service Bus message each).</summary>
    public int ShardCount { get; set; } = 16;

    /// <summary>Accounts read and written per page inside a shard (≤ 100 keeps one page = one batch per table write).</summary>
    public int PageSize { get; set; } = 100;
}

/// <summary>
/// Defaults per segment follow the coverage model: tech-touch SMB is read from product usage and payment (no CSM
/// meetings or executive sponsor are expected there), Enterprise from relationships and engagement as much as usage.
/// </summary>
public sealed class HealthWeightsBySegment
{
    public HealthWeights Smb { get; set; } = new() { ProductUsage = 45, Engagement = 5, Outcomes = 15, Support = 10, Relationship = 5, Payment = 20 };

    public HealthWeights MidMarket { get; set; } = new() { ProductUsage = 35, Engagement = 15, Outcomes = 15, Support = 10, Relationship = 15, Payment = 10 };

    public HealthWeights Enterprise { get; set; } = new() { ProductUsage = 25, Engagement = 20, Outcomes = 15, Support = 10, Relationship = 20, Payment = 10 };

    public HealthWeights For(AccountSegment segment) => segment switch
    {
        AccountSegment.Enterprise => Enterprise,
        AccountSegment.MidMarket => MidMarket,
        _ => Smb,
    };
}

/// <summary>Percent weights of the six dimensions; they must sum to 100.</summary>
public sealed class HealthWeights
{
    public int ProductUsage { get; set; } = 40;

    public int Engagement { get; set; } = 20;

    public int Outcomes { get; set; } = 15;

    public int Support { get; set; } = 10;

    public int Relationship { get; set; } = 10;

    public int Payment { get; set; } = 5;

    public int Get(HealthDimension dimension) => dimension switch
    {
        HealthDimension.ProductUsage => ProductUsage,
        HealthDimension.Engagement => Engagement,
        HealthDimension.Outcomes => Outcomes,
        HealthDimension.Support => Support,
        HealthDimension.Relationship => Relationship,
        HealthDimension.Payment => Payment,
        _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
    };
}

/// <summary>ARR tiers in whole dollars: Enterprise above <see cref="EnterpriseMinArr"/>, Mid-Market from <see cref="MidMarketMinArr"/> up to it, SMB below.</summary>
public sealed class HealthSegmentOptions
{
    public long EnterpriseMinArr { get; set; } = 100_000;

    public long MidMarketMinArr { get; set; } = 20_000;
}

/// <summary>
/// Band thresholds: Green at or above <see cref="Green"/>, Yellow at or above <see cref="Yellow"/>, Red below. A segment
/// may set its own (<c>Health__Bands__Enterprise__Green=80</c>, "segment-specific health threshold"); what it leaves unset
/// falls back to the global value.
/// </summary>
public sealed class HealthBandOptions
{
    public int Green { get; set; } = 75;

    public int Yellow { get; set; } = 50;

    public SegmentBandOptions Smb { get; set; } = new();

    public SegmentBandOptions MidMarket { get; set; } = new();

    public SegmentBandOptions Enterprise { get; set; } = new();

    /// <summary>The thresholds in force for <paramref name="segment"/>: its own where set, else the global ones.</summary>
    public (int Green, int Yellow) For(AccountSegment segment)
    {
        var own = segment switch
        {
            AccountSegment.Enterprise => Enterprise,
            AccountSegment.MidMarket => MidMarket,
            _ => Smb,
        };

        return (own?.Green ?? Green, own?.Yellow ?? Yellow);
    }
}

/// <summary>One segment's band thresholds; null = the global <see cref="HealthBandOptions"/> value.</summary>
public sealed class SegmentBandOptions
{
    public int? Green { get; set; }

    public int? Yellow { get; set; }
}

/// <summary>Refuses an invalid model at start, naming the setting that is wrong.</summary>
public sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        foreach (var segment in Enum.GetValues<AccountSegment>())
        {
            var prefix = $"{HealthOptions.SectionName}:Weights:{segment}";
            var weights = options.Weights.For(segment);
            if (weights is null)
            {
                failures.Add($"{prefix} is missing.");
                continue;
            }

            var sum = 0;
            var parts = new StringBuilder();
            foreach (var dimension in Enum.GetValues<HealthDimension>())
            {
                var w = weights.Get(dimension);
                if (w is < 0 or > 100)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}:{dimension} is {w}; a weight must be between 0 and 100."));
                }

                sum += w;
                parts.Append(CultureInfo.InvariantCulture, $"{(parts.Length > 0 ? ", " : string.Empty)}{dimension}={w}");
            }

            if (sum != 100)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix} weights sum to {sum}, they must sum to 100 ({parts})."));
            }
        }

        var segments = options.Segments;
        if (segments.MidMarketMinArr <= 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:Segments:MidMarketMinArr is {segments.MidMarketMinArr}; it must be positive."));
        }

        if (segments.EnterpriseMinArr <= segments.MidMarketMinArr)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:Segments:EnterpriseMinArr ({segments.EnterpriseMinArr}) must be greater than Health:Segments:MidMarketMinArr ({segments.MidMarketMinArr})."));
        }

        var bands = options.Bands;
        ValidateBands(failures, $"{HealthOptions.SectionName}:Bands", bands.Green, bands.Yellow);
        foreach (var segment in Enum.GetValues<AccountSegment>())
        {
            var (green, yellow) = bands.For(segment);
            if ((green, yellow) != (bands.Green, bands.Yellow))
            {
                ValidateBands(failures, $"{HealthOptions.SectionName}:Bands:{segment}", green, yellow);
            }
        }

        if (options.OnboardingMaxDays is < 1 or > 730)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:OnboardingMaxDays is {options.OnboardingMaxDays}; it must be between 1 and 730."));
        }

        if (options.OnboardingGraceDays < 0 || options.OnboardingGraceDays >= options.OnboardingMaxDays)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:OnboardingGraceDays is {options.OnboardingGraceDays}; it must be at least 0 and below Health:OnboardingMaxDays ({options.OnboardingMaxDays})."));
        }

        if (options.PeerBenchmarkMinimumAccounts < 1)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:PeerBenchmarkMinimumAccounts is {options.PeerBenchmarkMinimumAccounts}; it must be at least 1."));
        }

        if (options.ExpectedWeeklyLoginsPerActiveUser is { } expectedLogins && !(expectedLogins > 0))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:ExpectedWeeklyLoginsPerActiveUser is {options.ExpectedWeeklyLoginsPerActiveUser}; it must be positive."));
        }

        if (options.BandChangeDays is < 1 or > HealthScoreHistory.Length)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:BandChangeDays is {options.BandChangeDays}; it must be between 1 and {HealthScoreHistory.Length}."));
        }

        if (options.RenewalConversationWindowDays is < 1 or > 365)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:RenewalConversationWindowDays is {options.RenewalConversationWindowDays}; it must be between 1 and 365."));
        }

        if (options.RenewalConversationGraceDays < 0 || options.RenewalConversationGraceDays >= options.RenewalConversationWindowDays)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:RenewalConversationGraceDays is {options.RenewalConversationGraceDays}; it must be at least 0 and below Health:RenewalConversationWindowDays ({options.RenewalConversationWindowDays})."));
        }

        if (options.StakeholdersExpected is < 1 or > 20)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:StakeholdersExpected is {options.StakeholdersExpected}; it must be between 1 and 20."));
        }

        if (options.TeamAdoptionDays is < 0 or > 365)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:TeamAdoptionDays is {options.TeamAdoptionDays}; it must be between 0 (no ramp) and 365."));
        }

        if (options.TicketSpikeMinimum is < 1 or > 1000)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:TicketSpikeMinimum is {options.TicketSpikeMinimum}; it must be between 1 and 1000."));
        }

        if (options.UrgentTicketsMinimum is < 1 or > 1000)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:UrgentTicketsMinimum is {options.UrgentTicketsMinimum}; it must be between 1 and 1000."));
        }

        if (options.TrendThreshold is < 1 or > 100)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:TrendThreshold is {options.TrendThreshold}; it must be between 1 and 100."));
        }

        if (options.ShardCount is < 1 or > 1024)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:ShardCount is {options.ShardCount}; it must be between 1 and 1024."));
        }

        if (options.PageSize is < 1 or > 1000)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{HealthOptions.SectionName}:PageSize is {options.PageSize}; it must be between 1 and 1000."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateBands(List<string> failures, string prefix, int green, int yellow)
    {
        if (yellow is < 1 or > 100)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}:Yellow is {yellow}; it must be between 1 and 100."));
        }

        if (green > 100 || green <= yellow)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}:Green is {green}; it must be above {prefix}:Yellow ({yellow}) and at most 100."));
        }
    }
}

/// <summary>
/// Refuses a segment whose weights are only partly set in configuration. The defaults differ per segment, so a partial
/// override would be completed with numbers the operator never wrote (and may not know); a segment's weights are
/// overridden as a whole, all six dimensions, or not at all. The sum is checked by <see cref="HealthOptionsValidator"/>.
/// </summary>
public sealed class HealthWeightsConfigurationValidator(IConfiguration configuration) : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        var failures = new List<string>();
        var dimensions = Enum.GetValues<HealthDimension>();
        foreach (var segment in Enum.GetValues<AccountSegment>())
        {
            var prefix = $"{HealthOptions.SectionName}:Weights:{segment}";
            var section = configuration.GetSection(prefix);
            var set = dimensions.Where(d => section[d.ToString()] is not null).ToList();
            if (set.Count == 0 || set.Count == dimensions.Length)
            {
                continue;
            }

            var missing = dimensions.Except(set).Select(d => $"{prefix}:{d}");
            failures.Add($"{prefix} is set only in part ({string.Join(", ", set)}); a segment's weights are overridden as a whole, so also set {string.Join(", ", missing)} (the six must sum to 100).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
