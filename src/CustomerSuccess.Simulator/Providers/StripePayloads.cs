using System.Text.Json.Nodes;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Providers;

/// <summary>
/// Stripe webhook bodies as Stripe documents them: an Event object wrapping the affected resource under
/// data.object, with data.previous_attributes on *.updated events. Written from the API reference shapes
/// (Event, Customer, Subscription with items, Invoice, Dispute); amounts in the smallest currency unit.
/// </summary>
internal static class StripePayloads
{
    /// <summary>The account's webhook endpoint version. Period fields are sent both on the subscription and its items (newer versions keep them on items only).</summary>
    public const string ApiVersion = "2024-06-20";

    public static JsonObject Event(string id, string type, DateTimeOffset created, JsonObject resource, JsonObject? previousAttributes = null, string? requestId = null)
    {
        var data = new JsonObject { ["object"] = resource };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes;
        }

        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = ApiVersion,
            ["created"] = created.ToUnixTimeSeconds(),
            ["data"] = data,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = requestId, ["idempotency_key"] = requestId },
            ["type"] = type,
        };
    }

    public static JsonObject Customer(SimulatedAccount account, SimulatedUser billingContact) => new()
    {
        ["id"] = account.StripeCustomerId,
        ["object"] = "customer",
        ["created"] = account.CustomerSince.ToUnixTimeSeconds(),
        ["currency"] = "usd",
        ["delinquent"] = false,
        ["description"] = account.Name,
        ["email"] = billingContact.Email,
        ["livemode"] = false,
        ["name"] = account.Name,
        ["metadata"] = new JsonObject
        {
            ["account_id"] = account.AccountId,
            ["csm_email"] = account.CsmEmail,
            ["segment"] = account.Segment.ToString(),
        },
    };

    public static JsonObject Subscription(SimulatedAccount account, DateTimeOffset? canceledAt = null, DateTimeOffset? endedAt = null)
    {
        var price = new JsonObject
        {
            ["id"] = account.PriceId,
            ["object"] = "price",
            ["active"] = true,
            ["billing_scheme"] = "per_unit",
            ["currency"] = "usd",
            ["nickname"] = account.Plan + (account.Interval == "year" ? " (annual)" : " (monthly)"),
            ["product"] = "prod_" + account.Plan.ToUpperInvariant(),
            ["recurring"] = new JsonObject { ["interval"] = account.Interval, ["interval_count"] = 1, ["usage_type"] = "licensed" },
            ["type"] = "recurring",
            ["unit_amount"] = account.UnitAmountCents,
        };
        var item = new JsonObject
        {
            ["id"] = account.SubscriptionItemId,
            ["object"] = "subscription_item",
            ["created"] = account.CustomerSince.ToUnixTimeSeconds(),
            ["current_period_start"] = account.PeriodStart.ToUnixTimeSeconds(),
            ["current_period_end"] = account.PeriodEnd.ToUnixTimeSeconds(),
            ["price"] = price,
            ["quantity"] = account.Seats,
            ["subscription"] = account.SubscriptionId,
        };
        return new JsonObject
        {
            ["id"] = account.SubscriptionId,
            ["object"] = "subscription",
            ["billing_cycle_anchor"] = account.CustomerSince.ToUnixTimeSeconds(),
            ["cancel_at"] = account.CancelAtPeriodEnd ? account.PeriodEnd.ToUnixTimeSeconds() : null,
            ["cancel_at_period_end"] = account.CancelAtPeriodEnd,
            ["canceled_at"] = canceledAt?.ToUnixTimeSeconds(),
            ["collection_method"] = "charge_automatically",
            ["created"] = account.CustomerSince.ToUnixTimeSeconds(),
            ["currency"] = "usd",
            ["current_period_start"] = account.PeriodStart.ToUnixTimeSeconds(),
            ["current_period_end"] = account.PeriodEnd.ToUnixTimeSeconds(),
            ["customer"] = account.StripeCustomerId,
            ["ended_at"] = endedAt?.ToUnixTimeSeconds(),
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(item),
                ["has_more"] = false,
                ["url"] = "/v1/subscription_items?subscription=" + account.SubscriptionId,
            },
            ["latest_invoice"] = account.OpenInvoiceId,
            ["livemode"] = false,
            ["metadata"] = new JsonObject { ["account_id"] = account.AccountId },
            ["plan"] = new JsonObject { ["id"] = account.PriceId, ["object"] = "plan", ["amount"] = account.UnitAmountCents, ["interval"] = account.Interval, ["currency"] = "usd" },
            ["quantity"] = account.Seats,
            ["start_date"] = account.CustomerSince.ToUnixTimeSeconds(),
            ["status"] = account.Status,
        };
    }

    public static JsonObject Invoice(SimulatedAccount account, string invoiceId, string chargeId, string status, int attemptCount, DateTimeOffset created, DateTimeOffset? nextAttempt, string billingReason)
    {
        var amount = account.UnitAmountCents * account.Seats;
        var paid = status == "paid";
        return new JsonObject
        {
            ["id"] = invoiceId,
            ["object"] = "invoice",
            ["account_name"] = "Customer Success Demo Co",
            ["amount_due"] = amount,
            ["amount_paid"] = paid ? amount : 0,
            ["amount_remaining"] = paid ? 0 : amount,
            ["attempt_count"] = attemptCount,
            ["attempted"] = attemptCount > 0,
            ["billing_reason"] = billingReason,
            ["charge"] = chargeId,
            ["collection_method"] = "charge_automatically",
            ["created"] = created.ToUnixTimeSeconds(),
            ["currency"] = "usd",
            ["customer"] = account.StripeCustomerId,
            ["customer_email"] = account.Users[0].Email,
            ["customer_name"] = account.Name,
            ["lines"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = "il_" + invoiceId[3..],
                    ["object"] = "line_item",
                    ["amount"] = amount,
                    ["currency"] = "usd",
                    ["description"] = $"{account.Seats} × {account.Plan} (per seat)",
                    ["period"] = new JsonObject { ["start"] = account.PeriodStart.ToUnixTimeSeconds(), ["end"] = account.PeriodEnd.ToUnixTimeSeconds() },
                    ["quantity"] = account.Seats,
                    ["subscription"] = account.SubscriptionId,
                }),
                ["has_more"] = false,
            },
            ["livemode"] = false,
            ["next_payment_attempt"] = nextAttempt?.ToUnixTimeSeconds(),
            ["paid"] = paid,
            ["parent"] = new JsonObject
            {
                ["type"] = "subscription_details",
                ["subscription_details"] = new JsonObject { ["subscription"] = account.SubscriptionId, ["metadata"] = new JsonObject { ["account_id"] = account.AccountId } },
            },
            ["period_start"] = account.PeriodStart.ToUnixTimeSeconds(),
            ["period_end"] = account.PeriodEnd.ToUnixTimeSeconds(),
            ["status"] = status,
            ["subscription"] = account.SubscriptionId,
            ["total"] = amount,
        };
    }

    public static JsonObject Dispute(string disputeId, string chargeId, long amount, string reason, DateTimeOffset created) => new()
    {
        ["id"] = disputeId,
        ["object"] = "dispute",
        ["amount"] = amount,
        ["charge"] = chargeId,
        ["created"] = created.ToUnixTimeSeconds(),
        ["currency"] = "usd",
        ["is_charge_refundable"] = false,
        ["livemode"] = false,
        ["metadata"] = new JsonObject(),
        ["payment_intent"] = "pi_" + chargeId[3..],
        ["reason"] = reason,
        ["status"] = "needs_response",
    };
}
