namespace CustomerSuccess.Functions.Webhooks;

internal enum WebhookProvider
{
    Stripe,
    Segment,
    Zendesk,
}

/// <summary>A provider's name as it appears in storage keys, metric tags and traces: lower case, fixed.</summary>
internal static class WebhookProviderNames
{
    public static string Of(WebhookProvider provider) => provider switch
    {
        WebhookProvider.Stripe => "stripe",
        WebhookProvider.Segment => "segment",
        WebhookProvider.Zendesk => "zendesk",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Not a webhook provider."),
    };
}

/// <summary>
/// One provider event as parsed from a verified delivery: its idempotency key (Stripe event id, Segment
/// messageId, Zendesk event id), its type, when the provider says it happened, and its own JSON (a batch
/// delivery yields one per element).
/// </summary>
internal sealed record WebhookEvent(string EventId, string EventType, DateTimeOffset? OccurredAt, string Json);

/// <summary>The events of a delivery, or a short reason why its body is not what the provider documents.</summary>
internal sealed record WebhookParseResult(IReadOnlyList<WebhookEvent> Events, string? Error)
{
    public static WebhookParseResult Invalid(string reason) => new([], reason);

    public static WebhookParseResult Of(IReadOnlyList<WebhookEvent> events) => new(events, null);
}
