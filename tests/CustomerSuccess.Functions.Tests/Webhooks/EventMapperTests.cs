using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Webhooks.Stripe;

namespace CustomerSuccess.Functions.Tests.Webhooks;

public sealed class EventMapperTests
{
    private static string Subscription(string interval, int amount, int quantity, string status = "active") => """
        {"id":"evt_1","object":"event","type":"customer.subscription.updated","created":1763769600,
         "data":{"object":{"id":"sub_1","object":"subscription","customer":"cus_1","status":"@STATUS","cancel_at_period_end":true,
           "current_period_end":1766448000,"start_date":1761177600,
           "items":{"object":"list","data":[{"id":"si_1","quantity":@QUANTITY,"price":{"id":"price_1","nickname":"Scale","unit_amount":@AMOUNT,"recurring":{"interval":"@INTERVAL","interval_count":1}}}]}}}}
        """
        .Replace("@STATUS", status, StringComparison.Ordinal)
        .Replace("@QUANTITY", quantity.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("@AMOUNT", amount.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("@INTERVAL", interval, StringComparison.Ordinal);

    [Theory]
    [InlineData("month", 4900, 10, 49000)]
    [InlineData("year", 120000, 2, 20000)]
    public void Stripe_SubscriptionMrr_NormalizedToMonth(string interval, int amount, int quantity, long expectedMrr)
    {
        var mapped = StripeEventMapper.Map("customer.subscription.updated", Subscription(interval, amount, quantity)).Effect;

        Assert.NotNull(mapped?.Subscription);
        Assert.Equal(expectedMrr, mapped.Subscription.MrrCents);
        Assert.Equal(quantity, mapped.Subscription.Seats);
        Assert.Equal("Scale", mapped.Subscription.Plan);
        Assert.True(mapped.Subscription.CancelAtPeriodEnd);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1766448000), mapped.Subscription.CurrentPeriodEnd);
        Assert.Equal((ExternalIdKinds.StripeCustomer, "cus_1"), (mapped.IdKind, mapped.ExternalId));
    }

    [Theory]
    [InlineData("month", 30)]
    [InlineData("year", 365)]
    [InlineData("week", 7)]
    public void Stripe_Subscription_BillingPeriodInDays(string interval, int expectedDays) =>
        Assert.Equal(expectedDays, StripeEventMapper.Map("customer.subscription.updated", Subscription(interval, 4900, 1)).Effect!.Subscription!.BillingPeriodDays);

    [Theory]
    [InlineData("trialing")]
    [InlineData("paused")]
    [InlineData("canceled")]
    public void Stripe_NonRevenueStatus_ZeroMrr(string status) =>
        Assert.Equal(0, StripeEventMapper.Map("customer.subscription.updated", Subscription("month", 4900, 10, status)).Effect!.Subscription!.MrrCents);

    [Fact]
    public void Stripe_UnusedEventType_Ignored() =>
        Assert.Same(EventMapping.Ignored, StripeEventMapper.Map("product.created", """{"id":"evt_1","created":1,"data":{"object":{"id":"prod_1"}}}"""));

    [Theory]
    [InlineData(null, 5000, false, "New")]
    [InlineData(0L, 5000, true, "Reactivation")]
    [InlineData(5000L, 7000, false, "Expansion")]
    [InlineData(5000L, 3000, false, "Contraction")]
    [InlineData(5000L, 0, false, "Churn")]
    [InlineData(5000L, 5000, false, "None")]
    public void MrrMovement_Classified(long? before, long after, bool churnedBefore, string expected) =>
        Assert.Equal(expected, MrrMovementClassifier.Classify(before, after, churnedBefore).ToString());
}
