using CustomerSuccess.Functions.Alerts;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>A playbook in force: its id, title, the alert rules that open it, and its steps.</summary>
public sealed record Playbook(string Id, string Title, IReadOnlyList<string> Rules, bool WhileOnboarding, IReadOnlyList<PlaybookStepOptions> Steps);

/// <summary>
/// The playbooks in force: the defaults, each replaced whole by a configured playbook of the same id, plus any
/// configured playbook of a new id. The defaults follow the seeds' wording and response times where they give them.
/// </summary>
public sealed class PlaybookCatalog
{
    public const string AtRiskSavePlan = "at-risk-save-plan";
    public const string OnboardingStalled = "onboarding-stalled";
    public const string RenewalAtRisk = "renewal-at-risk";
    public const string Expansion = "expansion";
    public const string DetractorFollowUp = "detractor-follow-up";

    private PlaybookCatalog(IReadOnlyList<Playbook> all) => All = all;

    public IReadOnlyList<Playbook> All { get; }

    /// <summary>The default playbooks, by id.</summary>
    public static IReadOnlyDictionary<string, PlaybookOptions> Defaults() => new Dictionary<string, PlaybookOptions>(StringComparer.Ordinal)
    {
        // "Save plan template: root cause analysis, executive alignment, remediation actions, success criteria,
        // go/no-go checkpoint"; Red wants the save plan "within 24 hours", executive engagement "within 48 hours".
        [AtRiskSavePlan] = new()
        {
            Title = "At-risk save plan",
            Rules = [AlertRules.HealthBand, AlertRules.DimensionZero, AlertRules.UsageDecline, AlertRules.LoginDecline, AlertRules.RelationshipLoss, AlertRules.SupportEscalation, AlertRules.PaymentRisk, AlertRules.Cancellation, AlertRules.DataExport, AlertRules.MissedTouchpoints],
            Steps =
            [
                Step("Root cause analysis: what drove the score down?", TimeSpan.FromDays(1)),
                Step("Executive alignment: is there internal will to stay?", TimeSpan.FromDays(2)),
                Step("Remediation actions: concrete steps with owners and dates", TimeSpan.FromDays(7)),
                Step("Success criteria: what does saved look like at 30/60/90 days?", TimeSpan.FromDays(7)),
                Step("Go/no-go checkpoint: if the criteria are not met, prepare a graceful offboarding", TimeSpan.FromDays(90)),
            ],
        },

        // An alert while the account still onboards is onboarding stalling: back to the milestones ("Technical kickoff
        // (Days 1-7)", "First value realization (Days 14-30)").
        [OnboardingStalled] = new()
        {
            Title = "Onboarding stalled",
            WhileOnboarding = true,
            Rules = [AlertRules.HealthBand, AlertRules.DimensionZero, AlertRules.UsageDecline, AlertRules.LoginDecline, AlertRules.MissedTouchpoints],
            Steps =
            [
                Step("Find the blocker: which onboarding milestone is behind, and why", TimeSpan.FromDays(2)),
                Step("Technical setup complete: integrations, SSO, data imports", TimeSpan.FromDays(7)),
                Step("Success plan signed: 3-5 measurable goals with target dates", TimeSpan.FromDays(7)),
                Step("First value: core use case live with real data, 3+ active users beyond the champion", TimeSpan.FromDays(30)),
            ],
        },

        // "Renewal < 90 days + Red health | Save team assembled (CS + Sales + Exec) | Immediately".
        [RenewalAtRisk] = new()
        {
            Title = "Renewal at risk",
            Rules = [AlertRules.RenewalAtRisk, AlertRules.RenewalNotStarted],
            Steps =
            [
                Step("Save team assembled (CS + Sales + Exec)", TimeSpan.Zero),
                Step("Root cause investigation and resolution plan", TimeSpan.FromDays(3)),
                Step("Value recap: ROI delivered against the success plan", TimeSpan.FromDays(7)),
                Step("Executive escalation and intervention: sponsor meeting held", TimeSpan.FromDays(14)),
                Step("Renewal proposal agreed or objections on record", TimeSpan.FromDays(30)),
            ],
        },

        // "Expansion playbook: identify the trigger signal, CSM validates the opportunity is real, warm handoff to
        // AE/AM with context package, joint call".
        [Expansion] = new()
        {
            Title = "Expansion",
            Rules = [AlertRules.ExpansionOpportunity],
            Steps =
            [
                Step("Validate the opportunity is real (not just a data blip)", TimeSpan.FromDays(14)),
                Step("Warm handoff to AE/AM with context package (usage data, stakeholder map, recommended package)", TimeSpan.FromDays(21)),
                Step("Joint call: CSM provides continuity, AE handles commercial", TimeSpan.FromDays(30)),
            ],
        },

        // "Close the loop on every detractor within 5 business days" (7 calendar days hold 5 business days).
        [DetractorFollowUp] = new()
        {
            Title = "Detractor follow-up",
            Rules = [AlertRules.NpsDetractor],
            Steps =
            [
                Step("Call the respondent: understand the score", TimeSpan.FromDays(2)),
                Step("Close the loop: tell them what will change", TimeSpan.FromDays(7)),
                Step("Follow-up action done and confirmed with the customer", TimeSpan.FromDays(30)),
            ],
        },
    };

    public static PlaybookCatalog From(PlaybooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var merged = new Dictionary<string, PlaybookOptions>(Defaults(), StringComparer.Ordinal);
        foreach (var (id, playbook) in options.Playbooks)
        {
            merged[id] = playbook;
        }

        return new PlaybookCatalog([.. merged.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new Playbook(p.Key, p.Value.Title, [.. p.Value.Rules], p.Value.WhileOnboarding, [.. p.Value.Steps]))]);
    }

    /// <summary>The playbook an alert of <paramref name="ruleId"/> opens; one for onboarding accounts wins while the account onboards.</summary>
    public Playbook? For(string ruleId, bool onboarding) =>
        (onboarding ? All.FirstOrDefault(p => p.WhileOnboarding && p.Rules.Contains(ruleId, StringComparer.Ordinal)) : null)
        ?? All.FirstOrDefault(p => !p.WhileOnboarding && p.Rules.Contains(ruleId, StringComparer.Ordinal));

    private static PlaybookStepOptions Step(string name, TimeSpan dueAfter) => new() { Name = name, DueAfter = dueAfter };
}
