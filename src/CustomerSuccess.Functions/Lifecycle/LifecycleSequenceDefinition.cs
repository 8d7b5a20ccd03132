namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>What puts an account into a sequence (evaluated on its facts at each scan).</summary>
public enum LifecycleEntryTrigger
{
    /// <summary>A subscription started (<see cref="LifecycleAccountFacts.CustomerSince"/>).</summary>
    SubscriptionStarted,

    /// <summary>Key-feature adoption below the threshold once the account is old enough.</summary>
    LowAdoption,

    /// <summary>The renewal date is within <see cref="LifecycleSequenceDefinition.EntryDays"/> days.</summary>
    RenewalApproaching,

    /// <summary>The health band dropped to Yellow.</summary>
    BandDroppedToYellow,

    /// <summary>The subscription was cancelled.</summary>
    SubscriptionCancelled,
}

/// <summary>Conditions that end an enrollment; checked at each scan and again right before every send.</summary>
public enum LifecycleExitCondition
{
    OnboardingCompleted,
    Churned,
    AdoptionAboveThreshold,
    Renewed,
    Cancelled,
    BandRecovered,
    Reactivated,
}

/// <summary>Extra condition a step needs on its due day; a step whose condition does not hold is skipped, not delayed.</summary>
public enum LifecycleStepCondition
{
    Always,
    NotActivated,
    FewerActiveUsersThan,
    FirstValueReached,
}

/// <summary>One sequence as configuration: CS operations change delays, conditions and order without code.</summary>
public sealed class LifecycleSequenceDefinition
{
    public string Name { get; set; } = string.Empty;

    /// <summary>Lower goes first when several sequences have an email due for the same contact.</summary>
    public int Priority { get; set; }

    public LifecycleEntryTrigger Entry { get; set; }

    /// <summary>Days parameter of the entry: account age for LowAdoption (60), days before renewal for RenewalApproaching (90).</summary>
    public int EntryDays { get; set; }

    public List<LifecycleExitCondition> ExitWhen { get; set; } = [];

    public List<LifecycleStepDefinition> Steps { get; set; } = [];
}

public sealed class LifecycleStepDefinition
{
    /// <summary>Step name; also the template file name (Templates/{sequence}/{step}.*).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Days after enrollment the step is due.</summary>
    public int DelayDays { get; set; }

    /// <summary>When set, the step is due this many days before the renewal date instead.</summary>
    public int? DaysBeforeRenewal { get; set; }

    public LifecycleStepCondition When { get; set; } = LifecycleStepCondition.Always;

    /// <summary>Parameter of <see cref="When"/> (e.g. 3 for FewerActiveUsersThan).</summary>
    public int Threshold { get; set; }

    /// <summary>Repeat the step every so many days (0 = once).</summary>
    public int RepeatEveryDays { get; set; }

    /// <summary>How many times at most the step is sent.</summary>
    public int MaxSends { get; set; } = 1;
}

/// <summary>The sequences of the tech-touch issue, used when configuration names none.</summary>
public static class LifecycleSequences
{
    public const string Onboarding = "onboarding";
    public const string Adoption = "adoption";
    public const string Renewal = "renewal";
    public const string AtRisk = "at-risk";
    public const string WinBack = "win-back";

    public static IReadOnlyList<LifecycleSequenceDefinition> Defaults { get; } =
    [
        new()
        {
            Name = AtRisk,
            Priority = 1,
            Entry = LifecycleEntryTrigger.BandDroppedToYellow,
            ExitWhen = [LifecycleExitCondition.BandRecovered, LifecycleExitCondition.Churned],
            Steps = [new() { Name = "check-in", DelayDays = 0 }],
        },
        new()
        {
            Name = Renewal,
            Priority = 2,
            Entry = LifecycleEntryTrigger.RenewalApproaching,
            EntryDays = 90,
            ExitWhen = [LifecycleExitCondition.Renewed, LifecycleExitCondition.Cancelled],
            Steps =
            [
                new() { Name = "value-recap", DaysBeforeRenewal = 90 },
                new() { Name = "reminder-60", DaysBeforeRenewal = 60 },
                new() { Name = "reminder-30", DaysBeforeRenewal = 30 },
            ],
        },
        new()
        {
            Name = Onboarding,
            Priority = 3,
            Entry = LifecycleEntryTrigger.SubscriptionStarted,
            ExitWhen = [LifecycleExitCondition.OnboardingCompleted, LifecycleExitCondition.Churned],
            Steps =
            [
                new() { Name = "welcome", DelayDays = 0 },
                new() { Name = "setup-nudge", DelayDays = 3, When = LifecycleStepCondition.NotActivated },
                new() { Name = "invite-team", DelayDays = 10, When = LifecycleStepCondition.FewerActiveUsersThan, Threshold = 3 },
                new() { Name = "first-value", DelayDays = 0, When = LifecycleStepCondition.FirstValueReached },
            ],
        },
        new()
        {
            Name = WinBack,
            Priority = 4,
            Entry = LifecycleEntryTrigger.SubscriptionCancelled,
            ExitWhen = [LifecycleExitCondition.Reactivated],
            Steps =
            [
                new() { Name = "day-14", DelayDays = 14 },
                new() { Name = "day-45", DelayDays = 45 },
            ],
        },
        new()
        {
            Name = Adoption,
            Priority = 5,
            Entry = LifecycleEntryTrigger.LowAdoption,
            EntryDays = 60,
            ExitWhen = [LifecycleExitCondition.AdoptionAboveThreshold, LifecycleExitCondition.Churned],
            Steps = [new() { Name = "feature-spotlight", DelayDays = 0, RepeatEveryDays = 14, MaxSends = 3 }],
        },
    ];
}
