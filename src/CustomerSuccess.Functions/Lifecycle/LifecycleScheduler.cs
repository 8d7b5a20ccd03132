using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Messaging;

namespace CustomerSuccess.Functions.Lifecycle;

public sealed record LifecycleScanSummary(int Accounts, int Queued, int Exits, int Deferred);

/// <summary>
/// The timer's job: for every account, plan (pure, <see cref="LifecyclePlanner"/>) and queue the due sends on
/// lifecycle-send, then write back the enrollments the plan changed. It never calls the email provider, so a slow
/// or throttled provider cannot hold up the scan. Sends are queued before enrollments are saved: a crash in between
/// re-plans the same sends, whose message id (the send id) the queue's duplicate detection and the ledger drop.
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
            foreach (var account in page.Accounts)
            {
                var accountFacts = await facts.FromSignalsAsync(account, asOf, cancellationToken);
                var (q, e, d) = await ScanAccountAsync(accountFacts, now, cancellationToken);
                accounts++;
                queued += q;
                exits += e;
                deferred += d;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        LifecycleLog.ScanCompleted(logger, accounts, queued, exits, deferred);
        return new LifecycleScanSummary(accounts, queued, exits, deferred);
    }

    private async Task<(int Queued, int Exits, int Deferred)> ScanAccountAsync(LifecycleAccountFacts accountFacts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stored = await store.GetEnrollmentsAsync(accountFacts.AccountId, cancellationToken);
        if (accountFacts.Contacts.Count == 0 && stored.Count == 0)
        {
            return (0, 0, 0);
        }

        var states = await store.GetContactStatesAsync(accountFacts.Contacts.Select(c => c.ContactId), cancellationToken);
        var plan = planner.Plan(accountFacts, stored, states, now);
        foreach (var send in plan.Sends)
        {
            var message = new LifecycleSendMessage(send.SendId, send.Step.AccountId, send.Contact.ContactId, send.Step.Sequence, send.Step.Step, send.Step.EnrollmentKey, send.Step.Occurrence);
            await publisher.SendAsync(LifecycleSendProcessor.QueueName, LifecycleSendProcessor.ToQueueMessage(message), cancellationToken);
        }

        var before = stored.ToDictionary(e => LifecycleTableStore.EnrollmentRow(e.ContactId, e.Sequence, e.EnrollmentKey), LifecycleTableStore.Fingerprint, StringComparer.Ordinal);
        var changed = plan.Enrollments
            .Where(e => !before.TryGetValue(LifecycleTableStore.EnrollmentRow(e.ContactId, e.Sequence, e.EnrollmentKey), out var was) || was != LifecycleTableStore.Fingerprint(e))
            .ToList();
        if (changed.Count > 0)
        {
            await store.SaveEnrollmentsAsync(changed, cancellationToken);
        }

        return (plan.Sends.Count, plan.Exits.Count, plan.Deferred.Count);
    }
}
