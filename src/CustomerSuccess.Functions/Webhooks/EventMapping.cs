using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// What one provider event means for account state: an event to apply, nothing (an event type, or a shape of one,
/// this product does not use: acknowledged and archived as ignored), or a rejection with the reason (it cannot be
/// applied as sent: refused with 400 at the edge, quarantined if found stored).
/// </summary>
internal sealed record EventMapping
{
    private EventMapping(AccountEvent? accountEvent, string? rejection)
    {
        Event = accountEvent;
        Rejection = rejection;
    }

    public static EventMapping Ignored { get; } = new(null, null);

    public AccountEvent? Event { get; }

    public string? Rejection { get; }

    public bool IsRejected => Rejection is not null;

    /// <summary>An event to apply, once it is known to fit the account model (<see cref="AccountEventLimits"/>); otherwise the rejection saying why not.</summary>
    public static EventMapping Apply(AccountEvent accountEvent) =>
        AccountEventLimits.Problem(accountEvent) is { } problem ? Rejected(problem) : new(accountEvent, null);

    public static EventMapping Rejected(string reason) => new(null, reason);
}

/// <summary>The one entry to the provider mappers (pure and total: any input gives a mapping, never an exception), for the edge and the applier alike.</summary>
internal static class WebhookEventMapper
{
    public static EventMapping Map(WebhookProvider provider, string eventType, string json, ProductOptions product) => provider switch
    {
        WebhookProvider.Stripe => StripeEventMapper.Map(eventType, json),
        WebhookProvider.Segment => SegmentEventMapper.Map(json, product),
        WebhookProvider.Zendesk => ZendeskEventMapper.Map(eventType, json, product),
        _ => EventMapping.Rejected("unknown provider"),
    };
}
