using System.Globalization;
using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>
/// Turns an account's current health state into alert changes. Pure: the caller supplies the account's
/// existing alerts (open, acknowledged, or resolved and kept for the cooldown), the options and the time.
/// One alert per account and rule; the same condition never raises twice while its alert is active; a worse
/// tier escalates the active alert, a milder one steps it down and a cleared condition resolves it (both told to the
/// CSM); a re-raise waits for the cooldown. An account's first days of scores (its baseline) raise only critical
/// facts; a churned account raises nothing and its alerts resolve with the note "churned". An expansion opportunity
/// (the caller's <see cref="ExpansionAssessment"/> of the account) is raised once per episode as an Opportunity and
/// resolves when its signals end or no longer pass the value gate; it is never escalated.
/// </summary>
public static class AlertRuleEngine
{
    /// <summary>What a rule says about the account now: the tier it warrants (null = condition clear).</summary>
    public readonly record struct RuleOutcome(AlertTier? Tier, string Reason, string ConditionKey = "", TimeSpan? Due = null, ExpansionOpportunity? Opportunity = null);

    /// <summary>Business days to close the loop on an NPS detractor ("within 5 business days").</summary>
    public const int DetractorBusinessDays = 5;

    /// <summary>The time from <paramref name="now"/> to the same time <paramref name="businessDays"/> weekdays later (Saturdays and Sundays skipped).</summary>
    public static TimeSpan BusinessDays(DateTimeOffset now, int businessDays)
    {
        var due = now;
        for (var left = businessDays; left > 0;)
        {
            due = due.AddDays(1);
            if (due.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                left--;
            }
        }

        return due - now;
    }

    /// <summary>The alert changes for one account's health state, given its existing alerts.</summary>
    /// <param name="state">The account's health state (a transition of the recompute).</param>
    /// <param name="existing">The account's alerts: open, acknowledged, or resolved and kept for the cooldown.</param>
    /// <param name="options">The rules' settings.</param>
    /// <param name="now">The time of the evaluation.</param>
    /// <param name="expansion">The account's expansion assessment as of now; null when it could not be read (the
    /// opportunity rule then neither raises nor resolves anything).</param>
    public static IReadOnlyList<AlertChange> Evaluate(
        HealthTransition state,
        IReadOnlyCollection<Alert> existing,
        AlertsOptions options,
        DateTimeOffset now,
        ExpansionAssessment? expansion = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(options);

        var changes = new List<AlertChange>();
        if (state.Lifecycle == AccountLifecycleState.Churned)
        {
            // The customer is gone: nothing left to save. Win-back (Lifecycle) takes over; every open alert closes.
            foreach (var alert in existing.Where(a => a.IsActive).OrderBy(a => a.RuleId, StringComparer.Ordinal))
            {
                changes.Add(new AlertChange(AlertChangeKind.Clear, alert with
                {
                    Status = AlertStatus.Resolved,
                    ResolvedAt = now,
                    ResolutionNote = ChurnedNote,
                    Version = alert.Version + 1,
                }));
            }

            return changes;
        }

        var warmingUp = IsWarmingUp(state, options);
        foreach (var ruleId in AlertRules.All)
        {
            var current = existing.FirstOrDefault(a => a.RuleId == ruleId);
            if (warmingUp && !AlertRules.IsCriticalFact(ruleId))
            {
                // The baseline is being set: this rule neither raises nor clears anything yet.
                continue;
            }

            if (ruleId == AlertRules.ExpansionOpportunity && expansion is null)
            {
                // Not read this time: an open opportunity stays as it is.
                continue;
            }

            var outcome = options.IsEnabled(ruleId) ? Assess(ruleId, state, options, now, expansion) : default;
            var change = Decide(ruleId, outcome, current, state, options, now);
            if (change is not null)
            {
                changes.Add(change);
            }
        }

        return changes;
    }

    /// <summary>The resolution note of alerts closed because the account churned.</summary>
    public const string ChurnedNote = "churned";

    /// <summary>The resolution note of alerts closed because their condition cleared.</summary>
    public const string ClearedNote = "Condition cleared";

    /// <summary>Within the account's first <see cref="AlertsOptions.WarmUpDays"/> days of scores (its baseline).</summary>
    public static bool IsWarmingUp(HealthTransition state, AlertsOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        return state.FirstScoredOn is { } first
            && DateOnly.FromDateTime(state.ScoredAt.UtcDateTime).DayNumber - first.DayNumber < options.WarmUpDays;
    }

    /// <summary>Appended to the reason of an alert raised one tier because nobody acknowledged it by its due time.</summary>
    public const string OverdueReasonSuffix = " (not acknowledged by its due time)";

