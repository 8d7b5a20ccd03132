using System.Globalization;
using CustomerSuccess.Functions.Alerts;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>
/// The playbooks CSMs work from, section "Playbooks". <see cref="Playbooks"/> holds what a deployment configures, by
/// playbook id (e.g. <c>Playbooks__Playbooks__expansion__Steps__0__Name=...</c>); a configured playbook replaces the
/// default of the same id as a whole (<see cref="PlaybookCatalog"/>), so the defaults are never merged item by item.
/// </summary>
public sealed class PlaybooksOptions
{
    public const string SectionName = "Playbooks";

    /// <summary>
    /// Accounts whose ARR (whole dollars, from MRR) is below this get no human tasks: they are tech-touch, and the
    /// lifecycle emails are their tasks ("SMB / Long Tail | &lt;$20K | Tech-touch: automated email"). 0 gives every
    /// account tasks. An account whose revenue is not known yet gets tasks: no risk is left unowned for lack of data.
    /// </summary>
    public long TechTouchMaxArr { get; set; } = 20_000;

    /// <summary>
    /// Whether a step past its due time escalates the task's alert like an alert nobody acknowledged (one tier up, at
    /// Critical to the escalation contact; checked by the <c>PlaybooksEscalate</c> timer every 15 minutes). On by default.
    /// </summary>
    public bool EscalateOverdueSteps { get; set; } = true;

    /// <summary>Configured playbooks by id; each replaces the default of that id (see <see cref="PlaybookCatalog.Defaults"/>).</summary>
    public Dictionary<string, PlaybookOptions> Playbooks { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One playbook: the alert rules that open it, and its steps with their due offsets from the trigger.</summary>
public sealed class PlaybookOptions
{
    public string Title { get; set; } = string.Empty;

    /// <summary>Alert rule ids (<see cref="AlertRules"/>) whose alerts open this playbook. Empty switches it off.</summary>
    public List<string> Rules { get; set; } = [];

    /// <summary>Only for an account still onboarding; such a playbook takes precedence over one without for the same rule.</summary>
    public bool WhileOnboarding { get; set; }

    public List<PlaybookStepOptions> Steps { get; set; } = [];
}

/// <summary>A step and when it is due, counted from the trigger (the raise of the alert that opened the task).</summary>
public sealed class PlaybookStepOptions
{
    public string Name { get; set; } = string.Empty;

    public TimeSpan DueAfter { get; set; }
}

/// <summary>Refuses unusable playbooks at start, naming the setting.</summary>
public sealed class PlaybooksOptionsValidator : IValidateOptions<PlaybooksOptions>
{
    public ValidateOptionsResult Validate(string? name, PlaybooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.TechTouchMaxArr < 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{PlaybooksOptions.SectionName}:TechTouchMaxArr is {options.TechTouchMaxArr}; it must not be negative."));
        }

        var catalog = PlaybookCatalog.From(options);
        var claimed = new Dictionary<(string Rule, bool Onboarding), string>();
        foreach (var playbook in catalog.All)
        {
            var setting = $"{PlaybooksOptions.SectionName}:Playbooks:{playbook.Id}";
            if (string.IsNullOrWhiteSpace(playbook.Title))
            {
                failures.Add($"{setting}:Title is empty.");
            }

            if (playbook.Rules.Count > 0 && playbook.Steps.Count == 0)
            {
                failures.Add($"{setting}:Steps is empty; a playbook that opens tasks needs at least one step.");
            }

            for (var i = 0; i < playbook.Steps.Count; i++)
            {
                var step = playbook.Steps[i];
                if (string.IsNullOrWhiteSpace(step.Name))
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting}:Steps:{i}:Name is empty."));
                }

                if (step.DueAfter < TimeSpan.Zero)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting}:Steps:{i}:DueAfter is {step.DueAfter}; it must not be negative."));
                }
            }

            foreach (var rule in playbook.Rules)
            {
                if (!AlertRules.All.Contains(rule, StringComparer.Ordinal))
                {
                    failures.Add($"{setting}:Rules names '{rule}', which is no alert rule (known: {string.Join(", ", AlertRules.All)}).");
                }
                else if (!claimed.TryAdd((rule, playbook.WhileOnboarding), playbook.Id))
                {
                    failures.Add($"{setting}:Rules names '{rule}', which playbook '{claimed[(rule, playbook.WhileOnboarding)]}' already opens{(playbook.WhileOnboarding ? " while onboarding" : string.Empty)}.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
