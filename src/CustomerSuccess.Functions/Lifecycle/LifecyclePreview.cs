namespace CustomerSuccess.Functions.Lifecycle;

public sealed record LifecyclePreviewResult(string AccountId, string Sequence, string Step, string To, string Subject, string Html, string PlainText, IReadOnlyDictionary<string, string> Headers);

public enum LifecyclePreviewStatus
{
    Rendered,
    UnknownAccount,
    UnknownStep,
}

/// <summary>Renders any configured step for any account with the account's own data, exactly as it would be sent, without sending.</summary>
public sealed class LifecyclePreview(ILifecycleFactsSource facts, LifecycleSequenceEngine engine, LifecycleTemplateRenderer templates, UnsubscribeLinkSigner signer)
{
    /// <summary>Used when the account has no contact with an email yet.</summary>
    public const string PlaceholderEmail = "preview@example.invalid";

    public async Task<(LifecyclePreviewStatus Status, LifecyclePreviewResult? Result)> RenderAsync(string accountId, string sequence, string step, string? email, CancellationToken cancellationToken)
    {
        var definition = engine.Find(sequence);
        if (definition is null || !definition.Steps.Any(s => s.Name == step) || !templates.Exists(sequence, step))
        {
            return (LifecyclePreviewStatus.UnknownStep, null);
        }

        var account = await facts.GetAsync(accountId, cancellationToken);
        if (account is null)
        {
            return (LifecyclePreviewStatus.UnknownAccount, null);
        }

        var contact = account.Contacts.FirstOrDefault(c => email is not null && string.Equals(c.Email, email.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? (account.Contacts.Count > 0 ? account.Contacts[0] : null)
            ?? new LifecycleContact(LifecycleContactId.For(PlaceholderEmail), PlaceholderEmail);
        var rendered = templates.Render(sequence, step, account, contact, signer.LinkFor(contact.ContactId));
        return (LifecyclePreviewStatus.Rendered, new LifecyclePreviewResult(accountId, sequence, step, contact.Email, rendered.Subject, rendered.Html, rendered.PlainText, signer.HeadersFor(contact.ContactId)));
    }
}
