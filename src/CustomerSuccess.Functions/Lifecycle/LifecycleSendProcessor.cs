using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Telemetry;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>The body of a lifecycle-send (or lifecycle-send-reserved) queue message: which step occurrence goes to which contact.
/// <see cref="RateSlot"/> is set on a copy the send quota deferred: the token reserved for it, spendable from then for
/// <see cref="SendQuota.LeaseLifetime"/>. <see cref="EnrollmentWaits"/> counts the times a copy was put back because its
/// enrollment was not saved yet.</summary>
public sealed record LifecycleSendMessage(string SendId, string AccountId, string ContactId, string Sequence, string Step, string EnrollmentKey, int Occurrence, DateTimeOffset? RateSlot = null, int EnrollmentWaits = 0);

public enum LifecycleSendOutcome
{
    Sent,
    AlreadySent,
    Dropped,
    Deferred,
    Rejected,

    /// <summary>Its enrollment is still not saved after every wait: this delivery fails, so the queue delivers it again
    /// and dead-letters it in the end.</summary>
    NotYet,
}

public sealed record LifecycleSendResult(LifecycleSendOutcome Outcome, string? Reason = null, DateTimeOffset? NotBefore = null);

/// <summary>Lifecycle state the send processor and the scan read and write (Table storage in the app).</summary>
public interface ILifecycleStore
{
    Task<LifecycleEnrollment?> GetEnrollmentAsync(string accountId, string contactId, string sequence, string enrollmentKey, CancellationToken cancellationToken);

    /// <summary>Every enrollment (active or exited) of the account's contacts.</summary>
    Task<IReadOnlyList<LifecycleEnrollment>> GetEnrollmentsAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>
    /// What the scan needs for a page of accounts (as <see cref="Accounts.IAccountSignalSource"/> pages them): their
    /// enrollments, and their contacts' state as the send path last recorded it for each account.
    /// </summary>
    Task<LifecyclePageState> GetPageStateAsync(IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken);

    /// <summary>Writes enrollments as given (new, advanced or exited), replacing what was stored.</summary>
    Task SaveEnrollmentsAsync(IReadOnlyList<LifecycleEnrollment> enrollments, CancellationToken cancellationToken);

    /// <summary>The contact's state across every account: the authority a send is checked against.</summary>
    Task<LifecycleContactState> GetContactStateAsync(string contactId, CancellationToken cancellationToken);

    /// <summary>Records the contact's state, as a send just found it, for the account's scan (which reads it a page at a time).</summary>
    Task ShareContactStateAsync(string accountId, LifecycleContactState state, CancellationToken cancellationToken);

