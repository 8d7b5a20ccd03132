namespace CustomerSuccess.Functions.Alerts;

/// <summary>
/// Who is on call at an instant. Pure. Shifts last a week and change at the handover time on the rota's local
/// wall clock (so a DST change does not move the handover); an override covering the local date wins.
/// Time zones are IANA ids, resolved from the system's zoneinfo (works with InvariantGlobalization).
/// </summary>
public static class OnCallRota
{
    public static string? OnCall(OnCallRotaOptions rota, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rota);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(rota.TimeZone);
        var local = TimeZoneInfo.ConvertTime(now, zone).DateTime;

        // A day's override applies from that day's handover to the next day's handover, like a shift.
        var shiftDate = DateOnly.FromDateTime(local);
        if (TimeOnly.FromDateTime(local) < rota.HandoverTime)
        {
            shiftDate = shiftDate.AddDays(-1);
        }

        foreach (var o in rota.Overrides)
        {
            if (shiftDate >= o.From && shiftDate <= o.To && !string.IsNullOrWhiteSpace(o.Email))
            {
                return o.Email;
            }
        }

        if (rota.Members.Count == 0)
        {
            return null;
        }

        var days = shiftDate.DayNumber - rota.StartDate.DayNumber;
        var week = (int)Math.Floor(days / 7.0);
        var index = ((week % rota.Members.Count) + rota.Members.Count) % rota.Members.Count;
        return rota.Members[index];
    }

    /// <summary>Whether <paramref name="now"/> falls in working hours in the given IANA time zone.</summary>
    public static bool IsWorkingTime(WorkingHoursOptions hours, string timeZone, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(hours);
        var local = TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(timeZone)).DateTime;
        var time = TimeOnly.FromDateTime(local);
        return hours.Days.Contains(local.DayOfWeek) && time >= hours.Start && time < hours.End;
    }
}

/// <summary>The people one alert notification goes to.</summary>
public sealed record AlertRecipients(string To, IReadOnlyList<string> Cc, bool ViaOnCall);

/// <summary>
/// Picks recipients: the account's assigned CSM (from account data, else configuration); the on-call CSM when
/// there is none, or when a Critical alert arrives out of the CSM's hours. Critical copies the escalation contact;
/// an overdue Critical goes to the escalation contact directly. An Opportunity goes to the account's CSM alone, never
/// to on-call or the escalation contact: null when the account has no CSM. Pure.
/// </summary>
public static class AlertRecipientSelector
{
    public static AlertRecipients? Select(Alert alert, AlertChangeKind kind, AlertsOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(options);

        if (alert.Tier == AlertTier.Opportunity)
        {
            // The account owner's to work with sales; nobody on call has anything to save.
            var owner = !string.IsNullOrWhiteSpace(alert.CsmEmail) ? alert.CsmEmail : options.AccountCsms.GetValueOrDefault(alert.AccountId);
            return string.IsNullOrWhiteSpace(owner) ? null : new AlertRecipients(owner, [], ViaOnCall: false);
        }

        if (kind == AlertChangeKind.EscalateToContact)
        {
            return new AlertRecipients(options.EscalationContact, [], ViaOnCall: false);
        }

        var csm = !string.IsNullOrWhiteSpace(alert.CsmEmail)
            ? alert.CsmEmail
            : options.AccountCsms.GetValueOrDefault(alert.AccountId);

        var useOnCall = string.IsNullOrWhiteSpace(csm);
        if (!useOnCall && alert.Tier == AlertTier.Critical)
        {
            var zone = options.CsmTimeZones.GetValueOrDefault(csm!) ?? options.WorkingHours.TimeZone;
            useOnCall = !OnCallRota.IsWorkingTime(options.WorkingHours, zone, now);
        }

        var to = useOnCall ? OnCallRota.OnCall(options.Rota, now) ?? csm : csm;
        if (string.IsNullOrWhiteSpace(to))
        {
            to = options.EscalationContact;
        }

        IReadOnlyList<string> cc = alert.Tier == AlertTier.Critical
            && !string.Equals(to, options.EscalationContact, StringComparison.OrdinalIgnoreCase)
            ? [options.EscalationContact]
            : [];
        return new AlertRecipients(to!, cc, useOnCall);
    }
}

/// <summary>Which queue carries each tier.</summary>
public static class AlertTierRouter
{
    public const string WatchQueue = "alerts-watch";
    public const string WarningQueue = "alerts-warning";
    public const string CriticalQueue = "alerts-critical";
    public const string OpportunityQueue = "alerts-opportunity";

    public static string QueueFor(AlertTier tier) => tier switch
    {
        AlertTier.Opportunity => OpportunityQueue,
        AlertTier.Watch => WatchQueue,
        AlertTier.Warning => WarningQueue,
        AlertTier.Critical => CriticalQueue,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown tier."),
    };
}
