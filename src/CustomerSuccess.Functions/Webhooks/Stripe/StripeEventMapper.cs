using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Stripe;

/// <summary>
/// Maps Stripe events to account facts. Total: any JSON gives an event, <see cref="EventMapping.Ignored"/> (an event
/// type this product does not use, or an invoice or charge of nobody's) or a rejection naming what is wrong.
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
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Created(root) is not { } at)
            {
                return EventMapping.Rejected(CreatedRule);
            }

            if (JsonRead.Path(root, "data", "object") is not { ValueKind: JsonValueKind.Object } obj)
            {
                return EventMapping.Rejected("missing data.object");
            }

            var customer = JsonRead.String(obj, "customer");
            AccountEvent Of(string customerId, string? accountId, params AccountFact[] facts) => new()
            {
                Account = new ExternalIdRef(ExternalIdKinds.StripeCustomer, customerId),
                NamedAccountId = accountId,
                OccurredAt = at,
                Facts = facts,
            };

            switch (eventType)
            {
                case "customer.created" or "customer.updated":
                    return JsonRead.String(obj, "id") is { Length: > 0 } id
                        ? EventMapping.Apply(Of(id, JsonRead.String(obj, "metadata", "account_id"), new ProfileUpdated(
                            "stripe",
                            JsonRead.String(obj, "name") ?? JsonRead.String(obj, "description"),
                            CsmEmail: JsonRead.String(obj, "metadata", "csm_email"),
                            BillingEmail: JsonRead.String(obj, "email"))))
                        : EventMapping.Rejected("a customer event needs data.object.id");

                case "customer.subscription.created" or "customer.subscription.updated" or "customer.subscription.deleted"
                    or "customer.subscription.paused" or "customer.subscription.resumed" or "customer.subscription.trial_will_end":
                    if (customer is null || JsonRead.String(obj, "id") is not { Length: > 0 } subscriptionId)
                    {
                        return EventMapping.Rejected("a subscription event needs data.object.id and data.object.customer (a customer id)");
                    }

                    var status = eventType == "customer.subscription.deleted" ? "canceled" : JsonRead.String(obj, "status") ?? "unknown";
                    var (mrr, plan, seats, periodEnd, periodDays) = ReadItems(obj);
                    return EventMapping.Apply(Of(customer, JsonRead.String(obj, "metadata", "account_id"), new SubscriptionChanged(
                        subscriptionId,
                        RevenueStatuses.Contains(status) ? mrr : 0,
                        plan,
                        seats,
                        status,
                        JsonRead.Bool(obj, "cancel_at_period_end") ?? false,
                        JsonRead.UnixTime(obj, "current_period_end") ?? periodEnd,
                        JsonRead.UnixTime(obj, "start_date"),
                        periodDays,
                        JsonRead.UnixTime(obj, "cancel_at"))));

                case "invoice.paid":
                    return customer is null ? EventMapping.Ignored : EventMapping.Apply(Of(customer, null, new PaymentSucceeded()));
                case "invoice.payment_failed" or "invoice.payment_action_required":
                    // Action required (e.g. 3-D Secure) blocks collection just as a failure does until the customer acts.
                    return customer is null ? EventMapping.Ignored : EventMapping.Apply(Of(customer, null, new PaymentFailed()));
                case "invoice.upcoming":
                    return customer is null ? EventMapping.Ignored : EventMapping.Apply(Of(customer, null, new InvoiceUpcoming(
                        JsonRead.Int64(obj, "amount_due"),
                        JsonRead.UnixTime(obj, "next_payment_attempt") ?? JsonRead.UnixTime(obj, "period_end"))));
                case "charge.dispute.created":
                    // A dispute names its charge, not the customer; without an expanded customer it cannot be attributed
                    // here (acknowledged and archived as ignored).
                    var disputeCustomer = customer ?? JsonRead.String(obj, "charge", "customer");
                    return disputeCustomer is null ? EventMapping.Ignored : EventMapping.Apply(Of(disputeCustomer, null, new DisputeOpened()));
                case "charge.refunded":
                    return customer is null ? EventMapping.Ignored : EventMapping.Apply(Of(customer, null, new RefundIssued()));
                default:
                    return EventMapping.Ignored;
            }
        }
    }

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