    /// <summary>Suppresses a contact from every sequence (unsubscribe, hard bounce); false when it already was.</summary>
    Task<bool> SuppressAsync(string contactId, string reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>True when the ledger already records this send as delivered to the provider.</summary>
    Task<bool> WasSentAsync(string sendId, CancellationToken cancellationToken);

    /// <summary>Ledger entry plus the contact's last-sent time, written after the provider accepted the email.</summary>
    Task RecordSentAsync(LifecycleSendMessage message, DateTimeOffset at, CancellationToken cancellationToken);

    Task RecordRejectedAsync(LifecycleSendMessage message, string errorCode, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>Current facts of one account for the check right before a send.</summary>
public interface ILifecycleFactsSource
{
    Task<LifecycleAccountFacts?> GetAsync(string accountId, CancellationToken cancellationToken);
}

/// <summary>
/// Processes one queued send: ledger check, suppression, exits and step condition re-checked against current
/// facts, per-contact cap and quiet hours, the global rate limit, render, send with the deterministic send id as
/// the ACS operation id. Anything that must wait (cap, quiet hours, rate limit, 429) is re-queued for later with
/// a scheduled enqueue time, never dropped; a provider failure throws so the queue redelivers.
/// </summary>
public sealed partial class LifecycleSendProcessor
{
    public const string QueueName = QueueNames.LifecycleSend;

    public const string ReservedQueueName = QueueNames.LifecycleSendReserved;

    /// <summary>How long a send waits for its enrollment each time it finds it missing: 31.5 minutes in all, past two
    /// 15-minute scans.</summary>
    internal static readonly TimeSpan[] EnrollmentWaitSchedule = [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(8), TimeSpan.FromMinutes(16)];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ILifecycleStore _store;
    private readonly ILifecycleFactsSource _facts;
    private readonly LifecycleSequenceEngine _engine;
    private readonly SendCapPolicy _caps;
    private readonly ISendRateLimiter _rate;
    private readonly LifecycleTemplateRenderer _templates;
    private readonly UnsubscribeLinkSigner _unsubscribe;
    private readonly IEmailSender _email;
    private readonly IMessagePublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger<LifecycleSendProcessor> _logger;
    private readonly AppMetrics? _metrics;
    private readonly SendQuotaUsage? _usage;

    public LifecycleSendProcessor(ILifecycleStore store, ILifecycleFactsSource facts, LifecycleSequenceEngine engine, SendCapPolicy caps, ISendRateLimiter rate, LifecycleTemplateRenderer templates, UnsubscribeLinkSigner unsubscribe, IEmailSender email, IMessagePublisher publisher, TimeProvider time, ILogger<LifecycleSendProcessor> logger, AppMetrics? metrics = null, SendQuotaUsage? usage = null)
    {
        _metrics = metrics;
        _usage = usage;
        _store = store;
        _facts = facts;
        _engine = engine;
        _caps = caps;
        _rate = rate;
        _templates = templates;
        _unsubscribe = unsubscribe;
        _email = email;
        _publisher = publisher;
        _time = time;
        _logger = logger;
    }

    public static OutgoingMessage ToQueueMessage(LifecycleSendMessage message, DateTimeOffset? notBefore = null)
    {
        ArgumentNullException.ThrowIfNull(message);

        // A rescheduled copy needs its own message id, or duplicate detection would drop it as a resend.
        var id = notBefore is { } at ? message.SendId + ":" + at.UtcTicks.ToString(CultureInfo.InvariantCulture) : message.SendId;
        return new OutgoingMessage(id, JsonSerializer.Serialize(message, Json)) { ScheduledEnqueueTime = notBefore, CorrelationId = message.SendId };
    }

    public static LifecycleSendMessage? Parse(string body) => JsonSerializer.Deserialize<LifecycleSendMessage>(body, Json);

    public async Task<LifecycleSendResult> ProcessAsync(LifecycleSendMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        // Independent reads, side by side: each is a round trip the delivery would otherwise wait for in turn, and a
        // send already made (whose other reads are wasted) is a rare redelivery.
        var sending = _store.WasSentAsync(message.SendId, cancellationToken);
        var reading = _facts.GetAsync(message.AccountId, cancellationToken);
        var enrolled = _store.GetEnrollmentAsync(message.AccountId, message.ContactId, message.Sequence, message.EnrollmentKey, cancellationToken);
        var contactState = _store.GetContactStateAsync(message.ContactId, cancellationToken);
        await Task.WhenAll(sending, reading, enrolled, contactState);
        if (await sending)
        {
            return new LifecycleSendResult(LifecycleSendOutcome.AlreadySent);
        }

        var facts = await reading;
        var contact = facts?.Contacts.FirstOrDefault(c => c.ContactId == message.ContactId);
        var enrollment = await enrolled;
        var state = await contactState;
        var now = _time.GetUtcNow();

        if (enrollment is null && facts is not null && contact is not null)
        {
            // The scan queues a page's sends before it saves their enrollments (a crash in between then re-plans the
            // sends instead of losing them), so a send can overtake the save of its new enrollment, and under load the
            // save can lag, or fail and wait for the next scan. The send waits with a growing delay (past two scan
            // periods in all) rather than being redelivered at once: immediate redeliveries would use up the queue's
            // delivery count in seconds. An enrollment that never comes leaves the message in the dead-letter queue,
            // where an operator sees it, rather than dropped.
            if (message.EnrollmentWaits < EnrollmentWaitSchedule.Length)
            {
                Log.EnrollmentNotSaved(_logger, message.SendId, message.Sequence, message.Step);
                return await DeferAsync(message with { EnrollmentWaits = message.EnrollmentWaits + 1 }, now + EnrollmentWaitSchedule[message.EnrollmentWaits], "enrollment not saved yet", cancellationToken);
            }

            return new LifecycleSendResult(LifecycleSendOutcome.NotYet, "enrollment not saved after " + message.EnrollmentWaits + " waits");
        }

        var reason = facts is null || contact is null ? "account or contact gone"
            : state.Suppressed ? "suppressed: " + state.SuppressedReason
            : _engine.CheckBeforeSend(facts, enrollment!, message.Step);
        if (reason is not null)
        {
            if (state.Suppressed)
            {
                // The account's scan may not know yet (the unsubscribe named the contact only): from now on it does.
                await _store.ShareContactStateAsync(message.AccountId, state, cancellationToken);
            }

            Log.Dropped(_logger, message.SendId, message.Sequence, message.Step, reason);
            return new LifecycleSendResult(LifecycleSendOutcome.Dropped, reason);
        }

        var step = new LifecycleDueStep(message.AccountId, message.ContactId, message.Sequence, message.Step, message.EnrollmentKey, message.Occurrence, now, 0);
        var cap = _caps.Decide(contact!, [step], state.LastSentAt, now);
        if (cap.Send is null)
        {
            // A send through another account may be what capped it: the account's scan learns of it here.
            await _store.ShareContactStateAsync(message.AccountId, state, cancellationToken);
            return await DeferAsync(message, cap.NotBefore ?? now.AddHours(1), cap.Reason ?? "capped", cancellationToken);
        }

        var permit = await _rate.AdmitAsync(message.RateSlot, cancellationToken);
        if (!permit.Granted)
        {
            return await DeferForQuotaAsync(message, permit, cancellationToken);
        }

        var unsubscribeUrl = _unsubscribe.LinkFor(contact!.ContactId);
        var rendered = _templates.Render(message.Sequence, message.Step, facts!, contact, unsubscribeUrl);
        var email = new EmailMessage
        {
            OperationId = message.SendId,
            To = contact.Email,
            Subject = rendered.Subject,
            Html = rendered.Html,
            PlainText = rendered.PlainText,
            Headers = _unsubscribe.HeadersFor(contact.ContactId),
            Category = "lifecycle/" + message.Sequence + "/" + message.Step,
        };
        if (_time.GetUtcNow() >= permit.SpendBy)
        {
            // Rendering outlasted the token (spent within a lease lifetime of its stamp or not at all): ask once more.
            permit = await _rate.AdmitAsync(null, cancellationToken);
            if (!permit.Granted)
            {
                return await DeferForQuotaAsync(message, permit, cancellationToken);
            }
        }

        var result = await _email.SendAsync(email, cancellationToken);

        switch (result.Status)
        {
            case EmailSendStatus.Accepted:
                await _store.RecordSentAsync(message, now, cancellationToken);
                Log.Sent(_logger, message.SendId, message.Sequence, message.Step);
                _metrics?.LifecycleEmailSent();
                _usage?.Sent();
                return new LifecycleSendResult(LifecycleSendOutcome.Sent);
            case EmailSendStatus.Throttled:
                _metrics?.LifecycleEmailThrottled();
                // The provider's quota is the fleet's: every instance holds off until Retry-After, not just this send.
                var retryAt = now + (result.RetryAfter ?? TimeSpan.FromMinutes(1));
                await _rate.PauseUntilAsync(retryAt, cancellationToken);
                return await DeferAsync(message, retryAt, "provider throttled", cancellationToken);
            default:
                await _store.RecordRejectedAsync(message, result.Error ?? "rejected", now, cancellationToken);
                return new LifecycleSendResult(LifecycleSendOutcome.Rejected, result.Error);
        }
    }

    /// <summary>The deferral's reason as a metric tag: few and fixed.</summary>
    internal static string DeferralKind(string reason) => reason switch
    {
        "rate limit" => "quota",
        "provider throttled" => "throttled",
        "enrollment not saved yet" => "enrollment",
        _ when reason.Contains("quiet", StringComparison.OrdinalIgnoreCase) => "quiet_hours",
        _ => "cap",
    };

    /// <summary>
    /// The fleet's quota reserved this send a later token (behind every send already waiting): the copy carries the
    /// slot and goes to a queue of its own, so that when its slot comes it is not stuck behind a burst of first
    /// deliveries (a scheduled message joins the back of its queue), and sends without asking again then. A send with
    /// no reservation (the row stayed contended) waits on the main queue.
    /// </summary>
    private Task<LifecycleSendResult> DeferForQuotaAsync(LifecycleSendMessage message, SendPermit permit, CancellationToken cancellationToken) =>
        permit.Reserved
            ? DeferOnAsync(ReservedQueueName, message with { RateSlot = permit.ComeBackAt }, permit.ComeBackAt, "rate limit", cancellationToken)
            : DeferAsync(message, permit.ComeBackAt, "rate limit", cancellationToken);

    /// <summary>Waits on the main queue. A slot the send held is given up: its token is spent by nobody, never late.</summary>
    private Task<LifecycleSendResult> DeferAsync(LifecycleSendMessage message, DateTimeOffset notBefore, string reason, CancellationToken cancellationToken) =>
        DeferOnAsync(QueueName, message with { RateSlot = null }, notBefore, reason, cancellationToken);

    private async Task<LifecycleSendResult> DeferOnAsync(string queue, LifecycleSendMessage message, DateTimeOffset notBefore, string reason, CancellationToken cancellationToken)
    {
        await _publisher.SendAsync(queue, ToQueueMessage(message, notBefore), cancellationToken);
        Log.Deferred(_logger, message.SendId, reason, notBefore);
        _metrics?.LifecycleEmailDeferred(DeferralKind(reason));
        return new LifecycleSendResult(LifecycleSendOutcome.Deferred, reason, notBefore);
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Lifecycle send {SendId} ({Sequence}/{Step}) accepted")]
        public static partial void Sent(ILogger logger, string sendId, string sequence, string step);

        [LoggerMessage(101, LogLevel.Information, "Lifecycle send {SendId} ({Sequence}/{Step}) dropped: {Reason}")]
        public static partial void Dropped(ILogger logger, string sendId, string sequence, string step, string reason);

        [LoggerMessage(102, LogLevel.Information, "Lifecycle send {SendId} deferred ({Reason}) until {NotBefore}")]
        public static partial void Deferred(ILogger logger, string sendId, string reason, DateTimeOffset notBefore);

        [LoggerMessage(103, LogLevel.Information, "Lifecycle send {SendId} ({Sequence}/{Step}) came before its enrollment was saved; it waits and tries again")]
        public static partial void EnrollmentNotSaved(ILogger logger, string sendId, string sequence, string step);
    }
}
