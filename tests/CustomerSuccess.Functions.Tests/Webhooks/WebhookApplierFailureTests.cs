using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// What the applier does when things go wrong: storage failing at any point of a page (the page is retried from the
/// inbox, nothing lost, nothing counted twice), one account failing (only its deliveries count an attempt, then are
/// quarantined), an event that cannot be applied (quarantined at once with the reason, re-drivable), and archive
/// retention (old events go, a replay within retention still works).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookApplierFailureTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2025, 11, 22);
    private readonly ManualTimeProvider _clock = new(Now);
    private readonly TestEvents _events = new();
    private IngestionKit? _kit;

    private IngestionKit Kit => _kit ??= new IngestionKit(azurite.ConnectionString, _clock, options: new WebhooksOptions { MaxApplyAttempts = 2 });

    private string Account(int i) => _events.Account + "-" + i;

    private string Customer(int i) => _events.Customer + "-" + i;

    /// <summary>Ten linked accounts with five failed payments each waiting in the inbox.</summary>
    private async Task<List<PendingDelivery>> TenAccountsFivePaymentsEachAsync()
    {
        var page = new List<PendingDelivery>();
        for (var a = 0; a < 10; a++)
        {
            await Kit.LinkAsync(Account(a), ExternalIdKinds.StripeCustomer, Customer(a));
            for (var e = 0; e < 5; e++)
            {
                var json = _events.Text("Stripe/invoice.payment_failed.json").Replace(_events.Customer, Customer(a), StringComparison.Ordinal);
                page.Add(await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id($"pay-{a}-{e}"), "invoice.payment_failed", json));
            }
        }

        return page;
    }

    private async Task AssertFivePaymentsEachAndAllArchivedAsync(List<PendingDelivery> page)
    {
        for (var a = 0; a < 10; a++)
        {
            Assert.Equal(5, (await Kit.SignalsAsync(Account(a), Today)).Days.Sum(d => d.PaymentsFailed));
        }

        foreach (var delivery in page)
        {
            Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, delivery.Row.EventId!));
            Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, delivery.Row.EventId!));
        }
    }

    private async Task RetryUntilDoneAsync()
    {
        // What the sweep does after an outage: everything still in the inbox, as often as it takes.
        for (var i = 0; i < 5 && (await Kit.Sweeper.InboxAsync(null, WebhookProvider.Stripe, 10, CancellationToken.None)).Seen > 0; i++)
        {
        }
    }

    [Theory]
    [InlineData("claim")]
    [InlineData("midway through the account writes")]
    [InlineData("indexing for retention, after every account is written")]
    [InlineData("emptying the inbox")]
    public async Task StorageFailsPartWayThroughAPage_RetriedWithoutLossOrDoubles(string when)
    {
        var page = await TenAccountsFivePaymentsEachAsync();
        var statesWritten = 0;
        Kit.Traffic.FailWhen = (table, kind) => when switch
        {
            "claim" => table == WebhookArchive.Table,
            "midway through the account writes" => table == AccountStateStore.Table && kind != "get" && Interlocked.Increment(ref statesWritten) > 4,
            "indexing for retention, after every account is written" => table == WebhookArchive.ExpiryTable && Kit.Traffic.Requests(AccountStateStore.Table, "update") >= 10,
            _ => table == WebhookInbox.Table && kind is "batch" or "delete",
        };

        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => Kit.Applier.ApplyAsync(page, CancellationToken.None));
        Assert.True(Kit.Traffic.Failed > 0);
        Kit.Traffic.FailWhen = null;
        await RetryUntilDoneAsync();

        await AssertFivePaymentsEachAndAllArchivedAsync(page);
    }

    [Fact]
    public async Task AppliedButStoppedBeforeTheInboxWasEmptied_AnotherProcessRetries_FindsItsOwnClaimAndDoublesNothing()
    {
        // The first process claims (as applied), writes every account, then storage fails as it empties the inbox, and
        // the process is gone: a second one (its own memories empty) sweeps the same inbox copies.
        var page = await TenAccountsFivePaymentsEachAsync();
        Kit.Traffic.FailWhen = (table, kind) => table == WebhookInbox.Table && kind is "batch" or "delete";
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => Kit.Applier.ApplyAsync(page, CancellationToken.None));
        Kit.Traffic.FailWhen = null;
        foreach (var delivery in page)
        {
            Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, delivery.Row.EventId!));
            Assert.True(await Kit.InInboxAsync(WebhookProvider.Stripe, delivery.Row.EventId!));
        }

        var second = new IngestionKit(azurite.ConnectionString, _clock, options: new WebhooksOptions { MaxApplyAttempts = 2 });
        var swept = await second.Sweeper.InboxAsync(null, WebhookProvider.Stripe, 10, CancellationToken.None);

        Assert.True(swept.Applied >= 50, $"applied {swept.Applied}");
        await AssertFivePaymentsEachAndAllArchivedAsync(page);
    }

    [Fact]
    public async Task ANewDeliveryOfAnEventAlreadyApplied_IsADuplicate_ThoughTheArchivedClaimSaysApplied()
    {
        // The claim wrote "applied" for the first copy; a copy delivered later is another copy, not a retry of that one.
        var page = await TenAccountsFivePaymentsEachAsync();
        await Kit.Applier.ApplyAsync(page, CancellationToken.None);
        var again = new IngestionKit(azurite.ConnectionString, _clock, options: new WebhooksOptions { MaxApplyAttempts = 2 });
        var json = _events.Text("Stripe/invoice.payment_failed.json").Replace(_events.Customer, Customer(0), StringComparison.Ordinal);
        var copy = await again.StoreAsync(WebhookProvider.Stripe, _events.Id("pay-0-0"), "invoice.payment_failed", json);

        var summary = await again.Applier.ApplyAsync([copy], CancellationToken.None);

        Assert.Equal((0, 1), (summary.Applied, summary.Duplicates));
        Assert.False(await again.InInboxAsync(WebhookProvider.Stripe, copy.Row.EventId!));
        await AssertFivePaymentsEachAndAllArchivedAsync(page);
    }

    [Fact]
    public async Task ReplayWaitingForAnotherPage_StorageFailsAsItRereads_EventNotLeftMarkedInFlight()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.StripeCustomer, _events.Customer);
        await Kit.StoreAndApplyAsync(WebhookProvider.Stripe, _events.Id("pay"), "invoice.payment_failed", _events.Text("Stripe/invoice.payment_failed.json"));
        var archived = (await Kit.Archive.GetAsync(Kit.KeyOf(WebhookProvider.Stripe, _events.Id("pay")), CancellationToken.None))!;
        using var holding = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        var held = 0;
        var failRereads = false;
        Kit.Traffic.FailWhen = (table, kind) =>
        {
            if (table == WebhookArchive.Table && kind is not ("get" or "query") && Interlocked.Exchange(ref held, 1) == 0)
            {
                holding.Release();
                release.Wait(TimeSpan.FromSeconds(30)); // the first page holds the event while it records its outcome
            }

            return Volatile.Read(ref failRereads) && table == WebhookArchive.Table && kind == "get";
        };

        // A re-drive holds the event; a replay of the same event waits for it, then reads it again and storage fails.
        var first = Task.Run(() => Kit.Applier.ApplyAsync([PendingDelivery.FromArchive(archived)!], CancellationToken.None));
        Assert.True(await holding.WaitAsync(TimeSpan.FromSeconds(30)));
        var replay = Kit.Applier.ApplyAsync([PendingDelivery.FromArchive(archived)!], CancellationToken.None, waitForOthers: true);
        Volatile.Write(ref failRereads, true);
        release.Set();
        await first;
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => replay);
        Kit.Traffic.FailWhen = null;

        // The failed replay let go of the event: the next page takes it rather than leaving it to a page that is gone.
        var again = await Kit.Applier.ApplyAsync([PendingDelivery.FromArchive(archived)!], CancellationToken.None, waitForOthers: true);

        Assert.Equal((1, 1), (again.Seen, again.Applied));
        Assert.Equal(1, (await Kit.SignalsAsync(_events.Account, Today)).Days.Sum(d => d.PaymentsFailed));
    }

    [Fact]
    public async Task OneAccountsStateUnreadable_OnlyItsDeliveriesFail_ThenQuarantined_ThenRedriven()
    {
        var page = await TenAccountsFivePaymentsEachAsync();
        var broken = Account(3);
        var brokenRow = new AccountStateRow { PartitionKey = AccountStateStore.PartitionOf(broken), RowKey = broken, Rows = 1, Generation = 9, State0 = [9, 9, 9] };
        await Kit.Tables[AccountStateStore.Table].UpsertAsync(brokenRow, TableUpdateMode.Replace);
        var fresh = new IngestionKit(azurite.ConnectionString, _clock, options: new WebhooksOptions { MaxApplyAttempts = 2 });

        var first = await fresh.Applier.ApplyAsync(page, CancellationToken.None);
        var stillWaiting = await fresh.Inbox.PendingAsync(null, WebhookProvider.Stripe, 1000, CancellationToken.None);

        // Each was claimed as applied; the failed attempt took that back, so nothing reads them as applied meanwhile.
        foreach (var delivery in page.Where(d => d.Row.EventId!.StartsWith("pay-3-", StringComparison.Ordinal)))
        {
            Assert.Equal(DeliveryOutcomes.Applying, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, delivery.Row.EventId!));
        }

        var second = await fresh.Sweeper.InboxAsync(null, WebhookProvider.Stripe, 10, CancellationToken.None);

        Assert.Equal((45, 5), (first.Applied, first.Failed));
        var waiting = stillWaiting.Select(r => r.Row).Where(r => r.EventId!.Contains(_events.Suffix, StringComparison.Ordinal)).ToList();
        Assert.Equal(5, waiting.Count);
        Assert.All(waiting, r => Assert.Equal((1, true), (r.Attempts, r.LastError!.StartsWith("InvalidDataException", StringComparison.Ordinal))));
        Assert.True(second.Quarantined >= 5, $"quarantined {second.Quarantined}");
        var letters = (await fresh.Quarantine.ListAsync(1000, CancellationToken.None)).Where(l => l.ApplicationProperties["EventId"].Contains(_events.Suffix, StringComparison.Ordinal)).ToList();
        Assert.Equal(5, letters.Count);
        Assert.All(letters, l => Assert.Equal(("MaxApplyAttemptsExceeded", 2), (l.Reason, l.DeliveryCount)));

        // The cause fixed (the bad row removed), a re-drive applies each one.
        await fresh.Tables[AccountStateStore.Table].DeleteAsync(brokenRow.PartitionKey, brokenRow.RowKey);
        foreach (var letter in letters)
        {
            Assert.True(await fresh.Quarantine.RedriveAsync(letter.MessageId, CancellationToken.None));
        }

        Assert.Equal(5, (await fresh.SignalsAsync(broken, Today)).Days.Sum(d => d.PaymentsFailed));
        Assert.DoesNotContain(await fresh.Quarantine.ListAsync(1000, CancellationToken.None), l => letters.Any(x => x.MessageId == l.MessageId));
        await AssertFivePaymentsEachAndAllArchivedAsync(page);
    }

    [Fact]
    public async Task StoredEventItsMapperRejects_QuarantinedAtOnceWithTheReason_RestOfThePageApplied()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.StripeCustomer, _events.Customer);
        var bad = await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("bad"), "customer.updated", """{"id":"evt","created":1763769600,"data":{"object":{"name":"no id"}}}""");
        var good = await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id("good"), "invoice.payment_failed", _events.Text("Stripe/invoice.payment_failed.json"));

        var summary = await Kit.ApplyAsync(bad, good);
        var letter = Assert.Single(await Kit.Quarantine.ListAsync(1000, CancellationToken.None), l => l.ApplicationProperties["EventId"] == _events.Id("bad"));

        Assert.Equal((1, 1), (summary.Applied, summary.Quarantined));
        Assert.Equal(("EventRejected", "a customer event needs data.object.id", 1), (letter.Reason, letter.ErrorDescription, letter.DeliveryCount));
        Assert.False(await Kit.InInboxAsync(WebhookProvider.Stripe, _events.Id("bad")));
        Assert.Equal(1, (await Kit.SignalsAsync(_events.Account, Today)).Days.Sum(d => d.PaymentsFailed));

        // Re-driven while its cause is not fixed, it goes straight back with the same reason.
        Assert.True(await Kit.Quarantine.RedriveAsync(letter.MessageId, CancellationToken.None));
        Assert.Single(await Kit.Quarantine.ListAsync(1000, CancellationToken.None), l => l.ApplicationProperties["EventId"] == _events.Id("bad"));
    }

    [Fact]
    public async Task Retention_RemovesEventsArchivedBeforeIt_AReplayWithinItStillWorks()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.StripeCustomer, _events.Customer);
        var old = await Kit.StoreAndApplyAsync(WebhookProvider.Stripe, _events.Id("old"), "customer.subscription.updated", _events.Subscription("old", 1763769600, 10));
        var parked = await Kit.StoreAndApplyAsync(WebhookProvider.Stripe, _events.Id("parked"), "invoice.paid", _events.Text("Stripe/invoice.payment_failed.json").Replace(_events.Customer, "cus_nobody" + _events.Suffix, StringComparison.Ordinal));
        _clock.Advance(TimeSpan.FromDays(25));
        var recent = await Kit.StoreAndApplyAsync(WebhookProvider.Stripe, _events.Id("recent"), "customer.subscription.updated", _events.Subscription("recent", 1763769900, 20));
        _clock.Advance(TimeSpan.FromDays(10));

        var removed = await Kit.Archive.RemoveExpiredAsync(DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime).AddDays(-30), CancellationToken.None);
        var replay = await Kit.Sweeper.ReplayArchiveAsync(WebhookProvider.Stripe, CancellationToken.None);

        Assert.Equal((DeliveryOutcomes.Applied, DeliveryOutcomes.Parked, DeliveryOutcomes.Applied), (old, parked, recent));
        Assert.True(removed >= 1);
        Assert.Null(await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("old")));
        Assert.Equal(DeliveryOutcomes.Parked, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("parked"))); // still waiting for its link
        Assert.Equal(DeliveryOutcomes.Applied, await Kit.ArchivedOutcomeAsync(WebhookProvider.Stripe, _events.Id("recent")));
        Assert.True(replay.Applied >= 1);
        Assert.Equal(20, (await Kit.SignalsAsync(_events.Account, Today)).LicensedSeats);
    }
}
