using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// The sequences as a pure function: (account facts, one contact's enrollments, now) → new enrollments, exits, due steps. No
/// storage, no clock of its own; the scan and the send processor call it, the latter again right before a send
/// (<see cref="CheckBeforeSend"/>) so a customer who re-engaged in between never gets the next nudge.
/// </summary>
public sealed class LifecycleSequenceEngine
{
    private readonly IReadOnlyList<LifecycleSequenceDefinition> _sequences;
    private readonly LifecycleOptions _options;

    public LifecycleSequenceEngine(LifecycleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _sequences = options.Sequences.Count > 0 ? options.Sequences : LifecycleSequences.Defaults;
    }

    public IReadOnlyList<LifecycleSequenceDefinition> Sequences => _sequences;

    public LifecycleSequenceDefinition? Find(string sequence) =>
        _sequences.FirstOrDefault(s => string.Equals(s.Name, sequence, StringComparison.Ordinal));

    /// <summary>
    /// Whether the account is in a tech-touch segment. The segment comes from MRR, so it is known only once billing has
    /// told the app of a subscription: an account whose subscription is not known yet (its Stripe customer not linked,
    /// its subscription event still on its way) has MRR 0 and would look like the smallest tier, whatever it buys.
    /// </summary>
    private bool IsTechTouch(LifecycleAccountFacts facts) =>
        facts.SubscriptionStatus is not null && _options.TechTouchSegments.Contains(facts.Segment);

    public LifecycleEvaluation Evaluate(LifecycleAccountFacts facts, string contactId, IReadOnlyList<LifecycleEnrollment> enrollments, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(enrollments);
        var added = new List<LifecycleEnrollment>();
        var exits = new List<LifecycleExit>();
        var due = new List<LifecycleDueStep>();
        var skipped = new List<LifecycleDueStep>();
        var techTouch = IsTechTouch(facts);

        foreach (var sequence in _sequences)
        {
            var mine = enrollments.Where(e => e.AccountId == facts.AccountId && e.ContactId == contactId && e.Sequence == sequence.Name).ToList();
            var active = mine.FirstOrDefault(e => e.Active);
            if (active is null && techTouch && TryEnroll(sequence, facts, contactId, now, out var candidate) && !mine.Any(e => e.EnrollmentKey == candidate.EnrollmentKey))
            {
                active = candidate;
                added.Add(candidate);
            }

            if (active is null)
            {
                continue;
            }

            var exitReason = techTouch ? ExitReason(sequence, facts, active) : "not in a tech-touch segment";
            if (exitReason is not null)
            {
                exits.Add(new LifecycleExit(active, exitReason));
                continue;
            }

            var dueHere = new List<(LifecycleStepDefinition Step, LifecycleDueStep Due)>();
            foreach (var step in sequence.Steps)
            {
                var taken = active.StepOccurrences.TryGetValue(step.Name, out var n) ? n : 0;
                if (taken >= Math.Max(1, step.MaxSends))
                {
                    continue;
                }

                var dueAt = DueAt(step, facts, active, taken);
                if (dueAt is null || dueAt > now)
                {
                    continue;
                }

                var item = new LifecycleDueStep(facts.AccountId, contactId, sequence.Name, step.Name, active.EnrollmentKey, taken, dueAt.Value, sequence.Priority);
                if (ConditionHolds(step, facts))
                {
                    dueHere.Add((step, item));
                }
                else
                {
                    skipped.Add(item);
                }
            }

            // A countdown step overtaken by a later one (enrolled late, or held back by caps) is dropped, not sent out of date.
            var latestCountdown = dueHere.Where(d => d.Step.DaysBeforeRenewal is not null).Select(d => d.Step.DaysBeforeRenewal).DefaultIfEmpty(null).Min();
            foreach (var (step, item) in dueHere)
            {
                if (step.DaysBeforeRenewal is { } days && days > latestCountdown)
                {
                    skipped.Add(item);
                }
                else
                {
                    due.Add(item);
                }
            }
        }

        return new LifecycleEvaluation(added, exits, [.. due.OrderBy(d => d.Priority).ThenBy(d => d.DueAt)], skipped);
    }

    /// <summary>Null when the step may go out now; otherwise why not (an exit, or the step's condition no longer holds).</summary>
    public string? CheckBeforeSend(LifecycleAccountFacts facts, LifecycleEnrollment enrollment, string stepName)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(enrollment);
        var sequence = Find(enrollment.Sequence);
        var step = sequence?.Steps.FirstOrDefault(s => s.Name == stepName);
        if (sequence is null || step is null)
        {
            return "sequence or step no longer configured";
        }

        if (!enrollment.Active)
        {
            return "enrollment exited: " + enrollment.ExitReason;
        }

        if (!IsTechTouch(facts))
        {
            return "not in a tech-touch segment";
        }