    /// <summary>Escalates an alert nobody acknowledged by its due time: one tier up, or at Critical to the escalation contact.</summary>
    public static AlertChange? EscalateIfOverdue(Alert alert, AlertsOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(options);

        // An opportunity left alone is a missed chance, not a risk: nobody is escalated to.
        if (alert.Status != AlertStatus.Open || now < alert.DueBy || !alert.Tier.IsRisk())
        {
            return null;
        }

        if (alert.Tier < AlertTier.Critical)
        {
            var tier = alert.Tier + 1;
            return new AlertChange(AlertChangeKind.Escalate, alert with
            {
                Tier = tier,
                DueBy = now + options.DueFor(tier),
                Version = alert.Version + 1,
                Reason = alert.Reason + OverdueReasonSuffix,
            });
        }

        return alert.EscalatedToContact
            ? null
            : new AlertChange(AlertChangeKind.EscalateToContact, alert with { EscalatedToContact = true, Version = alert.Version + 1 });
    }

    /// <summary>Marks the reason of an alert escalated because a step of its playbook task went overdue.</summary>
    public const string OverdueStepReasonMarker = " (playbook step overdue: ";

    /// <summary>
    /// Escalates an alert whose playbook step passed its due time, as an alert nobody acknowledged by its due time is:
    /// one tier up, reopened for a new acknowledgement with the new tier's due time, or at Critical to the escalation
    /// contact (once). Acknowledged alerts escalate too: acknowledging is not doing the work. An Opportunity never does.
    /// </summary>
    public static AlertChange? EscalateForOverdueStep(Alert alert, string step, AlertsOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(options);
        if (!alert.IsActive || !alert.Tier.IsRisk())
        {
            return null;
        }

        if (alert.Tier < AlertTier.Critical)
        {
            var tier = alert.Tier + 1;
            var marker = alert.Reason.IndexOf(OverdueStepReasonMarker, StringComparison.Ordinal);
            return new AlertChange(AlertChangeKind.Escalate, alert with
            {
                Tier = tier,
                Status = AlertStatus.Open,
                AcknowledgedAt = null,
                AcknowledgedBy = null,
                DueBy = now + options.DueFor(tier),
                Version = alert.Version + 1,
                Reason = (marker < 0 ? alert.Reason : alert.Reason[..marker]) + OverdueStepReasonMarker + step + ")",
            });
        }

        return alert.EscalatedToContact
            ? null
            : new AlertChange(AlertChangeKind.EscalateToContact, alert with { EscalatedToContact = true, Version = alert.Version + 1 });
    }

