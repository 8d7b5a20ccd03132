using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Stripe;

/// <summary>
/// Maps Stripe events to account effects. Total: any JSON gives an effect, <see cref="EventMapping.Ignored"/> (an
/// event type this product does not use) or a rejection naming what is wrong, never an exception.
/// </summary>
internal static class StripeEventMapper
{
    public const string CreatedRule = "created must be a Unix time in whole seconds";

    // Statuses whose subscription earns recurring revenue; trialing and paused do not yet / no longer.
    private static readonly HashSet<string> RevenueStatuses = new(StringComparer.Ordinal) { "active", "past_due" };

    /// <summary>The event's <c>created</c>: a JSON integer within the range of dates, else null.</summary>
    public static DateTimeOffset? Created(JsonElement root) =>
        JsonRead.Path(root, "created") is { ValueKind: JsonValueKind.Number } n && n.TryGetInt64(out var seconds) ? JsonRead.FromUnixSeconds(seconds) : null;

    public static EventMapping Map(string eventType, string json)
    {
        if (!WebhookJson.TryParse(json, out var document, out var error))
        {
            return EventMapping.Rejected(error);
        }

        using (document)
        {
            return Map(eventType, document.RootElement);
        }
    }

    private static EventMapping Map(string eventType, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || Created(root) is not { } createdAt)
        {
            return EventMapping.Rejected(CreatedRule);
        }

        if (JsonRead.Path(root, "data", "object") is not { ValueKind: JsonValueKind.Object } obj)
        {
            return EventMapping.Rejected("missing data.object");
        }

        var created = createdAt.ToUnixTimeSeconds();
        var day = DateOnly.FromDateTime(createdAt.UtcDateTime);
        var customer = JsonRead.String(obj, "customer");