        return ExitReason(sequence, facts, enrollment) ?? (ConditionHolds(step, facts) ? null : "step condition no longer holds");
    }

    private bool TryEnroll(LifecycleSequenceDefinition sequence, LifecycleAccountFacts facts, string contactId, DateTimeOffset now, out LifecycleEnrollment enrollment)
    {
        enrollment = null!;
        DateTimeOffset? at = null;
        string? key = null;
        DateTimeOffset? renewal = null;
        switch (sequence.Entry)
        {
            case LifecycleEntryTrigger.SubscriptionStarted when facts.CustomerSince is { } since && !facts.IsCancelled
                && since <= now && now - since <= TimeSpan.FromDays(_options.OnboardingEnrollWithinDays):
                at = since;
                key = DayKey(since);
                break;
            case LifecycleEntryTrigger.LowAdoption when facts.CustomerSince is { } since && !facts.IsCancelled
                && now - since >= TimeSpan.FromDays(sequence.EntryDays) && facts.KeyFeatureAdoption < _options.AdoptionThreshold:
                at = now;
                key = "first";
                break;
            // Only terms longer than the entry window: with monthly billing every period end is "within 90 days".
            case LifecycleEntryTrigger.RenewalApproaching when facts.RenewalDate is { } renews && !facts.IsCancelled && !facts.CancelAtPeriodEnd
                && (facts.BillingPeriodDays is not { } term || term > sequence.EntryDays)
                && renews > now && renews - now <= TimeSpan.FromDays(sequence.EntryDays):
                at = now;
                key = DayKey(renews);
                renewal = renews;
                break;
            case LifecycleEntryTrigger.BandDroppedToYellow when facts.Band == HealthBand.Yellow && facts.PreviousBand is HealthBand.Green or null && !facts.IsCancelled:
                at = facts.BandSince is { } s && s <= now ? s : now;
                key = DayKey(at.Value);
                break;
            case LifecycleEntryTrigger.SubscriptionCancelled when facts.IsCancelled:
                at = facts.ChurnedAt is { } c && c <= now ? c : now;
                key = DayKey(at.Value);
                break;
        }

        if (at is null || key is null)
        {
            return false;
        }

        enrollment = new LifecycleEnrollment
        {
            AccountId = facts.AccountId,
            ContactId = contactId,
            Sequence = sequence.Name,
            EnrollmentKey = key,
            EnrolledAt = at.Value,
            RenewalDate = renewal,
        };
        return true;
    }

    private string? ExitReason(LifecycleSequenceDefinition sequence, LifecycleAccountFacts facts, LifecycleEnrollment enrollment)
    {
        foreach (var exit in sequence.ExitWhen)
        {
            var met = exit switch
            {
                LifecycleExitCondition.OnboardingCompleted => facts.OnboardingCompleted,
                LifecycleExitCondition.Churned => facts.IsCancelled,
                LifecycleExitCondition.AdoptionAboveThreshold => facts.KeyFeatureAdoption >= _options.AdoptionThreshold,
                LifecycleExitCondition.Renewed => facts.RenewalDate is { } r && enrollment.RenewalDate is { } was && r > was.AddDays(1),
                LifecycleExitCondition.Cancelled => facts.IsCancelled || facts.CancelAtPeriodEnd,
                LifecycleExitCondition.BandRecovered => facts.Band == HealthBand.Green,
                LifecycleExitCondition.Reactivated => facts.SubscriptionStatus is "active" or "trialing",
                _ => false,
            };
            if (met)
            {
                return exit.ToString();
            }
        }

        return null;
    }

    private static DateTimeOffset? DueAt(LifecycleStepDefinition step, LifecycleAccountFacts facts, LifecycleEnrollment enrollment, int occurrence)
    {
        DateTimeOffset due;
        if (step.DaysBeforeRenewal is { } before)
        {
            var renewal = enrollment.RenewalDate ?? facts.RenewalDate;
            if (renewal is null)
            {
                return null;
            }

            due = renewal.Value.AddDays(-before);
        }
        else
        {
            due = enrollment.EnrolledAt.AddDays(step.DelayDays + (occurrence * step.RepeatEveryDays));
        }

        if (step.When == LifecycleStepCondition.FirstValueReached)
        {
            if (facts.FirstValueAt is not { } reached)
            {
                return null;
            }

            due = reached > due ? reached : due;
        }

        return due;
    }

    private static bool ConditionHolds(LifecycleStepDefinition step, LifecycleAccountFacts facts) => step.When switch
    {
        LifecycleStepCondition.NotActivated => !facts.Activated,
        LifecycleStepCondition.FewerActiveUsersThan => facts.ActiveUsers30d < step.Threshold,
        LifecycleStepCondition.FirstValueReached => facts.FirstValueAt is not null,
        _ => true,
    };

    private static string DayKey(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}

/// <summary>Deterministic send ids: the same step occurrence for the same contact is always the same ACS operation.</summary>
public static class LifecycleSendId
{
    public static string For(string accountId, string sequence, string step, string enrollmentKey, int occurrence, string contactId)
    {
        var text = string.Join('\n', "lifecycle", accountId, sequence, step, enrollmentKey, occurrence.ToString(CultureInfo.InvariantCulture), contactId);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return new Guid(hash.AsSpan(0, 16)).ToString("D");
    }
}
