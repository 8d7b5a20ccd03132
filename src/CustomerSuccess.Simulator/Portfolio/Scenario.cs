using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerSuccess.Simulator.Portfolio;

/// <summary>
/// What kind of customer base a run simulates, read from a JSON file (--scenario; the shipped default is
/// scenarios/default.json): the segment mix, the share of each customer story per segment, how the stories end,
/// a few rates and the noise. Nothing here knows the app's health model; the schema is documented in the README.
/// </summary>
internal sealed record Scenario
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    public string Name { get; init; } = "unnamed";

    public string Description { get; init; } = "";

    /// <summary>Share of accounts per segment (sums to 1).</summary>
    public required SegmentShares Segments { get; init; }

    /// <summary>Per segment, the share of accounts living each story; the rest are healthy adopters.</summary>
    public required StoryMix Stories { get; init; }

    public StoryOutcomes Outcomes { get; init; } = new();

    public ScenarioRates Rates { get; init; } = new();

    public ScenarioNoise Noise { get; init; } = new();

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "scenarios", "default.json");

    /// <summary>Reads and checks a scenario file; the exception names the file and the field at fault.</summary>
    public static Scenario Load(string path)
    {
        Scenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize<Scenario>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidScenarioException($"Scenario {path}: {ex.Message}");
        }

        if (scenario is null)
        {
            throw new InvalidScenarioException($"Scenario {path} is empty.");
        }

        var errors = scenario.Validate();
        return errors.Count == 0 ? scenario : throw new InvalidScenarioException($"Scenario {path}: {string.Join("; ", errors)}");
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Share(string name, double value)
        {
            if (double.IsNaN(value) || value is < 0 or > 1)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} is {value}; a share lies between 0 and 1"));
            }
        }

        void Positive(string name, double value, double max)
        {
            if (double.IsNaN(value) || value <= 0 || value > max)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} is {value}; it must be above 0 and at most {max}"));
            }
        }

        Share("segments.smb", Segments.Smb);
        Share("segments.midMarket", Segments.MidMarket);
        Share("segments.enterprise", Segments.Enterprise);
        var segmentSum = Segments.Smb + Segments.MidMarket + Segments.Enterprise;
        if (Math.Abs(segmentSum - 1) > 0.001)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"segments sum to {segmentSum:0.###}; they must sum to 1"));
        }

        foreach (var (segment, shares) in new[] { ("smb", Stories.Smb), ("midMarket", Stories.MidMarket), ("enterprise", Stories.Enterprise) })
        {
            foreach (var (story, share) in shares.Shares())
            {
                Share($"stories.{segment}.{JsonNamingPolicy.CamelCase.ConvertName(story.ToString())}", share);
            }

            var sum = shares.Shares().Sum(s => s.Share);
            if (sum > 1.0001)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"stories.{segment} shares sum to {sum:0.###}; at most 1 (the rest are healthy adopters)"));
            }
        }

        Share("outcomes.championLeaves.replaced", Outcomes.ChampionLeaves.Replaced);
        Share("outcomes.championLeaves.churns", Outcomes.ChampionLeaves.Churns);
        if (Outcomes.ChampionLeaves.Replaced + Outcomes.ChampionLeaves.Churns > 1.0001)
        {
            errors.Add("outcomes.championLeaves: replaced + churns must be at most 1 (the rest contract)");
        }

        Share("outcomes.supportStorm.churns", Outcomes.SupportStorm.Churns);
        Share("outcomes.paymentFailures.recovers", Outcomes.PaymentFailures.Recovers);
        Share("outcomes.paymentFailures.disputes", Outcomes.PaymentFailures.Disputes);
        Share("outcomes.healthyAdopter.unforeseenChurn", Outcomes.HealthyAdopter.UnforeseenChurn);
        Share("outcomes.healthyAdopter.expandsAtRenewal", Outcomes.HealthyAdopter.ExpandsAtRenewal);
        Share("outcomes.healthyAdopter.contractsAtRenewal", Outcomes.HealthyAdopter.ContractsAtRenewal);
        Share("outcomes.healthyAdopter.newDuringRun", Outcomes.HealthyAdopter.NewDuringRun);
        if (Outcomes.HealthyAdopter.UnforeseenChurn + Outcomes.HealthyAdopter.ExpandsAtRenewal + Outcomes.HealthyAdopter.ContractsAtRenewal > 1.0001)
        {
            errors.Add("outcomes.healthyAdopter: unforeseenChurn + expandsAtRenewal + contractsAtRenewal must be at most 1");
        }

        Share("rates.smbAnnualShare", Rates.SmbAnnualShare);
        Share("rates.silentFadePerWeek", Rates.SilentFadePerWeek);
        Share("rates.championLossUsageDrop", Rates.ChampionLossUsageDrop);
        Share("rates.supportStormUsageDrop", Rates.SupportStormUsageDrop);
        Share("rates.dailyTicketChance", Rates.DailyTicketChance);
        Share("rates.csatResponseShare", Rates.CsatResponseShare);
        Positive("rates.storyHorizonDays", Rates.StoryHorizonDays, 3650);
        Share("noise.engagementDaily", Noise.EngagementDaily);
        Share("noise.duplicateDeliveries", Noise.DuplicateDeliveries);
        Share("noise.outOfOrderDeliveries", Noise.OutOfOrderDeliveries);
        Share("noise.eventsBeforeLink", Noise.EventsBeforeLink);
        return errors;
    }

    public StoryShares StoriesFor(Segment segment) => segment switch
    {
        Segment.Smb => Stories.Smb,
        Segment.MidMarket => Stories.MidMarket,
        _ => Stories.Enterprise,
    };
}

