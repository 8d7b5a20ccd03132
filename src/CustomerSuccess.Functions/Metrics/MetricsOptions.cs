using System.Globalization;
using CustomerSuccess.Functions.Health;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Metrics;

/// <summary>The targets the CS metrics measure against, section "Metrics" (e.g. <c>Metrics__OnboardingTargetDays=30</c>).</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>Days from contract start by which onboarding should be complete (first value realized in days 14-30 of onboarding).</summary>
    public int OnboardingTargetDays { get; set; } = 30;

    /// <summary>Days between QBRs: quarterly, on a calendar cadence.</summary>
    public int QbrCadenceDays { get; set; } = 91;

    /// <summary>The smallest segment that gets QBRs; below it accounts are tech-touch (no QBR is due from them).</summary>
    public AccountSegment QbrMinSegment { get; set; } = AccountSegment.MidMarket;
}

internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.OnboardingTargetDays is < 1 or > 365)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{MetricsOptions.SectionName}:OnboardingTargetDays is {options.OnboardingTargetDays}; it must be between 1 and 365."));
        }

        if (options.QbrCadenceDays is < 7 or > 366)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{MetricsOptions.SectionName}:QbrCadenceDays is {options.QbrCadenceDays}; it must be between 7 and 366."));
        }

        if (!Enum.IsDefined(options.QbrMinSegment))
        {
            failures.Add($"{MetricsOptions.SectionName}:QbrMinSegment must be one of {string.Join(", ", Enum.GetNames<AccountSegment>())}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
