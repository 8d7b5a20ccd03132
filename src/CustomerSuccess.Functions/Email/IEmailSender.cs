namespace CustomerSuccess.Functions.Email;

/// <summary>
/// Sends one email. In Azure: Azure Communication Services Email over REST (access key HMAC or Entra ID);
/// locally without an ACS endpoint: files in an outbox folder that a person can open.
/// </summary>
public interface IEmailSender
{
    /// <summary>Sends a message. <see cref="EmailMessage.OperationId"/> is deterministic from what the email is about,
    /// so a retry of the same send is recognised by the service and never delivered twice.</summary>
    Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken = default);
}

public sealed record EmailMessage
{
    /// <summary>Idempotency key, sent as the ACS Operation-Id header.</summary>
    public required string OperationId { get; init; }

    public required string To { get; init; }

    public IReadOnlyList<string> Cc { get; init; } = [];

    public required string Subject { get; init; }

    public required string Html { get; init; }

    public required string PlainText { get; init; }

    /// <summary>Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Free-form tag for the outbox file name and logs (e.g. "lifecycle/onboarding/welcome", "alert/critical").</summary>
    public string? Category { get; init; }
}

public enum EmailSendStatus
{
    Accepted,

    /// <summary>The service asked us to slow down; try again at <see cref="EmailSendResult.RetryAfter"/>.</summary>
    Throttled,

    /// <summary>The message was refused and will never succeed as it is (bad address, bad content).</summary>
    Rejected,
}

public sealed record EmailSendResult(EmailSendStatus Status, string? OperationId = null, TimeSpan? RetryAfter = null, string? Error = null);
