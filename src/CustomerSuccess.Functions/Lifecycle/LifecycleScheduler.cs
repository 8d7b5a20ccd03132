using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Messaging;

namespace CustomerSuccess.Functions.Lifecycle;

public sealed record LifecycleScanSummary(int Accounts, int Queued, int Exits, int Deferred);

/// <summary>
/// The timer's job: for every account, plan (pure, <see cref="LifecyclePlanner"/>) and queue the due sends on
/// lifecycle-send, then write back the enrollments the plan changed. It never calls the email provider, so a slow
/// or throttled provider cannot hold up the scan. Accounts come a page at a time in bucket order, and each page's
/// facts are read in a few range queries (scores, enrollments, contact states), not per account. A page's sends are
/// queued as one batch before its enrollments are saved: a crash in between re-plans the same sends, whose message
/// id (the send id) the queue's duplicate detection and the ledger drop.
/// </summary>
internal sealed class LifecycleScheduler(
    IAccountSignalSource signals,
    LifecycleFactsReader facts,
    ILifecycleStore store,
    LifecyclePlanner planner,
    IMessagePublisher publisher,
    TimeProvider time,
    ILogger<LifecycleScheduler> logger)
{
    private const int PageSize = 100;

    public async Task<LifecycleScanSummary> ScanAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var asOf = DateOnly.FromDateTime(now.UtcDateTime);
        int accounts = 0, queued = 0, exits = 0, deferred = 0;
        string? continuation = null;
        do
        {
            var page = await signals.ReadPageAsync(0, 1, asOf, continuation, PageSize, cancellationToken);
            var pageFacts = await facts.FromPageAsync(page.Accounts, asOf, cancellationToken);
            var state = await store.GetPageStateAsync([.. page.Accounts.Select(a => a.AccountId)], cancellationToken);
            var sends = new List<OutgoingMessage>();
            var changed = new List<LifecycleEnrollment>();
            foreach (var accountFacts in pageFacts)
            {
                var stored = state.EnrollmentsOf(accountFacts.AccountId);
                accounts++;
                if (accountFacts.Contacts.Count == 0 && stored.Count == 0)
                {
                    continue;
                }

                var plan = planner.Plan(accountFacts, stored, state.ContactsOf(accountFacts.AccountId), now);
                sends.AddRange(plan.Sends.Select(send => LifecycleSendProcessor.ToQueueMessage(
                    new LifecycleSendMessage(send.SendId, send.Step.AccountId, send.Contact.ContactId, send.Step.Sequence, send.Step.Step, send.Step.EnrollmentKey, send.Step.Occurrence))));
                changed.AddRange(Changed(stored, plan.Enrollments));
                queued += plan.Sends.Count;
                exits += plan.Exits.Count;
                deferred += plan.Deferred.Count;
            }

            await publisher.SendBatchAsync(LifecycleSendProcessor.QueueName, sends, cancellationToken);
            if (changed.Count > 0)
            {
                await store.SaveEnrollmentsAsync(changed, cancellationToken);
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        LifecycleLog.ScanCompleted(logger, accounts, queued, exits, deferred);
        return new LifecycleScanSummary(accounts, queued, exits, deferred);
    }

    /// <summary>The planned enrollments that differ from what was stored (new, advanced or exited).</summary>
    private static IEnumerable<LifecycleEnrollment> Changed(IReadOnlyList<LifecycleEnrollment> stored, IReadOnlyList<LifecycleEnrollment> planned)
    {
        var before = stored.ToDictionary(e => LifecycleTableStore.EnrollmentRow(e.ContactId, e.Sequence, e.EnrollmentKey), LifecycleTableStore.Fingerprint, StringComparer.Ordinal);
        return planned.Where(e => !before.TryGetValue(LifecycleTableStore.EnrollmentRow(e.ContactId, e.Sequence, e.EnrollmentKey), out var was) || was != LifecycleTableStore.Fingerprint(e));
    }
}
