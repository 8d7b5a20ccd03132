using System.Collections.Concurrent;
using CustomerSuccess.Functions.Email;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>
/// Test-only decorator of the app's real <see cref="IEmailSender"/>: counts every attempt per email and throws when
/// the <see cref="EmailFaults"/> say so, as an email service outage would. What does not fail goes to the real
/// sender (the .eml outbox), so the outbox shows exactly what reached people.
/// </summary>
internal sealed class FaultInjectingEmailSender(IEmailSender inner, EmailFaults faults) : IEmailSender
{
    public Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        faults.ThrowIfFailing(message);
        faults.Passed(message);
        return inner.SendAsync(message, cancellationToken);
    }
}

/// <summary>Which send attempts fail, and how many attempts each email (operation id) has had.</summary>
internal sealed class EmailFaults
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<EmailMessage> _passed = new();

    /// <summary>(message, attempt number starting at 1) → fail this attempt? Read on every send, so a test can heal the fault.</summary>
    public Func<EmailMessage, int, bool> FailWhen { get; set; } = (_, _) => false;

    public int AttemptsFor(string operationId) => _attempts.GetValueOrDefault(operationId);

    /// <summary>Every send that went through to the real sender, in order. The outbox keeps one file per operation
    /// id (as the email service keeps one email), so only this shows a repeated send of the same email.</summary>
    public IReadOnlyList<EmailMessage> PassedThrough => [.. _passed];

    public void Passed(EmailMessage message) => _passed.Enqueue(message);

    public void ThrowIfFailing(EmailMessage message)
    {
        var attempt = _attempts.AddOrUpdate(message.OperationId, 1, (_, n) => n + 1);
        if (FailWhen(message, attempt))
        {
            throw new InjectedEmailFailureException($"Injected email outage for {message.To} (attempt {attempt}).");
        }
    }
}

internal sealed class InjectedEmailFailureException(string message) : Exception(message);
