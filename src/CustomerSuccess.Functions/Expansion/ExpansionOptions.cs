using System.Globalization;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Expansion;

/// <summary>
/// What makes an expansion signal and how an opportunity is sized, section "Expansion" (e.g.
/// <c>Expansion__SeatUtilizationShare=0.8</c>). The defaults follow the seeds where they give a figure: "seat utilization
/// &gt;80%", "Green for at least 60 consecutive days"; where they give none (growth, lookbacks, the seat step) the
/// defaults say so.
/// </summary>
public sealed class ExpansionOptions
{
    public const string SectionName = "Expansion";

    /// <summary>Active people (30 days) above this share of the licensed seats is a signal ("&gt;80% of seats used").</summary>
    public double SeatUtilizationShare { get; set; } = 0.8;

    /// <summary>Days in Green, without a break, that make the sustained-Green signal ("Green for at least 60 consecutive days").</summary>
    public int SustainedGreenDays { get; set; } = 60;

    /// <summary>
    /// Whether sustained Green alone raises an opportunity. Off by default: the seeds use it to qualify an expansion
    /// motion, not to start one, and alone it would name nearly every healthy account; it is reported beside the
    /// demand signals (seats, usage growth, a higher-tier feature, a new team, a champion's new title).
    /// </summary>
    public bool SustainedGreenAlone { get; set; }

    /// <summary>Product events of the last 28 full days up on the 28 before by at least this share (0.2 = 20%; the seeds
    /// draw a decline at 20%, growth is read on the same line).</summary>
    public double UsageGrowthShare { get; set; } = 0.2;

    /// <summary>Product events the earlier 28 days must hold for growth to be read: a handful of events growing is noise.</summary>
    public int UsageGrowthMinEvents { get; set; } = 50;

    /// <summary>A configured higher-tier feature tried this recently is a signal.</summary>
    public int HigherTierLookbackDays { get; set; } = 30;

    /// <summary>People active in a team or department in the last 28 days, none of whom were in the 28 before, that make it
    /// a new team: two, so one person's first login is not an organizational spread.</summary>
    public int NewDepartmentMinActive { get; set; } = 2;

    /// <summary>A champion's title changed this recently is a signal ("Champion promoted (now has budget authority)").</summary>
    public int ChampionTitleChangeLookbackDays { get; set; } = 90;

    /// <summary>The least growth an estimate assumes, as a share of the licensed seats (at least one seat): 0.1, a
    /// conservative step (the seeds give no size).</summary>
    public double EstimateMinSeatGrowthShare { get; set; } = 0.1;
}

/// <summary>Refuses an unusable expansion model at start, naming the setting.</summary>
public sealed class ExpansionOptionsValidator : IValidateOptions<ExpansionOptions>
{
    public ValidateOptionsResult Validate(string? name, ExpansionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Check(string setting, double value, double low, double high)
        {
            if (double.IsNaN(value) || value < low || value > high)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{ExpansionOptions.SectionName}:{setting} is {value}; it must be between {low} and {high}."));
            }
        }

        Check(nameof(ExpansionOptions.SeatUtilizationShare), options.SeatUtilizationShare, 0.05, 2);
        Check(nameof(ExpansionOptions.SustainedGreenDays), options.SustainedGreenDays, 1, 365);
        Check(nameof(ExpansionOptions.UsageGrowthShare), options.UsageGrowthShare, 0.01, 10);
        Check(nameof(ExpansionOptions.UsageGrowthMinEvents), options.UsageGrowthMinEvents, 1, 1_000_000);
        Check(nameof(ExpansionOptions.HigherTierLookbackDays), options.HigherTierLookbackDays, 1, 365);
        Check(nameof(ExpansionOptions.NewDepartmentMinActive), options.NewDepartmentMinActive, 1, 1000);
        Check(nameof(ExpansionOptions.ChampionTitleChangeLookbackDays), options.ChampionTitleChangeLookbackDays, 1, 365);
        Check(nameof(ExpansionOptions.EstimateMinSeatGrowthShare), options.EstimateMinSeatGrowthShare, 0, 10);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
