using System.Globalization;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Applying stored events to account state: ordering, idempotency, identity resolution, replay. After every test,
/// each account's digest must project to what its partition does.
/// </summary>
public sealed class AccountEventApplierTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly InMemoryTableStore _store = new();
    private readonly ManualTimeProvider _clock = new(Now);
    private readonly WebhookDeliveryStore _deliveries;
    private readonly AccountEventApplier _applier;
    private readonly AccountSignalReader _reader;

    public AccountEventApplierTests()
    {
        _deliveries = new WebhookDeliveryStore(_store);
        var signals = new SignalsOptions { FirstValueMilestones = ["Report Exported"], KeyFeatures = ["Report Exported"] };
        _applier = TestAppliers.Create(_store, _clock, signals, _deliveries);
        _reader = new AccountSignalReader(_store);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var digest in _store.Rows(AccountDigestStore.Table))
        {
            await DigestAssert.MatchesPartitionAsync(_store, digest.RowKey, DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime));
        }
    }

    private static string Fixture(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));

    private async Task<string?> StoreAndApplyAsync(WebhookProvider provider, string eventId, string type, string json)
    {
        await _deliveries.InsertAsync(provider, new WebhookEvent(eventId, type, null, json), new Dictionary<string, string>(), Now, CancellationToken.None);
        return await _applier.ApplyAsync(provider, eventId, CancellationToken.None);
    }

    private static string SubscriptionEvent(string eventId, long created, int quantity, string status = "active", string type = "customer.subscription.updated")
    {
        var node = JsonNode.Parse(Fixture("Stripe/customer.subscription.updated.json"))!;
        node["id"] = eventId;
        node["type"] = type;
        node["created"] = created;
        node["data"]!["object"]!["items"]!["data"]![0]!["quantity"] = quantity;
        node["data"]!["object"]!["status"] = status;
        return node.ToJsonString();
    }

    private async Task LinkAcmeStripeCustomerAsync() =>
        await _applier.LinkAsync("acme-corp", ExternalIdKinds.StripeCustomer, "cus_RYx8n1H3dq9ZpA", CancellationToken.None);

    private TableEntity? SignalRow(string account, string rowKey) =>
        _store.Rows(AccountSignalWriter.Table).SingleOrDefault(r => r.PartitionKey == account && r.RowKey == rowKey);

    [Fact]
    public async Task Subscription_OutOfOrderUpdates_OlderNeverOverwritesNewer()
    {
        await LinkAcmeStripeCustomerAsync();
        await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_a", "customer.subscription.created", SubscriptionEvent("evt_a", 1763769600, 20, type: "customer.subscription.created"));
        await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_c", "customer.subscription.updated", SubscriptionEvent("evt_c", 1763769900, 30));
        var late = await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_b", "customer.subscription.updated", SubscriptionEvent("evt_b", 1763769700, 25));

        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        Assert.Equal("applied", late);
        Assert.Equal(30, signals.LicensedSeats);
        Assert.Equal(30 * 4900, signals.MrrCents);
        Assert.Equal("Growth", signals.Plan);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1766448000), signals.RenewalDate);
        var movements = _store.Rows(AccountSignalWriter.Table).Where(r => r.RowKey.StartsWith("~mrr|", StringComparison.Ordinal)).ToList();
        Assert.Equal(["Expansion", "New"], movements.Select(m => m.GetString("Kind")!).Order(StringComparer.Ordinal));
        Assert.Equal(30 * 4900, signals.Days.Sum(d => d.MrrDeltaCents));
    }

    [Fact]
    public async Task Subscription_DeletedThenReactivated_ChurnAndReactivationRecorded()
    {
        await LinkAcmeStripeCustomerAsync();
        await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_1", "customer.subscription.created", SubscriptionEvent("evt_1", 1763769600, 10, type: "customer.subscription.created"));
        await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_2", "customer.subscription.deleted", SubscriptionEvent("evt_2", 1763769700, 10, "canceled", "customer.subscription.deleted"));
        var churned = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);
        await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_3", "customer.subscription.updated", SubscriptionEvent("evt_3", 1763769800, 12));

        var kinds = _store.Rows(AccountSignalWriter.Table).Where(r => r.RowKey.StartsWith("~mrr|", StringComparison.Ordinal)).Select(r => r.GetString("Kind")!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["Churn", "New", "Reactivation"], kinds);
        Assert.Equal(0, churned.MrrCents);
        Assert.NotNull(churned.ChurnedAt);
    }

    [Fact]
    public void RevenueRetention_FromMovements()
    {
        var (nrr, grr) = RevenueRetention.Compute(100_000, expansionCents: 20_000, contractionCents: -5_000, churnCents: -10_000);
        Assert.Equal(1.05, nrr, 3);
        Assert.Equal(0.85, grr, 3);
    }

    [Fact]
    public async Task SameEventAppliedConcurrently_CountsOnce()
    {
        await LinkAcmeStripeCustomerAsync();
        var json = Fixture("Stripe/invoice.payment_failed.json");
        await _deliveries.InsertAsync(WebhookProvider.Stripe, new WebhookEvent("evt_1QgA1bLkdIwHu7ixPmF4aD2s", "invoice.payment_failed", null, json), new Dictionary<string, string>(), Now, CancellationToken.None);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _applier.ApplyAsync(WebhookProvider.Stripe, "evt_1QgA1bLkdIwHu7ixPmF4aD2s", CancellationToken.None))));

        Assert.Contains("applied", outcomes);
        var day = SignalRow("acme-corp", "day|2025-11-22");
        Assert.Equal(1, day!.GetInt64("PaymentsFailed"));
    }

    [Fact]
    public async Task ZendeskTicket_ForUnlinkedOrganization_ParkedThenAppliedWhenLinked()
    {
        var outcome = await StoreAndApplyAsync(WebhookProvider.Zendesk, "cbe4028c-7239-495d-b020-f22348516046", "zen:event-type:ticket.created", Fixture("Zendesk/ticket.created.json"));
        var unlinked = await new AccountIdentity(_store).ListUnlinkedAsync(CancellationToken.None);

        Assert.Equal("parked", outcome);
        var id = Assert.Single(unlinked);
        Assert.Equal((ExternalIdKinds.ZendeskOrganization, "8447346620158", 1), (id.Kind, id.ExternalId, id.PendingEvents));
        Assert.Empty(_store.Rows(AccountSignalWriter.Table));

        var (linkOutcome, _, applied) = await _applier.LinkAsync("acme-corp", ExternalIdKinds.ZendeskOrganization, "8447346620158", CancellationToken.None);
        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        Assert.Equal(LinkOutcome.Linked, linkOutcome);
        Assert.Equal(1, applied);
        Assert.Empty(await new AccountIdentity(_store).ListUnlinkedAsync(CancellationToken.None));
        Assert.Equal(1, Assert.Single(signals.Days).TicketsOpened);
        Assert.Equal(1, signals.Days[0].UrgentOrHighTicketsOpened);
        Assert.Equal(1, signals.OpenUrgentTickets);
        Assert.Equal(1, signals.OpenComplaints);
    }

    [Fact]
    public async Task ZendeskTicket_SolvedThenLateCreated_StaysSolved()
    {
        await _applier.LinkAsync("acme-corp", ExternalIdKinds.ZendeskOrganization, "8447346620158", CancellationToken.None);
        await StoreAndApplyAsync(WebhookProvider.Zendesk, "1d0c6f0e-6a2b-4f39-a1c5-6d1f4d0b9e77", "zen:event-type:ticket.status_changed", Fixture("Zendesk/ticket.status_changed.json"));
        await StoreAndApplyAsync(WebhookProvider.Zendesk, "cbe4028c-7239-495d-b020-f22348516046", "zen:event-type:ticket.created", Fixture("Zendesk/ticket.created.json"));

        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        Assert.Equal("solved", SignalRow("acme-corp", "ticket|5158")!.GetString("Status"));
        Assert.Equal(0, signals.OpenUrgentTickets);
        Assert.Equal(1, signals.Days.Single().TicketsSolved);
        Assert.Equal(1, signals.Days.Single().TicketsOpened);
    }

    [Fact]
    public async Task StripeCustomer_WithAccountIdMetadata_LinksItself()
    {
        var outcome = await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_1QfQyeLkdIwHu7ixk3Jc7vQa", "customer.created", Fixture("Stripe/customer.created.json"));
        var page = await _reader.ReadPageAsync(0, 1, new DateOnly(2025, 11, 22), null, 10, CancellationToken.None);

        Assert.Equal("applied", outcome);
        var account = Assert.Single(page.Accounts);
        Assert.Equal("acme-corp", account.AccountId);
        Assert.Equal("Acme Corp", account.Name);
        Assert.Equal("dana@vendor.example", account.CsmEmail);
    }

    [Fact]
    public async Task SegmentBatch_UsageAggregatedPerDay_ActiveUsersDistinct()
    {
        await _applier.LinkAsync("acme-corp", ExternalIdKinds.SegmentGroup, "grp_acme", CancellationToken.None);
        await StoreAndApplyAsync(WebhookProvider.Segment, "ajs-1", "identify", Fixture("Segment/identify.json"));
        var batch = JsonNode.Parse(Fixture("Segment/batch.json"))!["batch"]!.AsArray();
        foreach (var message in batch)
        {
            await StoreAndApplyAsync(WebhookProvider.Segment, message!["messageId"]!.GetValue<string>(), message["type"]!.GetValue<string>(), message.ToJsonString());
        }

        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        var day = Assert.Single(signals.Days);
        Assert.Equal(2, day.Events);
        Assert.Equal(1, day.ActiveUsers);
        Assert.Equal(1, signals.ActiveUsers7d);
        Assert.True(signals.Relationship.HasChampion);
        Assert.True(signals.Relationship.ChampionActive);
        Assert.Contains("Report Exported", signals.KeyFeaturesUsed30d);
        Assert.Equal(DateTimeOffset.Parse("2025-11-22T00:01:41Z", CultureInfo.InvariantCulture), signals.Milestones["Report Exported"]);
        Assert.Equal("growth", signals.Plan);
        Assert.Equal(25, signals.LicensedSeats);
    }

    [Fact]
    public async Task SegmentTracksFromOneUserOnOneDay_LaterOnesNeedNoLinkOrActiveUserLookup()
    {
        var counting = new CountingTableStore(_store);
        var deliveries = new WebhookDeliveryStore(counting);
        var applier = TestAppliers.Create(counting, _clock, deliveries: deliveries);
        await applier.LinkAsync("acme-corp", ExternalIdKinds.SegmentGroup, "grp_acme", CancellationToken.None);
        var track = JsonNode.Parse(Fixture("Segment/batch.json"))!["batch"]!.AsArray().First(m => m!["type"]!.GetValue<string>() == "track")!;
        async Task<string?> TrackAsync(string messageId)
        {
            var message = track.DeepClone();
            message["messageId"] = messageId;
            await deliveries.InsertAsync(WebhookProvider.Segment, new WebhookEvent(messageId, "track", null, message.ToJsonString()), new Dictionary<string, string>(), Now, CancellationToken.None);
            return await applier.ApplyAsync(WebhookProvider.Segment, messageId, CancellationToken.None);
        }

        var first = await TrackAsync("ajs-t1");
        var firstActiveUserLookups = counting.Gets(AccountSignalWriter.Table, "~dau|");
        counting.Reset();
        var second = await TrackAsync("ajs-t2");
        var third = await TrackAsync("ajs-t3");
        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        Assert.Equal(("applied", "applied", "applied"), (first, second, third));
        Assert.Equal(1, firstActiveUserLookups); // the user had not been counted that day yet
        Assert.Equal(0, counting.Gets(AccountIdentity.LinksTable));
        Assert.Equal(0, counting.Gets(AccountSignalWriter.Table, "~dau|"));
        Assert.Equal(0, counting.Gets(AccountDigestStore.Table)); // merged onto the digest this writer last stored
        Assert.Equal((1, 3), (signals.Days.Single().ActiveUsers, signals.Days.Single().Events));
    }

    [Fact]
    public async Task TwoInstancesTakingTurnsOnOneAccount_EachMergesOntoTheOthersDigest()
    {
        // Two app instances: each keeps the digest it last wrote; the other's write in between makes that copy stale.
        var signals = new FixedOptions<SignalsOptions>(new SignalsOptions());
        var instances = Enumerable.Range(0, 2)
            .Select(_ => TestAppliers.Create(_store, _clock, signals.CurrentValue, _deliveries))
            .ToArray();
        await instances[0].LinkAsync("acme-corp", ExternalIdKinds.SegmentGroup, "grp_acme", CancellationToken.None);
        var track = JsonNode.Parse(Fixture("Segment/batch.json"))!["batch"]!.AsArray().First(m => m!["type"]!.GetValue<string>() == "track")!;
        for (var i = 0; i < 5; i++)
        {
            var message = track.DeepClone();
            message["messageId"] = $"ajs-turn-{i}";
            await _deliveries.InsertAsync(WebhookProvider.Segment, new WebhookEvent($"ajs-turn-{i}", "track", null, message.ToJsonString()), new Dictionary<string, string>(), Now, CancellationToken.None);
            Assert.Equal("applied", await instances[i % 2].ApplyAsync(WebhookProvider.Segment, $"ajs-turn-{i}", CancellationToken.None));
        }

        var day = (await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None)).Days.Single();

        Assert.Equal(5, day.Events); // from the digest; DisposeAsync checks it against the partition as well
    }

    [Fact]
    public async Task StripeEventsBeforeTheirCustomer_AppliedWhenTheCustomerNamesItsAccount()
    {
        var early = await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_pay", "invoice.payment_failed", Fixture("Stripe/invoice.payment_failed.json"));

        var linking = await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_1QfQyeLkdIwHu7ixk3Jc7vQa", "customer.created", Fixture("Stripe/customer.created.json"));
        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        Assert.Equal(("parked", "applied"), (early, linking));
        Assert.Equal(1, signals.Days.Sum(d => d.PaymentsFailed));
        Assert.Empty(await new AccountIdentity(_store).ListUnlinkedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SegmentTrackWithoutGroup_ParkedUnderTheUser_AppliedOnceTheUserIsSeenInAGroup()
    {
        var track = JsonNode.Parse(Fixture("Segment/batch.json"))!["batch"]!.AsArray().First(m => m!["type"]!.GetValue<string>() == "track")!.DeepClone();
        track["messageId"] = "ajs-orphan";
        track.AsObject().Remove("groupId");
        if (track["context"] is JsonObject context)
        {
            context.Remove("groupId");
        }

        var userId = track["userId"]!.GetValue<string>();
        var parked = await StoreAndApplyAsync(WebhookProvider.Segment, "ajs-orphan", "track", track.ToJsonString());
        var unlinkedBefore = await new AccountIdentity(_store).ListUnlinkedAsync(CancellationToken.None);

        var identify = JsonNode.Parse(Fixture("Segment/identify.json"))!;
        identify["userId"] = userId;
        identify["context"] ??= new JsonObject();
        identify["context"]!["groupId"] = "acme-corp";
        await StoreAndApplyAsync(WebhookProvider.Segment, "ajs-who", "identify", identify.ToJsonString());
        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        Assert.Equal("parked", parked);
        Assert.Equal((ExternalIdKinds.SegmentUser, userId), (Assert.Single(unlinkedBefore).Kind, unlinkedBefore[0].ExternalId));
        Assert.Equal(1, signals.Days.Sum(d => d.Events));
        Assert.Empty(await new AccountIdentity(_store).ListUnlinkedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SegmentGroup_WithProviderIdTraits_LinksThoseIdsAndDrainsWhatWasParked()
    {
        var ticket = await StoreAndApplyAsync(WebhookProvider.Zendesk, "cbe4028c-7239-495d-b020-f22348516046", "zen:event-type:ticket.created", Fixture("Zendesk/ticket.created.json"));
        var group = new JsonObject
        {
            ["type"] = "group",
            ["messageId"] = "ajs-group-1",
            ["userId"] = "usr_1",
            ["groupId"] = "acme-corp",
            ["timestamp"] = "2025-11-22T09:00:00Z",
            ["traits"] = new JsonObject { ["name"] = "Acme Corp", ["zendesk_organization_id"] = "8447346620158", ["stripe_customer_id"] = "cus_RYx8n1H3dq9ZpA" },
        };

        var outcome = await StoreAndApplyAsync(WebhookProvider.Segment, "ajs-group-1", "group", group.ToJsonString());
        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);
        var identity = new AccountIdentity(_store);

        Assert.Equal(("parked", "applied"), (ticket, outcome));
        Assert.Equal(1, signals.Days.Sum(d => d.TicketsOpened));
        Assert.Equal("acme-corp", await identity.ResolveAsync(ExternalIdKinds.StripeCustomer, "cus_RYx8n1H3dq9ZpA", CancellationToken.None));
        Assert.Equal("acme-corp", await identity.ResolveAsync(ExternalIdKinds.SegmentUser, "usr_1", CancellationToken.None));
        Assert.Empty(await identity.ListUnlinkedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SegmentGroup_WhenGroupIdsAreNotAccountIds_WaitsForALink()
    {
        var signals = new SignalsOptions { SegmentGroupIdIsAccountId = false };
        var applier = TestAppliers.Create(_store, _clock, signals, _deliveries);
        var group = new JsonObject { ["type"] = "group", ["messageId"] = "ajs-g", ["groupId"] = "grp_7", ["timestamp"] = "2025-11-22T09:00:00Z", ["traits"] = new JsonObject { ["plan"] = "growth" } };
        await _deliveries.InsertAsync(WebhookProvider.Segment, new WebhookEvent("ajs-g", "group", null, group.ToJsonString()), new Dictionary<string, string>(), Now, CancellationToken.None);

        var outcome = await applier.ApplyAsync(WebhookProvider.Segment, "ajs-g", CancellationToken.None);

        Assert.Equal("parked", outcome);
        Assert.Null(await new AccountIdentity(_store).ResolveAsync(ExternalIdKinds.SegmentGroup, "grp_7", CancellationToken.None));
    }

    [Fact]
    public async Task ZendeskOrganization_WithExternalId_LinksItselfAndDrainsItsTickets()
    {
        var ticket = await StoreAndApplyAsync(WebhookProvider.Zendesk, "cbe4028c-7239-495d-b020-f22348516046", "zen:event-type:ticket.created", Fixture("Zendesk/ticket.created.json"));
        var organization = new JsonObject
        {
            ["account_id"] = 22129848,
            ["id"] = "f4b5a1c2-0000-4000-8000-000000000001",
            ["time"] = "2025-11-22T10:00:00Z",
            ["type"] = "zen:event-type:organization.created",
            ["subject"] = "zen:organization:8447346620158",
            ["detail"] = new JsonObject { ["id"] = "8447346620158", ["external_id"] = "acme-corp", ["name"] = "Acme Corp" },
            ["event"] = new JsonObject(),
        };

        var outcome = await StoreAndApplyAsync(WebhookProvider.Zendesk, "f4b5a1c2-0000-4000-8000-000000000001", "zen:event-type:organization.created", organization.ToJsonString());
        var signals = await _reader.ReadAccountAsync("acme-corp", new DateOnly(2025, 11, 22), CancellationToken.None);

        Assert.Equal(("parked", "applied"), (ticket, outcome));
        Assert.Equal(1, signals.Days.Sum(d => d.TicketsOpened));
    }

    [Fact]
    public async Task Replay_ReappliesStoredEventsOnce()
    {
        await LinkAcmeStripeCustomerAsync();
        var json = Fixture("Stripe/invoice.payment_failed.json");
        await _deliveries.InsertAsync(WebhookProvider.Stripe, new WebhookEvent("evt_1QgA1bLkdIwHu7ixPmF4aD2s", "invoice.payment_failed", null, json), new Dictionary<string, string>(), Now, CancellationToken.None);

        var first = await _applier.ApplyStoredAsync(unappliedOnly: true, provider: null, max: 100, concurrency: 4, CancellationToken.None);
        var replay = await _applier.ApplyStoredAsync(unappliedOnly: false, provider: WebhookProvider.Stripe, max: 100, concurrency: 4, CancellationToken.None);
        var sweepAgain = await _applier.ApplyStoredAsync(unappliedOnly: true, provider: null, max: 100, concurrency: 4, CancellationToken.None);

        Assert.Equal(1, first.Applied);
        Assert.Equal(1, replay.Applied);
        Assert.Equal(0, sweepAgain.Seen);
        Assert.Equal(1, SignalRow("acme-corp", "day|2025-11-22")!.GetInt64("PaymentsFailed"));
        Assert.Equal("already applied", _store.Rows(WebhookDeliveryStore.Table).Single().GetString("Outcome"));
    }

    [Fact]
    public async Task UnknownEventType_AcknowledgedAndCountedAsIgnored()
    {
        var json = """{"id":"evt_x","object":"event","type":"product.created","created":1763769600,"data":{"object":{"id":"prod_1"}}}""";
        Assert.Equal("ignored", await StoreAndApplyAsync(WebhookProvider.Stripe, "evt_x", "product.created", json));
    }
}
