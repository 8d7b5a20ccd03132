using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// What one provider event means for account state: an effect to apply, nothing (an event type, or a shape of
/// one, this product does not use: acknowledged and applied as "ignored"), or a rejection with the reason
/// (the event cannot be applied as sent: refused with 400 at the edge, quarantined if found stored).
/// </summary>
internal sealed record EventMapping
{
    private EventMapping(AccountEvent? effect, string? rejection)
    {
        Effect = effect;
        Rejection = rejection;
    }

    public static EventMapping Ignored { get; } = new(null, null);

    public AccountEvent? Effect { get; }

    public string? Rejection { get; }

    public bool IsRejected => Rejection is not null;

    /// <summary>An effect, once it is known to fit storage (<see cref="AccountEventLimits"/>); otherwise the rejection saying why not.</summary>
    public static EventMapping Apply(AccountEvent effect) =>
        AccountEventLimits.Problem(effect) is { } problem ? Rejected(problem) : new(effect, null);

    public static EventMapping Rejected(string reason) => new(null, reason);
}

/// <summary>The one entry to the provider mappers, shared by the edge (before the 200) and the applier.</summary>
internal static class WebhookEventMapper
{
    public static EventMapping Map(WebhookProvider provider, string eventType, string json, SignalsOptions signals) => provider switch
    {
        WebhookProvider.Stripe => StripeEventMapper.Map(eventType, json),
        WebhookProvider.Segment => SegmentEventMapper.Map(json, signals),
        WebhookProvider.Zendesk => ZendeskEventMapper.Map(eventType, json, signals),
        _ => EventMapping.Rejected("unknown provider"),
    };
}
