using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Account digests on Azurite: concurrent applies for one account, an outage between the partition write and the
/// digest merge, an account too large for one row, and shard pages that hold every account exactly once.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AccountDigestAzuriteTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);

    private static AccountEventApplier Applier(ITableStore store, int maxDigestPayloadBytes = AccountDigest.DefaultMaxPayloadBytes) =>
        TestAppliers.Create(store, new ManualTimeProvider(Now), identity: new AccountIdentity(store, new ManualTimeProvider(Now)), writer: new AccountSignalWriter(store, maxDigestPayloadBytes));

    // A Stripe customer's month: subscription changes delivered out of order, failed payments, all for one account.
    private static IEnumerable<(string Type, JsonNode Event)> StripeMonth(string suffix, string customer)
    {
        for (var i = 0; i < 12; i++)
        {
            var node = StripeFixture.ForCustomer("customer.subscription.updated.json", $"evt_sub_{suffix}_{i:D2}", customer);
            node["created"] = 1763769600 + ((i * 7) % 12 * 60); // versions arrive shuffled
            node["data"]!["object"]!["items"]!["data"]![0]!["quantity"] = 10 + ((i * 7) % 12);
            yield return ("customer.subscription.updated", node);
        }

        for (var i = 0; i < 12; i++)
        {
            yield return ("invoice.payment_failed", StripeFixture.ForCustomer("invoice.payment_failed.json", $"evt_pay_{suffix}_{i:D2}", customer));
        }
    }

    private static async Task StoreAsync(ITableStore store, IEnumerable<(string Type, JsonNode Event)> events)
    {
        var deliveries = new WebhookDeliveryStore(store);
        foreach (var (type, node) in events)
        {
            await StripeFixture.StoreAsync(deliveries, type, node, Now);
        }
    }

    [Fact]
    public async Task Sweep_TwentyFourEventsEightAtATime_DigestMatchesPartition()
    {
        var store = TableStoreTestKit.CreateStore(azurite.ConnectionString);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var account = "dig-" + suffix;
        var applier = Applier(store);
        await applier.LinkAsync(account, ExternalIdKinds.StripeCustomer, "cus_dig" + suffix, CancellationToken.None);
        await StoreAsync(store, StripeMonth(suffix, "cus_dig" + suffix));

        var sweep = await applier.ApplyStoredAsync(unappliedOnly: true, provider: null, max: int.MaxValue, concurrency: 8, CancellationToken.None);
        var signals = await new AccountSignalReader(store).ReadAccountAsync(account, Today, CancellationToken.None);

        Assert.Equal(0, sweep.Failed);
        Assert.Equal(12, signals.Days.Single().PaymentsFailed);
        Assert.Equal(10 + 11, signals.LicensedSeats); // the newest version, whichever order the writes landed in
        await DigestAssert.MatchesPartitionAsync(store, account, Today);
    }

    [Fact]
    public async Task DigestWriteFailsAfterThePartitionWrite_TheSweepRefreshesIt()
    {
        var outage = new DigestOutageStore(TableStoreTestKit.CreateStore(azurite.ConnectionString));
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var account = "digfail-" + suffix;
        var applier = Applier(outage);
        await applier.LinkAsync(account, ExternalIdKinds.StripeCustomer, "cus_df" + suffix, CancellationToken.None);
        var events = StripeMonth(suffix, "cus_df" + suffix).Take(3).ToList();
        await StoreAsync(outage, events);
        string EventId(int i) => events[i].Event["id"]!.GetValue<string>();
        await applier.ApplyAsync(WebhookProvider.Stripe, EventId(0), CancellationToken.None);

        outage.FailDigestWrites = true;
        await Assert.ThrowsAsync<TableStorageUnavailableException>(() => applier.ApplyAsync(WebhookProvider.Stripe, EventId(1), CancellationToken.None));
        var stale = await new AccountSignalReader(outage).ReadAccountAsync(account, Today, CancellationToken.None);
        outage.FailDigestWrites = false;
        var again = await applier.ApplyAsync(WebhookProvider.Stripe, EventId(1), CancellationToken.None);

        Assert.Equal(10, stale.LicensedSeats); // the partition has event 1 (17 seats); the digest still shows event 0 only
        Assert.Equal("already applied", again);
        Assert.Equal(17, (await new AccountSignalReader(outage).ReadAccountAsync(account, Today, CancellationToken.None)).LicensedSeats);
        await DigestAssert.MatchesPartitionAsync(outage, account, Today);
    }

    [Fact]
    public async Task AccountTooLargeForOneRow_ShardPageReadsItsPartition()
    {
        var store = TableStoreTestKit.CreateStore(azurite.ConnectionString);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var account = "digbig-" + suffix;
        var applier = Applier(store, maxDigestPayloadBytes: 64);
        await applier.LinkAsync(account, ExternalIdKinds.StripeCustomer, "cus_big" + suffix, CancellationToken.None);
        await StoreAsync(store, StripeMonth(suffix, "cus_big" + suffix));
        await applier.ApplyStoredAsync(unappliedOnly: true, provider: WebhookProvider.Stripe, max: int.MaxValue, concurrency: 4, CancellationToken.None);

        var stored = await store.GetAsync(AccountDigestStore.Table, AccountDigest.Partition(account), account);
        var shard = AccountShard.Of(account, 1024);
        var fromPage = await FindAsync(new AccountSignalReader(store), shard, 1024, account);
        var fromPartition = await new AccountSignalReader(store).ReadPartitionAsync(account, Today, CancellationToken.None);

        Assert.Equal(true, stored!["Overflow"]);
        Assert.Equal(DigestAssert.Json(fromPartition with { ObservedSince = stored.GetDateTimeOffset("ObservedSince") }), DigestAssert.Json(fromPage));
        Assert.Equal(12, fromPage.Days.Single().PaymentsFailed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    public async Task ShardPages_HoldEveryLinkedAccountOnceInItsShard(int shardCount)
    {
        var store = TableStoreTestKit.CreateStore(azurite.ConnectionString);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var applier = Applier(store);
        var ours = Enumerable.Range(0, 40).Select(i => $"digpage-{suffix}-{i:D2}").ToHashSet(StringComparer.Ordinal);
        foreach (var account in ours)
        {
            await applier.LinkAsync(account, ExternalIdKinds.StripeCustomer, "cus_" + account, CancellationToken.None);
        }

        var reader = new AccountSignalReader(store);
        var seen = new List<string>();
        for (var shard = 0; shard < shardCount; shard++)
        {
            string? continuation = null;
            var keys = new List<string>();
            do
            {
                var page = await reader.ReadPageAsync(shard, shardCount, Today, continuation, 7, CancellationToken.None);
                Assert.True(page.Accounts.Count <= 7);
                foreach (var account in page.Accounts)
                {
                    Assert.Equal(shard, AccountShard.Of(account.AccountId, shardCount));
                    keys.Add(AccountDigest.Partition(account.AccountId) + "|" + account.AccountId);
                    if (ours.Contains(account.AccountId))
                    {
                        seen.Add(account.AccountId);
                        Assert.Equal(Now, account.ObservedSince);
                    }
                }

                continuation = page.Continuation;
            }
            while (continuation is not null);

            // The order the score cursor merges in: bucket, then account id.
            Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        }

        Assert.Equal(ours.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    private static async Task<AccountSignals> FindAsync(AccountSignalReader reader, int shard, int shardCount, string accountId)
    {
        string? continuation = null;
        do
        {
            var page = await reader.ReadPageAsync(shard, shardCount, Today, continuation, 100, CancellationToken.None);
            if (page.Accounts.FirstOrDefault(a => a.AccountId == accountId) is { } found)
            {
                return found;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        throw new InvalidOperationException($"{accountId} is not on shard {shard}'s pages.");
    }

    /// <summary>Forwards to Azurite; while <see cref="FailDigestWrites"/> is set, writes to AccountDigests fail as in an outage.</summary>
    private sealed class DigestOutageStore(ITableStore inner) : ForwardingTableStore(inner)
    {
        public bool FailDigestWrites { get; set; }

        public override Task<TableWriteResult> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) =>
            Guard(table, () => base.InsertAsync(table, entity, cancellationToken));

        public override Task<TableWriteResult> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
            Guard(table, () => base.UpsertAsync(table, entity, mode, cancellationToken));

        public override Task<TableWriteResult> UpdateAsync(string table, TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) =>
            Guard(table, () => base.UpdateAsync(table, entity, ifMatch, mode, cancellationToken));

        private Task<TableWriteResult> Guard(string table, Func<Task<TableWriteResult>> write) =>
            FailDigestWrites && table == AccountDigestStore.Table ? throw new TableStorageUnavailableException("digest outage (test)") : write();
    }
}
