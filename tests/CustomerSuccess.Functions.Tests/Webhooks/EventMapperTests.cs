using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>The provider mappers: provider JSON in, typed facts out (pure).</summary>
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

    private static SubscriptionChanged StripeSubscription(string json)
    {
        var mapped = StripeEventMapper.Map("customer.subscription.updated", json).Event;
        Assert.NotNull(mapped);
        return Assert.IsType<SubscriptionChanged>(Assert.Single(mapped.Facts));
    }

    [Fact]
    public void Stripe_SubscriptionCancelAt_IsTheNotice()
    {
        var json = Subscription("month", 4900, 10).Replace("\"cancel_at_period_end\":true,", "\"cancel_at_period_end\":false,\"cancel_at\":1766448000,", StringComparison.Ordinal);

        var subscription = StripeSubscription(json);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1766448000), subscription.CancelAt);
        Assert.True(subscription.NoticeGiven);
        Assert.Null(StripeSubscription(Subscription("month", 4900, 10)).CancelAt);
    }

    [Theory]
    [InlineData("month", 4900, 10, 49000)]
    [InlineData("year", 120000, 2, 20000)]
    public void Stripe_SubscriptionMrr_NormalizedToMonth(string interval, int amount, int quantity, long expectedMrr)
    {
        var mapped = StripeEventMapper.Map("customer.subscription.updated", Subscription(interval, amount, quantity)).Event!;
        var subscription = StripeSubscription(Subscription(interval, amount, quantity));

        Assert.Equal(expectedMrr, subscription.MrrCents);
        Assert.Equal(quantity, subscription.Seats);
        Assert.Equal("Scale", subscription.Plan);
        Assert.True(subscription.CancelAtPeriodEnd);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1766448000), subscription.CurrentPeriodEnd);
        Assert.Equal(new ExternalIdRef(ExternalIdKinds.StripeCustomer, "cus_1"), mapped.Account);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1763769600), mapped.OccurredAt);
    }

    [Theory]
    [InlineData("month", 30)]
    [InlineData("year", 365)]
    [InlineData("week", 7)]
    public void Stripe_Subscription_BillingPeriodInDays(string interval, int expectedDays) =>
        Assert.Equal(expectedDays, StripeSubscription(Subscription(interval, 4900, 1)).BillingPeriodDays);

    [Theory]
    [InlineData("trialing")]
    [InlineData("paused")]
    [InlineData("canceled")]
    public void Stripe_NonRevenueStatus_ZeroMrr(string status) =>
        Assert.Equal(0, StripeSubscription(Subscription("month", 4900, 10, status)).MrrCents);

    [Fact]
    public void Stripe_UnusedEventType_Ignored() =>
        Assert.Same(EventMapping.Ignored, StripeEventMapper.Map("product.created", """{"id":"evt_1","created":1,"data":{"object":{"id":"prod_1"}}}"""));

    [Fact]
    public void Stripe_CustomerWithoutId_RejectedWithTheReason() =>
        Assert.Equal("a customer event needs data.object.id", StripeEventMapper.Map("customer.updated", """{"id":"evt_1","created":1,"data":{"object":{"name":"x"}}}""").Rejection);

    [Fact]
    public void Segment_TrackOfConfiguredNames_EveryMeaningAsAFact()
    {
        var product = new ProductOptions { FirstValueMilestone = "Report Exported", KeyFeatures = ["report exported"], LoginEvents = ["Report Exported"] };
        var json = """{"type":"track","messageId":"m1","userId":"u1","groupId":"g1","event":"Report Exported","timestamp":"2025-11-22T00:01:41Z"}""";

        var mapped = SegmentEventMapper.Map(json, product).Event!;

        Assert.Equal(new ExternalIdRef(ExternalIdKinds.SegmentGroup, "g1"), mapped.Account);
        Assert.Equal("g1", mapped.NamedAccountId);
        Assert.Equal(
            [new ProductEventCounted(), new UserActive("u1"), new LoggedIn(), new MilestoneReached("Report Exported"), new FeatureUsed("report exported")],
            mapped.Facts);
    }

    [Theory]
    [InlineData("""{"rating":3}""", 3)]
    [InlineData("""{"rating":10}""", 10)]
    [InlineData("""{"rating":11}""", null)]
    [InlineData("""{"rating":"7"}""", null)]
    [InlineData("""{"score":3}""", null)]
    public void Segment_NpsEventWithTheConfiguredProperty_IsAResponse(string properties, int? expected)
    {
        var product = new ProductOptions { NpsEvent = "Survey Answered", NpsScoreProperty = "rating" };
        var json = """{"type":"track","messageId":"m1","userId":"u1","groupId":"g1","event":"survey answered","properties":@P,"timestamp":"2025-11-22T00:01:41Z"}""".Replace("@P", properties, StringComparison.Ordinal);

        var facts = SegmentEventMapper.Map(json, product).Event!.Facts;

        Assert.Equal(expected, facts.OfType<NpsResponded>().SingleOrDefault()?.Score);
        Assert.Contains(new ProductEventCounted(), facts);
    }

    [Fact]
    public void Segment_DataExportEvent_IsARequest()
    {
        var json = """{"type":"track","messageId":"m1","userId":"u1","groupId":"g1","event":"Data Export Requested","timestamp":"2025-11-22T00:01:41Z"}""";

        Assert.Single(SegmentEventMapper.Map(json, new ProductOptions()).Event!.Facts.OfType<DataExportRequested>());
        Assert.Empty(SegmentEventMapper.Map(json, new ProductOptions { DataExportEvents = ["Export Asked"] }).Event!.Facts.OfType<DataExportRequested>());
    }

    [Theory]
    [InlineData("Renewal Meeting Held", true, true, false)]
    [InlineData("QBR Attended", true, false, true)]
    [InlineData("Meeting Held", false, true, false)]
    [InlineData("Email Replied", false, false, false)]
    public void Segment_MeetingEvents_HeldMeetingsAndRenewalConversations(string name, bool renewal, bool meeting, bool qbr)
    {
        var json = """{"type":"track","messageId":"m1","userId":"u1","groupId":"g1","event":"@E","timestamp":"2025-11-22T00:01:41Z"}""".Replace("@E", name, StringComparison.Ordinal);

        var facts = SegmentEventMapper.Map(json, new ProductOptions()).Event!.Facts;

        Assert.Equal(renewal, facts.OfType<RenewalConversationHeld>().Any());
        Assert.Equal(meeting, facts.OfType<MeetingHeld>().Any());
        Assert.Equal(qbr, facts.OfType<QbrHeld>().Any());
        Assert.Equal(renewal || meeting || qbr, facts.Contains(new MeetingLogged(MeetingOutcome.Held)));
    }

    [Theory]
    [InlineData("""{"starts_at":"2025-11-25T15:00:00Z"}""", true)]
    [InlineData("""{"starts_at":"next week"}""", false)]
    [InlineData("""{}""", false)]
    public void Segment_MeetingScheduled_LoggedAtItsStartWhenReadable(string properties, bool logged)
    {
        var json = """{"type":"track","messageId":"m1","userId":"u1","groupId":"g1","event":"Meeting Scheduled","properties":@P,"timestamp":"2025-11-22T00:01:41Z"}""".Replace("@P", properties, StringComparison.Ordinal);

        var facts = SegmentEventMapper.Map(json, new ProductOptions()).Event!.Facts;

        Assert.Equal(logged ? [new MeetingLogged(MeetingOutcome.Scheduled, new DateTimeOffset(2025, 11, 25, 15, 0, 0, TimeSpan.Zero))] : [], facts.OfType<MeetingLogged>().ToList());
        Assert.Contains(new ProductEventCounted(), facts);
    }

    [Fact]
    public void Segment_NoShowEvent_ConfiguredName_IsAMissedMeeting()
    {
        var json = """{"type":"track","messageId":"m1","userId":"u1","groupId":"g1","event":"Call Missed","timestamp":"2025-11-22T00:01:41Z"}""";

        Assert.Empty(SegmentEventMapper.Map(json, new ProductOptions()).Event!.Facts.OfType<MeetingLogged>());
        Assert.Equal(
            new MeetingLogged(MeetingOutcome.NoShow),
            Assert.Single(SegmentEventMapper.Map(json, new ProductOptions { MeetingNoShowEvents = ["call missed"] }).Event!.Facts.OfType<MeetingLogged>()));
    }

    [Theory]
    [InlineData("""{"firstName":"Ada","name":"Augusta King"}""", "Ada")]
    [InlineData("""{"first_name":"Ada"}""", "Ada")]
    [InlineData("""{"name":"  Pat Lee "}""", "Pat")]
    [InlineData("""{"email":"x@y.example"}""", null)]
    public void Segment_Identify_FirstNameFromTraits(string traits, string? expected)
    {
        var json = """{"type":"identify","messageId":"m1","userId":"u1","groupId":"g1","timestamp":"2025-11-22T00:00:00Z","traits":@T}""".Replace("@T", traits, StringComparison.Ordinal);

        var user = Assert.IsType<UserSeen>(Assert.Single(SegmentEventMapper.Map(json, new ProductOptions()).Event!.Facts));

        Assert.Equal(expected, user.FirstName);
    }

    [Theory]
    [InlineData("""{"department":"Finance","title":"VP"}""", "Finance")]
    [InlineData("""{"team":"Data"}""", "Data")]
    [InlineData("""{"title":"VP"}""", null)]
    public void Segment_Identify_DepartmentOrTeamTrait(string traits, string? expected)
    {
        var json = """{"type":"identify","messageId":"m1","userId":"u1","groupId":"g1","timestamp":"2025-11-22T00:00:00Z","traits":@T}""".Replace("@T", traits, StringComparison.Ordinal);

        var user = Assert.IsType<UserSeen>(Assert.Single(SegmentEventMapper.Map(json, new ProductOptions()).Event!.Facts));

        Assert.Equal(expected, user.Department);
    }

    [Fact]
    public void Segment_TrackOfAHigherTierFeature_Tried()
    {
        var json = """{"type":"track","messageId":"m1","userId":"u1","groupId":"g1","event":"sso configured","timestamp":"2025-11-22T00:01:41Z"}""";

        var facts = SegmentEventMapper.Map(json, new ProductOptions { HigherTierFeatures = ["SSO Configured"] }).Event!.Facts;

        Assert.Equal(new HigherTierFeatureTried("SSO Configured"), Assert.Single(facts.OfType<HigherTierFeatureTried>()));
        Assert.Empty(SegmentEventMapper.Map(json, new ProductOptions()).Event!.Facts.OfType<HigherTierFeatureTried>());
    }

    [Fact]
    public void Zendesk_TicketCreatedWithComplaintTag_TicketAndCounterFacts()
    {
        var json = """{"type":"zen:event-type:ticket.created","id":"z1","time":"2025-11-22T00:05:00Z","detail":{"id":"5158","organization_id":"8447","priority":"URGENT","status":"NEW","type":"INCIDENT","tags":["exports","Complaint"]},"event":{}}""";

        var mapped = ZendeskEventMapper.Map("zen:event-type:ticket.created", json, new ProductOptions()).Event!;

        Assert.Equal(new ExternalIdRef(ExternalIdKinds.ZendeskOrganization, "8447"), mapped.Account);
        Assert.Equal([new TicketChanged("5158", "new", "urgent", "incident", "exports,Complaint", true), new TicketOpened(true)], mapped.Facts);
    }

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
