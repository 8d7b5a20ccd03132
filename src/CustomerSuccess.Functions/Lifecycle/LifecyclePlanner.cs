namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>A contact's lifecycle mail state across all sequences.</summary>
public sealed record LifecycleContactState(string ContactId, DateTimeOffset? LastSentAt = null, bool Suppressed = false, string? SuppressedReason = null);

/// <summary>One email to queue: the deterministic send id is the ACS operation id.</summary>
public sealed record LifecycleSend(string SendId, LifecycleContact Contact, LifecycleDueStep Step);

/// <summary>What one scan decided for one account: the enrollments to write back and the sends to queue.</summary>
public sealed record LifecyclePlan(IReadOnlyList<LifecycleEnrollment> Enrollments, IReadOnlyList<LifecycleSend> Sends, IReadOnlyList<LifecycleExit> Exits, IReadOnlyList<(string ContactId, string Reason, DateTimeOffset? NotBefore)> Deferred);

/// <summary>
/// One scan of one account, pure: runs the engine per contact, applies suppression and the per-contact cap, and
/// marks queued and skipped step occurrences as taken so the next scan does not queue them again.
/// </summary>
public sealed class LifecyclePlanner
{
    private readonly LifecycleSequenceEngine _engine;
    private readonly SendCapPolicy _caps;

    public LifecyclePlanner(LifecycleSequenceEngine engine, SendCapPolicy caps)
    {
        _engine = engine;
        _caps = caps;
    }

    public LifecyclePlan Plan(LifecycleAccountFacts facts, IReadOnlyList<LifecycleEnrollment> enrollments, IReadOnlyDictionary<string, LifecycleContactState> contactStates, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(enrollments);
        ArgumentNullException.ThrowIfNull(contactStates);
        var result = new List<LifecycleEnrollment>();
        var sends = new List<LifecycleSend>();
        var exits = new List<LifecycleExit>();
        var deferred = new List<(string, string, DateTimeOffset?)>();

        foreach (var contact in facts.Contacts)
        {
            var state = contactStates.TryGetValue(contact.ContactId, out var s) ? s : new LifecycleContactState(contact.ContactId);
            var mine = enrollments.Where(e => e.ContactId == contact.ContactId).ToList();
            var evaluation = _engine.Evaluate(facts, contact.ContactId, mine, now);
            var byKey = mine.Concat(evaluation.NewEnrollments).ToDictionary(Key);

            foreach (var exit in evaluation.Exits)
            {
                byKey[Key(exit.Enrollment)] = exit.Enrollment with { ExitedAt = now, ExitReason = exit.Reason };
                exits.Add(exit);
            }

            foreach (var skip in evaluation.Skipped)
            {
                Take(byKey, skip);
            }

            if (state.Suppressed)
            {
                if (evaluation.Due.Count > 0)
                {
                    deferred.Add((contact.ContactId, "suppressed: " + state.SuppressedReason, null));
                }
            }
            else
            {
                var decision = _caps.Decide(contact, evaluation.Due, state.LastSentAt, now);
                if (decision.Send is { } step)
                {
                    Take(byKey, step);
                    sends.Add(new LifecycleSend(LifecycleSendId.For(step.AccountId, step.Sequence, step.Step, step.EnrollmentKey, step.Occurrence, contact.ContactId), contact, step));
                }
                else if (evaluation.Due.Count > 0)
                {
                    deferred.Add((contact.ContactId, decision.Reason ?? "deferred", decision.NotBefore));
                }
            }

            result.AddRange(byKey.Values);
        }

        return new LifecyclePlan(result, sends, exits, deferred);
    }

    private static (string, string) Key(LifecycleEnrollment e) => (e.Sequence, e.EnrollmentKey);

    private static void Take(Dictionary<(string, string), LifecycleEnrollment> byKey, LifecycleDueStep step)
    {
        var key = (step.Sequence, step.EnrollmentKey);
        if (!byKey.TryGetValue(key, out var enrollment))
        {
            return;
        }

        var counts = new Dictionary<string, int>(enrollment.StepOccurrences, StringComparer.Ordinal);
        counts[step.Step] = Math.Max(counts.GetValueOrDefault(step.Step), step.Occurrence + 1);
        byKey[key] = enrollment with { StepOccurrences = counts };
    }
}