    /// <summary>The tier one rule warrants for the account's state.</summary>
    public static RuleOutcome Assess(string ruleId, HealthTransition state, AlertsOptions options, DateTimeOffset now, ExpansionAssessment? expansion = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var lookback = TimeSpan.FromDays(options.EventLookbackDays);
        return ruleId switch
        {
            AlertRules.HealthBand => state.Band switch
            {
                HealthBand.Red => new(AlertTier.Critical, "Health band is Red"),
                HealthBand.Yellow when state.DaysInBand >= options.YellowDaysForWarning =>
                    new(AlertTier.Warning, string.Create(CultureInfo.InvariantCulture, $"Yellow for {state.DaysInBand} days")),
                HealthBand.Yellow => new(AlertTier.Watch, "Health band dropped to Yellow"),
                _ => default,
            },
            AlertRules.DimensionZero => ZeroDimensions(state, now, lookback) is { Count: > 0 } zero
                ? new(AlertTier.Warning, "Dimension at 0: " + string.Join(", ", zero))
                : default,
            // "Usage declined 20%+: CSM call + usage review, within 1 week" is the Watch tier's response ("CSM schedules
            // check-in within 7 days"); a Warning is for an account the decline has already taken out of Green. Logins
            // falling with the product events is the same decline: one alert, which names both.
            AlertRules.UsageDecline => UsageDown(state)
                ? DeclineOutcome(state, state.Flags.Contains(HealthFlags.LoginsDownWeekOverWeek)
                    ? "Usage down 20% or more over 2-4 weeks, logins down more than 30% week over week for 2+ weeks"
                    : "Usage down 20% or more over 2-4 weeks")
                : default,
            AlertRules.LoginDecline => state.Flags.Contains(HealthFlags.LoginsDownWeekOverWeek) && !UsageDown(state)
                ? DeclineOutcome(state, "Logins down more than 30% week over week for 2+ weeks")
                : default,
            AlertRules.RelationshipLoss => RecentDeparture(state, now, lookback) is { } left
                ? new(AlertTier.Critical, left == state.ChampionLeftAt ? "Champion left" : "Executive sponsor left", Key(left))
                : default,
            AlertRules.SupportEscalation => state.OpenUrgentTickets > 0 || state.OpenComplaints > 0
                ? new(AlertTier.Critical, string.Create(CultureInfo.InvariantCulture, $"{state.OpenUrgentTickets} urgent ticket(s), {state.OpenComplaints} formal complaint(s) open"))
                : default,
            AlertRules.PaymentRisk => Latest(Recent(state.LastPaymentFailedAt, now, lookback), Recent(state.LastDisputeOpenedAt, now, lookback)) is { } at
                ? new(AlertTier.Critical, at == state.LastDisputeOpenedAt ? "Payment dispute opened" : "Payment failed", Key(at))
                : default,
            AlertRules.Cancellation => state.Lifecycle == AccountLifecycleState.Cancelling
                ? new(AlertTier.Critical, state.CancelsAt is { } ends
                    ? string.Create(CultureInfo.InvariantCulture, $"Cancellation notice: save the account before the period ends on {ends:yyyy-MM-dd}")
                    : "Cancellation notice: save the account before the period ends", state.CancelsAt is { } key ? Key(key) : "notice")
                : default,
            AlertRules.NpsDetractor => state.LastNpsScore is int nps and <= 6 && Recent(state.LastNpsAt, now, lookback) is { } answered
                ? new(AlertTier.Warning, string.Create(CultureInfo.InvariantCulture, $"NPS detractor ({nps}): close the loop within {DetractorBusinessDays} business days"), Key(answered), BusinessDays(now, DetractorBusinessDays))
                : default,
            AlertRules.DataExport => Recent(state.DataExportRequestedAt, now, lookback) is { } asked
                ? new(AlertTier.Warning, "Data export requested", Key(asked))
                : default,
            AlertRules.RenewalAtRisk => state.Band == HealthBand.Red && state.RenewalDate is { } renewal
                && renewal >= now && renewal - now <= TimeSpan.FromDays(options.RenewalWindowDays)
                ? new(AlertTier.Critical, string.Create(CultureInfo.InvariantCulture, $"Renewal on {renewal:yyyy-MM-dd} while Red"), Key(renewal))
                : default,
            AlertRules.RenewalNotStarted => state.Flags.Contains(HealthFlags.RenewalNotStarted) && state.RenewalDate is { } due
                ? new(AlertTier.Warning, string.Create(CultureInfo.InvariantCulture, $"Renewal on {due:yyyy-MM-dd} ({Math.Max(0, (int)Math.Ceiling((due - now).TotalDays))} days away) and no renewal meeting or QBR held since {(state.LastRenewalConversationAt is { } talked ? $"{talked:yyyy-MM-dd}" : "records began")}: start the renewal conversation"), Key(due))
                : default,
            AlertRules.MissedTouchpoints => state.Flags.Contains(HealthFlags.MissedTouchpoints) && state.MissedMeetingsInRow is int missed
                ? new(AlertTier.Warning, string.Create(CultureInfo.InvariantCulture, $"Missed {missed} booked CSM meetings in a row{(state.LastMeetingMissedAt is { } last ? $", the latest on {last:yyyy-MM-dd}" : string.Empty)}"), state.LastMeetingMissedAt is { } lastKey ? Key(lastKey) : "missed")
                : default,
            AlertRules.ExpansionOpportunity => expansion?.Opportunity is { } opportunity
                ? new(AlertTier.Opportunity, opportunity.Reason, Opportunity: opportunity)
                : default,
            _ => throw new ArgumentOutOfRangeException(nameof(ruleId), ruleId, "Unknown alert rule."),
        };
    }