internal sealed class InvalidScenarioException(string message) : Exception(message);

internal sealed record SegmentShares
{
    public double Smb { get; init; }

    public double MidMarket { get; init; }

    public double Enterprise { get; init; }
}

internal sealed record StoryMix
{
    public required StoryShares Smb { get; init; }

    public required StoryShares MidMarket { get; init; }

    public required StoryShares Enterprise { get; init; }
}

/// <summary>Shares of the troubled (and expanding, and new) stories in one segment; healthy adopters are the rest.</summary>
internal sealed record StoryShares
{
    public double SilentChurner { get; init; }

    public double ChampionLeaves { get; init; }

    public double PaymentFailures { get; init; }

    public double SupportStorm { get; init; }

    public double ExpansionNearSeatLimit { get; init; }

    public double SlowOnboarder { get; init; }

    public IEnumerable<(Behaviour Story, double Share)> Shares() =>
    [
        (Behaviour.SilentChurner, SilentChurner), (Behaviour.ChampionLeaves, ChampionLeaves), (Behaviour.PaymentFailures, PaymentFailures),
        (Behaviour.SupportStorm, SupportStorm), (Behaviour.ExpansionNearSeatLimit, ExpansionNearSeatLimit), (Behaviour.SlowOnboarder, SlowOnboarder),
    ];
}

internal sealed record StoryOutcomes
{
    public ChampionLeavesOutcome ChampionLeaves { get; init; } = new();

    public SupportStormOutcome SupportStorm { get; init; } = new();

    public PaymentFailuresOutcome PaymentFailures { get; init; } = new();

    public HealthyAdopterOutcome HealthyAdopter { get; init; } = new();
}

/// <summary>After the champion leaves: a new one is found, or the account churns at a renewal at least 45 days later; otherwise it contracts.</summary>
internal sealed record ChampionLeavesOutcome
{
    public double Replaced { get; init; } = 0.45;

    public double Churns { get; init; } = 0.35;
}

internal sealed record SupportStormOutcome
{
    /// <summary>Share that never forgive the incident and leave at a renewal at least 21 days later.</summary>
    public double Churns { get; init; } = 0.35;
}

internal sealed record PaymentFailuresOutcome
{
    /// <summary>Share whose card works again during dunning; the rest end in involuntary churn after the last retry.</summary>
    public double Recovers { get; init; } = 0.65;

    /// <summary>Share that also dispute an earlier charge.</summary>
    public double Disputes { get; init; } = 0.12;
}

internal sealed record HealthyAdopterOutcome
{
    /// <summary>Share of existing healthy accounts that leave anyway (budget cut, acquisition): churn no signal foretells.</summary>
    public double UnforeseenChurn { get; init; } = 0.04;

    public double ExpandsAtRenewal { get; init; } = 0.14;

    public double ContractsAtRenewal { get; init; } = 0.06;

    /// <summary>Share of healthy adopters that are new customers starting in the first 30 days.</summary>
    public double NewDuringRun { get; init; } = 0.12;
}

internal sealed record ScenarioRates
{
    /// <summary>SMB accounts on annual terms (the rest pay monthly); Mid-Market and Enterprise are annual.</summary>
    public double SmbAnnualShare { get; init; } = 0.35;

    /// <summary>Share of usage a silent churner loses per week once its fade begins.</summary>
    public double SilentFadePerWeek { get; init; } = 0.16;

    /// <summary>Share of usage lost while the champion is gone (nearly double that once the account has decided to leave).</summary>
    public double ChampionLossUsageDrop { get; init; } = 0.40;

    /// <summary>Share of usage lost during a support storm (twice that afterwards for accounts that leave).</summary>
    public double SupportStormUsageDrop { get; init; } = 0.25;

    /// <summary>Chance of a new ticket on a day for a small account (grows with its number of users; storms multiply it).</summary>
    public double DailyTicketChance { get; init; } = 0.02;

    /// <summary>Share of solved tickets whose requester answers the satisfaction survey.</summary>
    public double CsatResponseShare { get; init; } = 0.25;

    /// <summary>
    /// The stories' turning points (a fade begins, a champion leaves, a card fails) fall within this many days of day 0,
    /// whatever --days is, so the same seed gives the same portfolio and the same stories for every run length.
    /// </summary>
    public int StoryHorizonDays { get; init; } = 150;
}

internal sealed record ScenarioNoise
{
    /// <summary>Day-to-day wobble of an account's engagement (± half this).</summary>
    public double EngagementDaily { get; init; } = 0.04;

    /// <summary>Share of deliveries the provider sends twice.</summary>
    public double DuplicateDeliveries { get; init; } = 0.02;

    /// <summary>Share of Stripe and Zendesk events held back a step, so they arrive after later ones.</summary>
    public double OutOfOrderDeliveries { get; init; } = 0.03;

    /// <summary>Share of people whose first product events arrive before analytics links them to their account.</summary>
    public double EventsBeforeLink { get; init; } = 0.06;
}
