using System.ComponentModel.DataAnnotations;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>Alert rules, service levels, recipients and links. Section "Alerts".</summary>
public sealed class AlertsOptions
{
    public const string SectionName = "Alerts";

    /// <summary>Days in Yellow after which the band alert becomes a Warning.</summary>
    [Range(1, 365)]
    public int YellowDaysForWarning { get; set; } = 21;

    /// <summary>
    /// An account's first days of scores set its baseline and raise nothing but critical facts (a failed payment, a
    /// dispute, a cancellation notice): 7 by default, the week the health model needs before it reads usage at all.
    /// 0 switches the warm-up off.
    /// </summary>
    [Range(0, 90)]
    public int WarmUpDays { get; set; } = 7;

    /// <summary>Renewal this close while Red is Critical.</summary>
    [Range(1, 730)]
    public int RenewalWindowDays { get; set; } = 90;

    /// <summary>How long after a champion/sponsor departure, a failed payment or a dispute the event still raises.</summary>
    [Range(1, 365)]
    public int EventLookbackDays { get; set; } = 30;

    public TimeSpan WatchDue { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan WarningDue { get; set; } = TimeSpan.FromDays(3);

    public TimeSpan CriticalDue { get; set; } = TimeSpan.FromHours(24);

    /// <summary>When the CSM should have looked at an expansion opportunity ("CSM validates the opportunity is real"
    /// before the hand-off to sales). Shown, never escalated.</summary>
    public TimeSpan OpportunityDue { get; set; } = TimeSpan.FromDays(14);

    /// <summary>After an alert resolves, the same rule does not raise again for the account for this long.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Rule ids switched off (see <see cref="AlertRules"/>).</summary>
    public List<string> DisabledRules { get; set; } = [];

    /// <summary>Receives a copy of every Critical notification and Critical alerts that pass their due time.</summary>
    [Required]
    [EmailAddress]
    public string EscalationContact { get; set; } = string.Empty;

    /// <summary>Base address of the dashboard, for acknowledge and account-health links.</summary>
    [Required]
    [Url]
    public string DashboardBaseUrl { get; set; } = string.Empty;

    /// <summary>Assigned CSM by account id, for accounts whose data names none.</summary>
    public Dictionary<string, string> AccountCsms { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Working hours of CSMs; Critical alerts out of these hours go to the on-call CSM.</summary>
    public WorkingHoursOptions WorkingHours { get; set; } = new();

    /// <summary>Time zone of individual CSMs (IANA id) by email; others use <see cref="WorkingHoursOptions.TimeZone"/>.</summary>
    public Dictionary<string, string> CsmTimeZones { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    [Required]
    public OnCallRotaOptions Rota { get; set; } = new();

    public TimeSpan DueFor(AlertTier tier) => tier switch
    {
        AlertTier.Opportunity => OpportunityDue,
        AlertTier.Watch => WatchDue,
        AlertTier.Warning => WarningDue,
        _ => CriticalDue,
    };

    public bool IsEnabled(string ruleId) => !DisabledRules.Contains(ruleId, StringComparer.Ordinal);
}

public sealed class WorkingHoursOptions
{
    public string TimeZone { get; set; } = "Etc/UTC";

    public TimeOnly Start { get; set; } = new(9, 0);

    public TimeOnly End { get; set; } = new(18, 0);

    public List<DayOfWeek> Days { get; set; } =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];
}

/// <summary>A weekly on-call rotation: shifts change every 7 days at <see cref="HandoverTime"/> in <see cref="TimeZone"/>.</summary>
public sealed class OnCallRotaOptions
{
    /// <summary>IANA time zone in which the rotation and the overrides are reckoned.</summary>
    public string TimeZone { get; set; } = "Etc/UTC";

    /// <summary>Local date on which <see cref="Members"/>[0] takes the first shift.</summary>
    public DateOnly StartDate { get; set; } = new(2026, 1, 5);

    public TimeOnly HandoverTime { get; set; } = new(9, 0);

    /// <summary>CSM emails, in rotation order.</summary>
    public List<string> Members { get; set; } = [];

    /// <summary>Holiday and swap overrides; the first one covering the local date wins.</summary>
    public List<OnCallOverride> Overrides { get; set; } = [];
}

public sealed class OnCallOverride
{
    public DateOnly From { get; set; }

    /// <summary>Last local date covered (inclusive).</summary>
    public DateOnly To { get; set; }

    public string Email { get; set; } = string.Empty;
}