    private static AlertChange? Decide(string ruleId, RuleOutcome outcome, Alert? current, HealthTransition state, AlertsOptions options, DateTimeOffset now)
    {
        if (current is { IsActive: true })
        {
            if (outcome.Tier is not { } tier)
            {
                // The condition eased away: resolved, and the CSM is told (daily digest).
                return new AlertChange(AlertChangeKind.Clear, current with
                {
                    Status = AlertStatus.Resolved,
                    ResolvedAt = now,
                    ResolutionNote = ClearedNote,
                    Version = current.Version + 1,
                });
            }

            if (tier > current.Tier)
            {
                // A worse tier needs fresh attention: reopen, new due time, a new notification version.
                return new AlertChange(AlertChangeKind.Escalate, current with
                {
                    Tier = tier,
                    RuleTier = tier,
                    Status = AlertStatus.Open,
                    AcknowledgedAt = null,
                    AcknowledgedBy = null,
                    DueBy = now + (outcome.Due ?? options.DueFor(tier)),
                    Version = current.Version + 1,
                    Reason = outcome.Reason,
                    ConditionKey = outcome.ConditionKey,
                    Drivers = state.Drivers,
                });
            }

            if (tier < (current.RuleTier ?? current.Tier))
            {
                // Milder than the rule last said (not merely below a tier it was raised to for being overdue): step
                // down, with the milder tier's time to respond if nobody has acknowledged it yet; the CSM is told.
                return new AlertChange(AlertChangeKind.StepDown, current with
                {
                    Tier = tier,
                    RuleTier = tier,
                    DueBy = current.Status == AlertStatus.Open ? now + options.DueFor(tier) : current.DueBy,
                    Version = current.Version + 1,
                    Reason = outcome.Reason,
                    Drivers = state.Drivers,
                });
            }

            // The same condition: no new alert.
            return null;
        }

        if (outcome.Tier is not { } raiseTier)
        {
            return null;
        }

        // Watch marks the drop from Green: an account first scored Yellow, or climbing out of Red, is not news.
        if (ruleId == AlertRules.HealthBand && raiseTier == AlertTier.Watch && state.PreviousBand is not HealthBand.Green)
        {
            return null;
        }

        if (current is not null)
        {
            if (outcome.ConditionKey.Length > 0 && outcome.ConditionKey == current.ConditionKey)
            {
                return null;
            }

            if (current.ResolvedAt is { } resolvedAt && now - resolvedAt < options.Cooldown)
            {
                return null;
            }
        }

        return new AlertChange(AlertChangeKind.Raise, new Alert
        {
            AccountId = state.AccountId,
            RuleId = ruleId,
            Occurrence = (current?.Occurrence ?? 0) + 1,
            Tier = raiseTier,
            RuleTier = raiseTier,
            Status = AlertStatus.Open,
            RaisedAt = now,
            DueBy = now + (outcome.Due ?? options.DueFor(raiseTier)),
            Version = 1,
            ConditionKey = outcome.ConditionKey,
            Reason = outcome.Reason,
            AccountName = state.AccountName,
            CsmEmail = state.CsmEmail,
            Drivers = state.Drivers,
            Opportunity = outcome.Opportunity,
            ETag = current?.ETag,
        });
    }

    private static bool UsageDown(HealthTransition state) =>
        state.Flags.Contains(HealthFlags.UsageDown2Weeks) || state.Flags.Contains(HealthFlags.UsageDown4Weeks);

    private static RuleOutcome DeclineOutcome(HealthTransition state, string reason) => state.Band == HealthBand.Green
        ? new(AlertTier.Watch, reason + ", still Green: usage review within a week")
        : new(AlertTier.Warning, reason);

    /// <summary>
    /// The dimensions at 0 that no other rule speaks for: Payment never (every way to a zero is a failed payment, a
    /// dispute, past-due billing or a cancellation, each with its own Critical rule); Relationship not while a champion
    /// or sponsor departure is recent (relationship-loss is raised for it); and neither Relationship nor Engagement for
    /// tech-touch SMB, where the coverage model expects no CSM meetings or executive sponsor (they weigh 5% there).
    /// </summary>
    private static List<string> ZeroDimensions(HealthTransition state, DateTimeOffset now, TimeSpan lookback)
    {
        var names = ZeroDimensionNames(state);
        names.Remove(nameof(HealthDimension.Payment));
        if (state.Segment == AccountSegment.Smb)
        {
            names.Remove(nameof(HealthDimension.Relationship));
            names.Remove(nameof(HealthDimension.Engagement));
        }
        else if (RecentDeparture(state, now, lookback) is not null)
        {
            names.Remove(nameof(HealthDimension.Relationship));
        }

        return names;
    }

    /// <summary>The latest champion or executive sponsor departure inside the lookback, if any.</summary>
    private static DateTimeOffset? RecentDeparture(HealthTransition state, DateTimeOffset now, TimeSpan lookback) =>
        Latest(Recent(state.ChampionLeftAt, now, lookback), Recent(state.ExecutiveSponsorLeftAt, now, lookback));

    private static List<string> ZeroDimensionNames(HealthTransition state)
    {
        var names = state.Dimensions.Where(d => d.Value <= 0).Select(d => d.Key.ToString()).ToList();
        foreach (var flag in state.Flags)
        {
            if (flag.StartsWith(HealthFlags.DimensionZeroPrefix, StringComparison.Ordinal))
            {
                var name = flag[HealthFlags.DimensionZeroPrefix.Length..];
                if (!names.Contains(name, StringComparer.Ordinal))
                {
                    names.Add(name);
                }
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static DateTimeOffset? Recent(DateTimeOffset? at, DateTimeOffset now, TimeSpan lookback) =>
        at is { } t && t <= now && now - t <= lookback ? t : null;

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : (a > b ? a : b);

    private static string Key(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddTHHmmssZ", CultureInfo.InvariantCulture);
}