        switch (eventType)
        {
            case "customer.created" or "customer.updated":
                if (JsonRead.String(obj, "id") is not { } customerId)
                {
                    return EventMapping.Rejected("a customer event needs data.object.id");
                }

                return EventMapping.Apply(new AccountEvent
                {
                    IdKind = ExternalIdKinds.StripeCustomer,
                    ExternalId = customerId,
                    Day = day,
                    LinkToAccountId = JsonRead.String(obj, "metadata", "account_id"),
                    States =
                    [
                        new StateWrite("profile|stripe", created, new Dictionary<string, object?>
                        {
                            ["Name"] = JsonRead.String(obj, "name") ?? JsonRead.String(obj, "description"),
                            ["CsmEmail"] = JsonRead.String(obj, "metadata", "csm_email"),
                            ["BillingEmail"] = JsonRead.String(obj, "email"),
                        }),
                    ],
                });

            case "customer.subscription.created" or "customer.subscription.updated" or "customer.subscription.deleted"
                or "customer.subscription.paused" or "customer.subscription.resumed" or "customer.subscription.trial_will_end":
                if (customer is null || JsonRead.String(obj, "id") is not { } subscriptionId)
                {
                    return EventMapping.Rejected("a subscription event needs data.object.id and data.object.customer (a customer id)");
                }

                var status = eventType == "customer.subscription.deleted" ? "canceled" : JsonRead.String(obj, "status") ?? "unknown";
                var (mrr, plan, seats, periodEnd, periodDays) = ReadItems(obj);
                return EventMapping.Apply(new AccountEvent
                {
                    IdKind = ExternalIdKinds.StripeCustomer,
                    ExternalId = customer,
                    LinkToAccountId = JsonRead.String(obj, "metadata", "account_id"),
                    Day = day,
                    Subscription = new SubscriptionSnapshot(
                        subscriptionId,
                        created,
                        RevenueStatuses.Contains(status) ? mrr : 0,
                        plan,
                        seats,
                        status,
                        JsonRead.Bool(obj, "cancel_at_period_end") ?? false,
                        JsonRead.UnixTime(obj, "current_period_end") ?? periodEnd,
                        JsonRead.UnixTime(obj, "start_date"),
                        periodDays),
                });

            case "invoice.paid":
                return Count(customer, day, nameof(DailySignals.PaymentsSucceeded));
            case "invoice.payment_failed" or "invoice.payment_action_required":
                // Action required (e.g. 3-D Secure) blocks collection just as a failure does until the customer acts.
                return Count(customer, day, nameof(DailySignals.PaymentsFailed));
            case "invoice.upcoming":
                return customer is null ? EventMapping.Ignored : EventMapping.Apply(new AccountEvent
                {
                    IdKind = ExternalIdKinds.StripeCustomer,
                    ExternalId = customer,
                    Day = day,
                    States = [new StateWrite("invoice|upcoming", created, new Dictionary<string, object?> { ["AmountDue"] = JsonRead.Int64(obj, "amount_due"), ["NextPaymentAttempt"] = JsonRead.UnixTime(obj, "next_payment_attempt") ?? JsonRead.UnixTime(obj, "period_end") })],
                });
            case "charge.dispute.created":
                // A dispute names its charge, not the customer; without an expanded customer it cannot be attributed
                // here (acknowledged and counted as ignored).
                var disputeCustomer = customer ?? JsonRead.String(obj, "charge", "customer");
                return Count(disputeCustomer, day, nameof(DailySignals.DisputesOpened));
            case "charge.refunded":
                return Count(customer, day, nameof(DailySignals.Refunds));
            default:
                return EventMapping.Ignored;
        }
    }

    // An invoice or charge without a customer (a one-off charge, a guest payment) is nobody's: acknowledged, ignored.
    private static EventMapping Count(string? customer, DateOnly day, string counter) => customer is null ? EventMapping.Ignored : EventMapping.Apply(new AccountEvent
    {
        IdKind = ExternalIdKinds.StripeCustomer,
        ExternalId = customer,
        Day = day,
        Counters = { [counter] = 1 },
    });

    /// <summary>MRR = sum over licensed items of unit amount × quantity, normalized to a month; the billing period (days) of the first priced item.</summary>
    private static (long Mrr, string? Plan, int Seats, DateTimeOffset? PeriodEnd, int? PeriodDays) ReadItems(JsonElement subscription)
    {
        int? periodDays = null;
        long mrr = 0;
        string? plan = null;
        var seats = 0;
        DateTimeOffset? periodEnd = null;
        if (JsonRead.Path(subscription, "items", "data") is { ValueKind: JsonValueKind.Array } items)
        {
            foreach (var item in items.EnumerateArray())
            {
                var quantity = JsonRead.Int64(item, "quantity") ?? 1;
                var price = JsonRead.Path(item, "price") ?? JsonRead.Path(item, "plan");
                if (price is not { } p)
                {
                    continue;
                }

                var amount = JsonRead.Int64(p, "unit_amount") ?? JsonRead.Int64(p, "amount") ?? 0;
                var interval = JsonRead.String(p, "recurring", "interval") ?? JsonRead.String(p, "interval") ?? "month";
                var count = Math.Max(1, JsonRead.Int64(p, "recurring", "interval_count") ?? JsonRead.Int64(p, "interval_count") ?? 1);
                var perPeriod = amount * quantity;
                mrr += interval switch
                {
                    "year" => perPeriod / (12 * count),
                    "week" => perPeriod * 52 / (12 * count),
                    "day" => perPeriod * 365 / (12 * count),
                    _ => perPeriod / count,
                };
                seats += (int)quantity;
                periodDays ??= (int)(interval switch { "year" => 365 * count, "week" => 7 * count, "day" => count, _ => 30 * count });
                plan ??= JsonRead.String(p, "nickname") ?? JsonRead.String(p, "lookup_key") ?? JsonRead.String(p, "id");
                periodEnd ??= JsonRead.UnixTime(item, "current_period_end");
            }
        }

        return (mrr, plan, seats, periodEnd, periodDays);
    }
}
