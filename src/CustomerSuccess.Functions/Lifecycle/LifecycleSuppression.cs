namespace CustomerSuccess.Functions.Lifecycle;

public enum SuppressionOutcome
{
    Suppressed,
    AlreadySuppressed,
    Invalid,
}

/// <summary>Unsubscribes (signed link) and hard bounces: either suppresses the contact from every sequence at once.</summary>
public sealed class LifecycleSuppression(ILifecycleStore store, UnsubscribeLinkSigner signer, TimeProvider time, ILogger<LifecycleSuppression> logger)
{
    public const string UnsubscribedReason = "unsubscribed";
    public const string HardBounceReason = "hard bounce";

    public bool IsValidLink(string? contactId, string? signature) => signer.IsValid(contactId, signature);

    /// <summary>Suppresses the contact the link was signed for; a link that does not verify changes nothing.</summary>
    public async Task<SuppressionOutcome> UnsubscribeAsync(string? contactId, string? signature, CancellationToken cancellationToken)
    {
        if (!signer.IsValid(contactId, signature))
        {
            LifecycleLog.UnsubscribeRefused(logger, "signature does not verify");
            return SuppressionOutcome.Invalid;
        }

        return await SuppressAsync(contactId!, UnsubscribedReason, cancellationToken);
    }

    public async Task<(SuppressionOutcome Outcome, string? ContactId)> ReportHardBounceAsync(string? email, CancellationToken cancellationToken)
    {
        if (!LifecycleContactId.LooksLikeEmail(email))
        {
            return (SuppressionOutcome.Invalid, null);
        }

        var contactId = LifecycleContactId.For(email!);
        return (await SuppressAsync(contactId, HardBounceReason, cancellationToken), contactId);
    }

    private async Task<SuppressionOutcome> SuppressAsync(string contactId, string reason, CancellationToken cancellationToken)
    {
        var added = await store.SuppressAsync(contactId, reason, time.GetUtcNow(), cancellationToken);
        if (added)
        {
            LifecycleLog.Suppressed(logger, contactId, reason);
        }

        return added ? SuppressionOutcome.Suppressed : SuppressionOutcome.AlreadySuppressed;
    }
}
