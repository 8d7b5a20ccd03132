using System.Globalization;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Telemetry;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Applying stored events to account state through the batch applier on Azurite: ordering, idempotency under
/// redelivery and replay, identity resolution (parked until linked), outcomes in the archive, the inbox emptied.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookApplierTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2025, 11, 22);
    private readonly ManualTimeProvider _clock = new(Now);
    private readonly TestEvents _events = new();
    private IngestionKit? _kit;

    private IngestionKit Kit => _kit ??= new IngestionKit(azurite.ConnectionString, _clock, new ProductOptions { FirstValueMilestone = "Report Exported", KeyFeatures = ["Report Exported"] });

    private Task<(LinkOutcome Outcome, string AccountId, int Applied)> LinkCustomerAsync() => Kit.LinkAsync(_events.Account, ExternalIdKinds.StripeCustomer, _events.Customer);

    private Task<string?> StripeAsync(string name, string type, string json) => Kit.StoreAndApplyAsync(WebhookProvider.Stripe, _events.Id(name), type, json);

    private Task<string?> ZendeskAsync(string name, string type, string fixture) => Kit.StoreAndApplyAsync(WebhookProvider.Zendesk, _events.Id(name), type, _events.Text(fixture));

    private Task<string?> SegmentAsync(string name, JsonNode message) => Kit.StoreAndApplyAsync(WebhookProvider.Segment, _events.Id(name), message["type"]!.GetValue<string>(), message.ToJsonString());

    private Task<AccountSignals> SignalsAsync() => Kit.SignalsAsync(_events.Account, Today);

    private async Task<AccountState> StateAsync() => (await Kit.States.ReadAsync(_events.Account, CancellationToken.None))!.State;

    [Fact]
    public async Task Subscription_OutOfOrderUpdates_OlderNeverOverwritesNewer()
    {
        await LinkCustomerAsync();
        await StripeAsync("a", "customer.subscription.created", _events.Subscription("a", 1763769600, 20, type: "customer.subscription.created"));
        await StripeAsync("c", "customer.subscription.updated", _events.Subscription("c", 1763769900, 30));
        var late = await StripeAsync("b", "customer.subscription.updated", _events.Subscription("b", 1763769700, 25));

        var signals = await SignalsAsync();

        Assert.Equal(DeliveryOutcomes.Applied, late);
        Assert.Equal(30, signals.LicensedSeats);
        Assert.Equal(30 * 4900, signals.MrrCents);
        Assert.Equal("Growth", signals.Plan);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1766448000), signals.RenewalDate);
        Assert.Equal([MrrMovementKind.New, MrrMovementKind.Expansion], (await StateAsync()).Movements.Select(m => m.Kind));
        Assert.Equal(30 * 4900, signals.Days.Sum(d => d.MrrDeltaCents));
    }

    [Fact]
    public async Task Subscription_DeletedThenReactivated_ChurnAndReactivationRecorded()
    {
        await LinkCustomerAsync();
        await StripeAsync("1", "customer.subscription.created", _events.Subscription("1", 1763769600, 10, type: "customer.subscription.created"));
        await StripeAsync("2", "customer.subscription.deleted", _events.Subscription("2", 1763769700, 10, "canceled", "customer.subscription.deleted"));
        var churned = await SignalsAsync();
        await StripeAsync("3", "customer.subscription.updated", _events.Subscription("3", 1763769800, 12));

        Assert.Equal([MrrMovementKind.New, MrrMovementKind.Churn, MrrMovementKind.Reactivation], (await StateAsync()).Movements.Select(m => m.Kind));
        Assert.Equal(0, churned.MrrCents);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1763769700), churned.ChurnedAt);
        Assert.Null((await SignalsAsync()).ChurnedAt);
    }

    [Fact]
    public async Task SameDeliveryInConcurrentPages_CountsOnce()
    {
        await LinkCustomerAsync();
        var delivery = await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("pay"), "invoice.payment_failed", _events.Text("Stripe/invoice.payment_failed.json"));

        // Eight pages at once, each with its own copy of the same inbox row (a sweep beside the hint workers, twice over).
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Kit.ApplyAsync(PendingDelivery.FromInbox(delivery.InboxKey!.Value, delivery.Row)!))));
        await Kit.Sweeper.InboxAsync(null, WebhookProvider.Stripe, 10, CancellationToken.None);

        Assert.Equal(1, (await SignalsAsync()).Days.Single().PaymentsFailed);
        Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("pay")));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("pay")));
    }

    [Fact]
    public async Task ZendeskTicket_ForUnlinkedOrganization_ParkedThenAppliedWhenLinked()
    {
        var outcome = await ZendeskAsync("ticket", "zen:event-type:ticket.created", "Zendesk/ticket.created.json");
        var unlinked = (await Kit.Identity.ListUnlinkedAsync(CancellationToken.None)).Where(u => u.ExternalId == _events.Organization).ToList();

        Assert.Equal(DeliveryOutcomes.Parked, outcome);
        Assert.Equal(DeliveryOutcomes.Parked, await Kit.ArchivedOutcomeAsync(WebhookProvider.Zendesk, _events.Id("ticket")));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Zendesk, _events.Id("ticket")));
        var id = Assert.Single(unlinked);
        Assert.Equal((ExternalIdKinds.ZendeskOrganization, 1), (id.Kind, id.PendingEvents));
        Assert.Null(await Kit.States.ReadAsync(_events.Account, CancellationToken.None));

        var (linkOutcome, _, applied) = await Kit.LinkAsync(_events.Account, ExternalIdKinds.ZendeskOrganization, _events.Organization);
        var signals = await SignalsAsync();

        Assert.Equal(LinkOutcome.Linked, linkOutcome);
        Assert.Equal(1, applied);
        Assert.DoesNotContain(await Kit.Identity.ListUnlinkedAsync(CancellationToken.None), u => u.ExternalId == _events.Organization);
        Assert.Equal(1, Assert.Single(signals.Days).TicketsOpened);
        Assert.Equal(1, signals.Days[0].UrgentOrHighTicketsOpened);
        Assert.Equal(1, signals.OpenUrgentTickets);
        Assert.Equal(1, signals.OpenComplaints);
        Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Zendesk, _events.Id("ticket")));
    }

    [Fact]
    public async Task ZendeskTicket_ParkedThenLinked_AccountActivityNamesTheOrganizationAndTheTicket()
    {
        await ZendeskAsync("ticket", "zen:event-type:ticket.created", "Zendesk/ticket.created.json");
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.ZendeskOrganization, _events.Organization);

        var activity = await new AccountActivityReader(Kit.States).ReadAsync(_events.Account, 20, CancellationToken.None);

        var id = Assert.Single(activity!.LinkedIds);
        Assert.Equal((ExternalIdKinds.ZendeskOrganization, "zendesk", _events.Organization), (id.Kind, id.Provider, id.ExternalId));
        var logged = Assert.Single(activity.RecentEvents);
        Assert.Equal(("zendesk", "ticket opened"), (logged.Provider, logged.Kind));
    }

    [Fact]
    public async Task ZendeskTicket_SolvedThenLateCreated_StaysSolved()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.ZendeskOrganization, _events.Organization);
        await ZendeskAsync("solved", "zen:event-type:ticket.status_changed", "Zendesk/ticket.status_changed.json");
        await ZendeskAsync("created", "zen:event-type:ticket.created", "Zendesk/ticket.created.json");

        var signals = await SignalsAsync();

        Assert.Equal("solved", (await StateAsync()).Tickets["5158"].Status);
        Assert.Equal(0, signals.OpenUrgentTickets);
        Assert.Equal(1, signals.Days.Single().TicketsSolved);
        Assert.Equal(1, signals.Days.Single().TicketsOpened);
    }

    [Fact]
    public async Task StripeCustomer_WithAccountIdMetadata_LinksItself()
    {
        var outcome = await StripeAsync("customer", "customer.created", _events.Text("Stripe/customer.created.json"));
        var account = await SignalsAsync();

        Assert.Equal(DeliveryOutcomes.Applied, outcome);
        Assert.Equal("Acme Corp", account.Name);
        Assert.Equal("dana@vendor.example", account.CsmEmail);
        Assert.Equal(Now, account.ObservedSince);
        Assert.Equal(_events.Account, await Kit.Identity.ResolveAsync(ExternalIdKinds.StripeCustomer, _events.Customer, CancellationToken.None));
    }

    [Fact]
    public async Task SegmentBatch_UsageAggregatedPerDay_ActiveUsersDistinct()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.SegmentGroup, _events.Group);
        await SegmentAsync("identify", _events.Node("Segment/identify.json"));
        var batch = _events.Node("Segment/batch.json")["batch"]!.AsArray();
        var page = new List<PendingDelivery>();
        foreach (var message in batch)
        {
            page.Add(await Kit.StoreAsync(WebhookProvider.Segment, _events.Id(message!["messageId"]!.GetValue<string>()), message["type"]!.GetValue<string>(), message.ToJsonString()));
        }

        await Kit.ApplyAsync([.. page]);
        var signals = await SignalsAsync();

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
        Assert.Equal("Pat", Assert.Single(signals.Users).FirstName); // from traits.name: the identify sends no firstName
    }

    [Fact]
    public async Task PageOfOneAccountsTracks_OneStateWriteAndNoLookups()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.SegmentGroup, _events.Group);
        await SegmentAsync("warm", _events.SegmentMessage("track", "warm"));
        var page = new List<PendingDelivery>();
        for (var i = 0; i < 5; i++)
        {
            page.Add(await Kit.StoreAsync(WebhookProvider.Segment, _events.Id("t" + i), "track", _events.SegmentMessage("track", "t" + i).ToJsonString()));
        }

        Kit.Traffic.Reset();
        var summary = await Kit.ApplyAsync([.. page]);

        Assert.Equal(5, summary.Applied);
        Assert.Equal(0, Kit.Traffic.Requests(AccountIdentity.LinksTable));
        Assert.Equal(0, Kit.Traffic.Requests(AccountStateStore.Table, "get")); // folded onto the state this process last wrote
        Assert.Equal(1, Kit.Traffic.Requests(AccountStateStore.Table));
        var day = (await SignalsAsync()).Days.Single();
        Assert.Equal((1, 6), (day.ActiveUsers, day.Events));
    }

    [Fact]
    public async Task TwoInstancesTakingTurnsOnOneAccount_EachFoldsOntoTheOthersWrite()
    {
        // Two app instances: each keeps the state it last wrote; the other's write in between makes that copy stale.
        var instances = new[] { Kit, new IngestionKit(azurite.ConnectionString, _clock) };
        await instances[0].LinkAsync(_events.Account, ExternalIdKinds.SegmentGroup, _events.Group);
        for (var i = 0; i < 5; i++)
        {
            var instance = instances[i % 2];
            Assert.Equal(DeliveryOutcomes.Applied, await instance.StoreAndApplyAsync(WebhookProvider.Segment, _events.Id("turn" + i), "track", _events.SegmentMessage("track", "turn" + i).ToJsonString()));
        }

        Assert.Equal(5, (await SignalsAsync()).Days.Single().Events);
    }

    [Fact]
    public async Task StripeEventsBeforeTheirCustomer_AppliedWhenTheCustomerNamesItsAccount()
    {
        var early = await StripeAsync("pay", "invoice.payment_failed", _events.Text("Stripe/invoice.payment_failed.json"));
        var linking = await StripeAsync("customer", "customer.created", _events.Text("Stripe/customer.created.json"));
        var signals = await SignalsAsync();

        Assert.Equal((DeliveryOutcomes.Parked, DeliveryOutcomes.Applied), (early, linking));
        Assert.Equal(1, signals.Days.Sum(d => d.PaymentsFailed));
        Assert.DoesNotContain(await Kit.Identity.ListUnlinkedAsync(CancellationToken.None), u => u.ExternalId == _events.Customer);
        Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("pay")));
    }

    [Fact]
    public async Task SegmentTrackWithoutGroup_ParkedUnderTheUser_AppliedOnceTheUserIsSeenInAGroup()
    {
        var track = _events.SegmentMessage("track", "orphan");
        track.AsObject().Remove("groupId");
        (track["context"] as JsonObject)?.Remove("groupId");
        var parked = await SegmentAsync("orphan", track);
        var unlinkedBefore = (await Kit.Identity.ListUnlinkedAsync(CancellationToken.None)).Where(u => u.ExternalId == _events.User).ToList();

        var identify = _events.Node("Segment/identify.json");
        identify["context"]!["groupId"] = _events.Account;
        await SegmentAsync("who", identify);
        var signals = await SignalsAsync();

        Assert.Equal(DeliveryOutcomes.Parked, parked);
        Assert.Equal(ExternalIdKinds.SegmentUser, Assert.Single(unlinkedBefore).Kind);
        Assert.Equal(1, signals.Days.Sum(d => d.Events));
        Assert.DoesNotContain(await Kit.Identity.ListUnlinkedAsync(CancellationToken.None), u => u.ExternalId == _events.User);
    }

    [Fact]
    public async Task SegmentGroup_WithProviderIdTraits_LinksThoseIdsAndDrainsWhatWasParked()
    {
        var ticket = await ZendeskAsync("ticket", "zen:event-type:ticket.created", "Zendesk/ticket.created.json");
        var group = new JsonObject
        {
            ["type"] = "group",
            ["messageId"] = "group-1",
            ["userId"] = _events.User,
            ["groupId"] = _events.Account,
            ["timestamp"] = "2025-11-22T09:00:00Z",
            ["traits"] = new JsonObject { ["name"] = "Acme Corp", ["zendesk_organization_id"] = _events.Organization, ["stripe_customer_id"] = _events.Customer },
        };

        var outcome = await SegmentAsync("group-1", group);
        var signals = await SignalsAsync();

        Assert.Equal((DeliveryOutcomes.Parked, DeliveryOutcomes.Applied), (ticket, outcome));
        Assert.Equal(1, signals.Days.Sum(d => d.TicketsOpened));
        Assert.Equal(_events.Account, await Kit.Identity.ResolveAsync(ExternalIdKinds.StripeCustomer, _events.Customer, CancellationToken.None));
        Assert.Equal(_events.Account, await Kit.Identity.ResolveAsync(ExternalIdKinds.SegmentUser, _events.User, CancellationToken.None));
        Assert.DoesNotContain(await Kit.Identity.ListUnlinkedAsync(CancellationToken.None), u => u.ExternalId == _events.Organization);
    }

    [Fact]
    public async Task SegmentGroup_WhenGroupIdsAreNotAccountIds_WaitsForALink()
    {
        var kit = new IngestionKit(azurite.ConnectionString, _clock, new ProductOptions { SegmentGroupIdIsAccountId = false });
        var group = new JsonObject { ["type"] = "group", ["messageId"] = "g", ["groupId"] = _events.Group, ["timestamp"] = "2025-11-22T09:00:00Z", ["traits"] = new JsonObject { ["plan"] = "growth" } };

        var outcome = await kit.StoreAndApplyAsync(WebhookProvider.Segment, _events.Id("g"), "group", group.ToJsonString());

        Assert.Equal(DeliveryOutcomes.Parked, outcome);
        Assert.Null(await kit.Identity.ResolveAsync(ExternalIdKinds.SegmentGroup, _events.Group, CancellationToken.None));
    }

    [Fact]
    public async Task ZendeskOrganization_WithExternalId_LinksItselfAndDrainsItsTickets()
    {
        var ticket = await ZendeskAsync("ticket", "zen:event-type:ticket.created", "Zendesk/ticket.created.json");
        var organization = new JsonObject
        {
            ["account_id"] = 22129848,
            ["id"] = _events.Id("org"),
            ["time"] = "2025-11-22T10:00:00Z",
            ["type"] = "zen:event-type:organization.created",
            ["subject"] = "zen:organization:" + _events.Organization,
            ["detail"] = new JsonObject { ["id"] = _events.Organization, ["external_id"] = _events.Account, ["name"] = "Acme Corp" },
            ["event"] = new JsonObject(),
        };

        var outcome = await Kit.StoreAndApplyAsync(WebhookProvider.Zendesk, _events.Id("org"), "zen:event-type:organization.created", organization.ToJsonString());
        var signals = await SignalsAsync();

        Assert.Equal((DeliveryOutcomes.Parked, DeliveryOutcomes.Applied), (ticket, outcome));
        Assert.Equal(1, signals.Days.Sum(d => d.TicketsOpened));
        Assert.Equal("Acme Corp", signals.Name);
    }

    [Fact]
    public async Task Replay_OfAppliedEvents_ReappliesStateNeverCounters()
    {
        await LinkCustomerAsync();
        await StripeAsync("pay", "invoice.payment_failed", _events.Text("Stripe/invoice.payment_failed.json"));
        await StripeAsync("sub", "customer.subscription.updated", _events.Subscription("sub", 1763769900, 30));

        var replay = await Kit.Sweeper.ReplayArchiveAsync(WebhookProvider.Stripe, CancellationToken.None);
        var sweepAgain = await Kit.Sweeper.InboxAsync(null, WebhookProvider.Stripe, 10, CancellationToken.None);
        var signals = await SignalsAsync();

        Assert.True(replay.Applied >= 2, $"replayed {replay.Seen}, applied {replay.Applied}");
        Assert.Equal(0, sweepAgain.Seen);
        Assert.Equal(1, signals.Days.Sum(d => d.PaymentsFailed));
        Assert.Equal(30 * 4900, signals.Days.Sum(d => d.MrrDeltaCents));
        Assert.Single((await StateAsync()).Movements);
    }

    [Fact]
    public async Task Replay_InboxDeliveryAnotherPageAppliedSinceTheReplayReadIt_CountedByItsOutcome()
    {
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        var stored = await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("pay"), "invoice.payment_failed", json);
        var readByTheReplay = PendingDelivery.FromInbox(stored.InboxKey!.Value, WebhookDeliveryRow.Create(WebhookProvider.Stripe, new WebhookEvent(_events.Id("pay"), "invoice.payment_failed", IngestionKit.CreatedAt(WebhookProvider.Stripe, json), json), Now))!;
        await Kit.ApplyAsync(stored); // a page worker gets there first

        var replay = await Kit.Applier.ApplyAsync([readByTheReplay], CancellationToken.None, waitForOthers: true);

        Assert.Equal((1, 0), (replay.Applied, replay.Duplicates));
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
    }

    [Fact]
    public async Task Replay_RedeliveryOfAnAppliedEventInTheInbox_ReplaysTheArchivedEventAndEmptiesTheInbox()
    {
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        await StripeAsync("pay", "invoice.payment_failed", json);
        var redelivered = await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("pay"), "invoice.payment_failed", json);

        var replay = await Kit.Applier.ApplyAsync([redelivered], CancellationToken.None, waitForOthers: true);

        Assert.Equal((1, 0), (replay.Applied, replay.Duplicates));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("pay")));
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed)); // state re-applied, counters not
        Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("pay")));
    }

    [Fact]
    public async Task Ingestion_InsertFindsTheEventInTheInboxAlready_StillHandsItToThePageWorkers()
    {
        // What an insert the SDK retried after a timeout finds: the row its own first try stored, applied by nobody
        // yet. Without a hint it would wait for the sweep's grace (on a simulated clock, until the clock moves).
        var secret = WebhookSigning.NewSecret("seg_");
        var options = new WebhooksOptions();
        options.Segment.SharedSecrets.Add(secret);
        var hints = new WebhookHints();
        var ingestion = new WebhookIngestion(Kit.Inbox, new StoredLately(_clock), hints, _clock, new FixedOptions<WebhooksOptions>(options), new FixedOptions<ProductOptions>(Kit.Product), Microsoft.Extensions.Logging.Abstractions.NullLogger<WebhookIngestion>.Instance, Kit.Metrics, Kit.Backlog);
        var message = _events.SegmentMessage("track", _events.Id("track"));
        var body = System.Text.Encoding.UTF8.GetBytes(message.ToJsonString());
        await Kit.StoreAsync(WebhookProvider.Segment, _events.Id("track"), "track", message.ToJsonString());

        var outcome = await ingestion.IngestAsync(WebhookProvider.Segment, h => h == "X-Signature" ? WebhookSigning.SegmentSignature(secret, body) : null, body, CancellationToken.None);

        Assert.Equal((IngestionStatus.Duplicate, 0, 1), (outcome.Status, outcome.Stored, outcome.Duplicates));
        Assert.True(hints.Reader.TryRead(out var hinted));
        Assert.Equal(Kit.KeyOf(WebhookProvider.Segment, _events.Id("track")), hinted.Key);
    }

    [Fact]
    public async Task BacklogGauges_HintWaitsThenIsApplied_SizeAndLagRiseThenFall()
    {
        using var metrics = new MetricCapture();
        var kit = new IngestionKit(azurite.ConnectionString, _clock, Kit.Product, metrics: metrics.Metrics);
        var secret = WebhookSigning.NewSecret("seg_");
        var options = new WebhooksOptions();
        options.Segment.SharedSecrets.Add(secret);
        var hints = new WebhookHints();
        var ingestion = new WebhookIngestion(kit.Inbox, new StoredLately(_clock), hints, _clock, new FixedOptions<WebhooksOptions>(options), new FixedOptions<ProductOptions>(kit.Product), Microsoft.Extensions.Logging.Abstractions.NullLogger<WebhookIngestion>.Instance, kit.Metrics, kit.Backlog);
        var body = System.Text.Encoding.UTF8.GetBytes(_events.SegmentMessage("track", _events.Id("backlog")).ToJsonString());
        const string Size = "customer_success.webhook.applier.backlog";
        const string Lag = "customer_success.webhook.applier.lag";
        Assert.Equal((0.0, 0.0), (metrics.Observe(Size), metrics.Observe(Lag)));

        // Acknowledged (stored, hinted), and no page worker has taken it yet while the clock moves on.
        await ingestion.IngestAsync(WebhookProvider.Segment, h => h == "X-Signature" ? WebhookSigning.SegmentSignature(secret, body) : null, body, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal((1.0, 360.0), (metrics.Observe(Size), metrics.Observe(Lag)));
        Assert.Equal(("{delivery}", "s"), (metrics.UnitOf(Size), metrics.UnitOf(Lag)));
        var page = await hints.NextPageAsync(10, TimeSpan.Zero, _clock, CancellationToken.None);
        await kit.Applier.ApplyAsync(page, CancellationToken.None);
        Assert.Equal((0.0, 0.0), (metrics.Observe(Size), metrics.Observe(Lag)));
    }

    [Fact]
    public async Task Redelivery_AfterTheEventLeftTheInbox_DroppedAsDuplicate()
    {
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        var first = await StripeAsync("pay", "invoice.payment_failed", json);
        var second = await StripeAsync("pay", "invoice.payment_failed", json);

        Assert.Equal((DeliveryOutcomes.Applied, DeliveryOutcomes.Duplicate), (first, second));
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("pay")));
        Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("pay")));
    }

    [Fact]
    public async Task Redelivery_OfAnEventSettledLately_DuplicateWithoutTouchingTheArchive()
    {
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        await StripeAsync("pay", "invoice.payment_failed", json);
        Kit.Traffic.Reset();

        var second = await StripeAsync("pay", "invoice.payment_failed", json);

        Assert.Equal(DeliveryOutcomes.Duplicate, second);
        Assert.Equal(0, Kit.Traffic.Requests(WebhookArchive.Table));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("pay")));
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
    }

    [Fact]
    public async Task Redelivery_PastTheSettledWindow_ClaimRefusedByTheArchive_StillDuplicate()
    {
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        await StripeAsync("pay", "invoice.payment_failed", json);
        _clock.Advance(SettledEvents.WindowFor(Kit.Options));
        Kit.Traffic.Reset();

        var second = await StripeAsync("pay", "invoice.payment_failed", json);

        Assert.Equal(DeliveryOutcomes.Duplicate, second);
        Assert.True(Kit.Traffic.Requests(WebhookArchive.Table) > 0);
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
    }

    [Fact]
    public async Task Page_WithOneRedeliveredEvent_ClaimsTheRestInOneTransaction()
    {
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        await StripeAsync("p00", "invoice.payment_failed", json);
        var page = new List<PendingDelivery>();
        for (var i = 0; i < 30; i++)
        {
            page.Add(await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("p" + i.ToString("D2", CultureInfo.InvariantCulture)), "invoice.payment_failed", json));
        }

        Kit.Traffic.Reset();
        var summary = await Kit.ApplyAsync([.. page]);

        Assert.Equal((29, 1), (summary.Applied, summary.Duplicates));
        Assert.Equal(0, Kit.Traffic.Requests(WebhookArchive.Table, "get"));
        // Per archive partition one claim, which says "applied" already, and no second write: no transaction sent again
        // without a refused claim, and no outcome recorded over a claim that said it.
        var partitions = page.Skip(1).Select(d => d.Key.PartitionKey).Distinct().Count();
        Assert.Equal(partitions, Kit.Traffic.Requests(WebhookArchive.Table, "batch"));
        Assert.Equal(partitions, Kit.Traffic.Requests(WebhookArchive.Table));
        Assert.Equal(30, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
    }

    [Fact]
    public async Task UnknownEventType_AcknowledgedAndArchivedAsIgnored()
    {
        var json = """{"id":"evt_x","object":"event","type":"product.created","created":1763769600,"data":{"object":{"id":"prod_1"}}}""";

        Assert.Equal(DeliveryOutcomes.Ignored, await StripeAsync("x", "product.created", json));
        Assert.Equal(DeliveryOutcomes.Ignored, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("x")));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("x")));
    }

    [Fact]
    public async Task Sweep_FortyFailedPaymentsForOneAccount_CountsEachOnce()
    {
        await LinkCustomerAsync();
        for (var i = 0; i < 40; i++)
        {
            await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("p" + i.ToString("D2", CultureInfo.InvariantCulture)), "invoice.payment_failed", _events.Text("Stripe/invoice.payment_failed.json"));
        }

        var sweep = await Kit.Sweeper.InboxAsync(null, WebhookProvider.Stripe, int.MaxValue, CancellationToken.None);
        var again = await Kit.Sweeper.InboxAsync(null, WebhookProvider.Stripe, int.MaxValue, CancellationToken.None);

        Assert.True(sweep.Applied >= 40, $"applied {sweep.Applied}, failed {sweep.Failed}");
        Assert.Equal(0, again.Seen);
        Assert.Equal(40, (await SignalsAsync()).Days.Single().PaymentsFailed);
    }

    /// <summary>One failed payment stored twice, three minutes apart: two inbox copies of one event.</summary>
    private async Task<(PendingDelivery First, PendingDelivery Again)> StoreTwoCopiesAsync()
    {
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        var first = await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("pay"), "invoice.payment_failed", json, Now.AddMinutes(-3));
        var again = await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("pay"), "invoice.payment_failed", json, Now);
        return (first, again);
    }

    [Fact]
    public async Task Page_WithTwoInboxCopiesOfOneEvent_CountsItOnceAndTakesBothOutOfTheInbox()
    {
        // A redelivery received in another second than the first copy waits beside it; a sweep reads both into a page.
        await LinkCustomerAsync();
        var (first, again) = await StoreTwoCopiesAsync();
        Assert.NotEqual(first.InboxKey, again.InboxKey);

        var summary = await Kit.ApplyAsync(first, again);

        Assert.Equal((1, 1), (summary.Applied, summary.Duplicates));
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("pay")));
    }

    [Fact]
    public async Task Page_WithTwoInboxCopiesOfOneEvent_ItsAccountFails_BothStayForTheNextTry()
    {
        await LinkCustomerAsync();
        var (first, again) = await StoreTwoCopiesAsync();
        var state = new AccountStateRow { PartitionKey = AccountStateStore.PartitionOf(_events.Account), RowKey = _events.Account, Rows = 1, Generation = 9, State0 = [9, 9, 9] };
        await Kit.Tables[AccountStateStore.Table].UpsertAsync(state, Azure.Data.Tables.TableUpdateMode.Replace);

        var failed = await Kit.ApplyAsync(first, again);

        Assert.Equal((0, 0, 1), (failed.Applied, failed.Duplicates, failed.Failed));
        Assert.Equal(2, await Kit.Tables[WebhookInbox.Table].QueryAsync<Azure.Data.Tables.TableEntity>(TableFilter.Of($"RowKey eq {first.Key.EventKey}")).CountAsync());

        await Kit.Tables[AccountStateStore.Table].DeleteAsync(state.PartitionKey, state.RowKey);
        var retried = await Kit.ApplyAsync(PendingDelivery.FromInbox(first.InboxKey!.Value, first.Row)!, PendingDelivery.FromInbox(again.InboxKey!.Value, again.Row)!);

        Assert.Equal((1, 1), (retried.Applied, retried.Duplicates));
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("pay")));
    }

    [Fact]
    public async Task Sweep_RowStoredUnderTheArchiveKeys_AppliedAndRemoved()
    {
        // What an inbox written before it had keys of its own still holds after an upgrade.
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        var row = WebhookDeliveryRow.Create(WebhookProvider.Stripe, new WebhookEvent(_events.Id("old"), "invoice.payment_failed", IngestionKit.CreatedAt(WebhookProvider.Stripe, json), json), Now.AddHours(-1));
        await Kit.Tables[WebhookInbox.Table].AddAsync(row.ToStoredEntity());

        var pending = (await Kit.Inbox.PendingAsync(null, WebhookProvider.Stripe, 5000, CancellationToken.None)).Single(p => p.Row.EventId == _events.Id("old"));
        var summary = await Kit.ApplyAsync(PendingDelivery.FromInbox(pending.Key, pending.Row)!);

        Assert.Equal(new InboxKey(row.PartitionKey, row.RowKey), pending.Key);
        Assert.Equal((row.PartitionKey, row.RowKey), (pending.Row.PartitionKey, pending.Row.RowKey));
        Assert.Equal(1, summary.Applied);
        Assert.Equal(1, (await SignalsAsync()).Days.Sum(d => d.PaymentsFailed));
        Assert.Null(await Kit.Tables[WebhookInbox.Table].GetAsync<Azure.Data.Tables.TableEntity>(row.PartitionKey, row.RowKey));
        Assert.Equal(DeliveryOutcomes.Applied, (await Kit.Archive.GetAsync(new DeliveryKey(row.PartitionKey, row.RowKey), CancellationToken.None))?.Outcome);
    }

    [Fact]
    public async Task SeveralInboxPartitionsPerSecond_StoredSweptAndApplied()
    {
        var kit = new IngestionKit(azurite.ConnectionString, _clock, Kit.Product, new WebhooksOptions { InboxPartitionsPerSecond = 4 });
        await kit.LinkAsync(_events.Account, ExternalIdKinds.StripeCustomer, _events.Customer);
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        var stored = new List<PendingDelivery>();
        for (var i = 0; i < 12; i++)
        {
            stored.Add(await kit.StoreAsync(WebhookProvider.Stripe, _events.Id("p" + i.ToString("D2", CultureInfo.InvariantCulture)), "invoice.payment_failed", json));
        }

        var summary = await kit.ApplyAsync([.. stored]);

        Assert.True(stored.Select(d => d.InboxKey!.Value.PartitionKey).Distinct().Count() > 1);
        Assert.Equal(12, summary.Applied);
        Assert.Equal(12, (await kit.SignalsAsync(_events.Account, Today)).Days.Sum(d => d.PaymentsFailed));
        Assert.All(stored, d => Assert.False(kit.InInboxAsync(WebhookProvider.Stripe, d.Row.EventId!).Result));
    }

    [Fact]
    public async Task Sweep_WithCutoff_TakesOnlyDeliveriesReceivedBeforeIt()
    {
        await LinkCustomerAsync();
        var json = _events.Text("Stripe/invoice.payment_failed.json");
        await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("old"), "invoice.payment_failed", json, Now.AddMinutes(-5));
        await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("fresh"), "invoice.payment_failed", json, Now.AddSeconds(-10));

        await Kit.Sweeper.InboxAsync(Now.AddSeconds(-60), WebhookProvider.Stripe, int.MaxValue, CancellationToken.None);

        Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("old")));
        Assert.True(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("fresh")));
        Assert.Null(await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("fresh")));
    }

    [Fact]
    public async Task FiftyEventsOfOneAccount_NoRowPerEventBesideTheArchive()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.SegmentGroup, _events.Group);
        var page = new List<PendingDelivery>();
        for (var i = 0; i < 50; i++)
        {
            page.Add(await Kit.StoreAsync(WebhookProvider.Segment, _events.Id("e" + i), "track", _events.SegmentMessage("track", "e" + i).ToJsonString()));
        }

        await Kit.ApplyAsync([.. page]);

        var partition = AccountStateStore.PartitionOf(_events.Account);
        var stateRows = await Kit.Tables[AccountStateStore.Table].QueryAsync<Azure.Data.Tables.TableEntity>(Functions.Storage.TableFilter.Partition(partition), ["RowKey"]).Where(r => r.RowKey.StartsWith(_events.Account, StringComparison.Ordinal)).CountAsync();
        Assert.Equal(1, stateRows);
        Assert.Equal(50, (await SignalsAsync()).Days.Single().Events);

        // The events' keys are forgotten once the archive says applied; the account's next write leaves them out.
        Assert.Equal(50, (await StateAsync()).RecentlyApplied.Count);
        await SegmentAsync("next", _events.SegmentMessage("track", "next"));
        Assert.Single((await StateAsync()).RecentlyApplied);
        foreach (var delivery in page)
        {
            Assert.False(await Kit.InInboxAsync(WebhookProvider.Segment, delivery.Row.EventId!));
        }
    }
}
