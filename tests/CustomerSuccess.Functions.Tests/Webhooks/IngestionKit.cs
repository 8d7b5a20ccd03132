using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Telemetry;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// The ingestion side as the app wires it (inbox, archive, links, account states, the batch applier), over a real
/// Table endpoint (Azurite), with a hand-set clock and a <see cref="TableTrafficPolicy"/> on the SDK pipeline that counts
/// requests and can fail chosen ones.
/// </summary>
internal sealed class IngestionKit
{
    public IngestionKit(string connectionString, TimeProvider clock, ProductOptions? product = null, WebhooksOptions? options = null, int chunkBytes = AccountStateStore.DefaultChunkBytes, Functions.Telemetry.AppMetrics? metrics = null)
    {
        Metrics = metrics ?? TestMeters.Metrics();
        Backlog = new ApplierBacklog(clock, Metrics);
        Clock = clock;
        Product = product ?? new ProductOptions();
        Options = options ?? new WebhooksOptions();
        var clientOptions = new TableClientOptions();
        clientOptions.AddPolicy(Traffic, Azure.Core.HttpPipelinePosition.PerCall);
        var service = StorageModule.CreateServiceClient(new TableStorageOptions { ConnectionString = connectionString }, clientOptions);
        Tables = new AppTables(service, [], NullLogger<AppTables>.Instance);
        States = new AccountStateStore(Tables, chunkBytes);
        Identity = new AccountIdentity(Tables, States, clock);
        Updater = new AccountUpdater(States, clock);
        Reader = new AccountSignalReader(States);
        Inbox = new WebhookInbox(Tables);
        Archive = new WebhookArchive(Tables);
        Applier = new WebhookApplier(Inbox, Archive, Identity, Updater, new ApplierRate(clock, NullLogger<ApplierRate>.Instance), new FixedOptions<ProductOptions>(Product), new FixedOptions<WebhooksOptions>(Options), clock, NullLogger<WebhookApplier>.Instance, Metrics, Backlog);
        Sweeper = new WebhookSweeper(Inbox, Archive, Applier, new FixedOptions<WebhooksOptions>(Options), clock);
        Linking = new AccountLinking(Identity, new ParkedEventDrain(Applier), Updater);
        Quarantine = new WebhookQuarantine(Archive, Applier, NullLogger<WebhookQuarantine>.Instance);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(WebhookProvider, string), DeliveryKey> _keys = new();

    public TableTrafficPolicy Traffic { get; } = new();

    public Functions.Telemetry.AppMetrics Metrics { get; }

    /// <summary>The deliveries the applier (and an ingestion built on <see cref="Metrics"/>) holds.</summary>
    public ApplierBacklog Backlog { get; }

    public TimeProvider Clock { get; }

    public ProductOptions Product { get; }

    public WebhooksOptions Options { get; }

    public AppTables Tables { get; }

    public AccountStateStore States { get; }

    public AccountIdentity Identity { get; }

    public AccountUpdater Updater { get; }

    public AccountSignalReader Reader { get; }

    public WebhookInbox Inbox { get; }

    public WebhookArchive Archive { get; }

    public WebhookApplier Applier { get; }

    public WebhookSweeper Sweeper { get; }

    public AccountLinking Linking { get; }

    public WebhookQuarantine Quarantine { get; }

    /// <summary>Stores a delivery in the inbox as the receiving request does (without the hint).</summary>
    public async Task<PendingDelivery> StoreAsync(WebhookProvider provider, string eventId, string type, string json, DateTimeOffset? receivedAt = null)
    {
        var row = WebhookDeliveryRow.Create(provider, new WebhookEvent(eventId, type, CreatedAt(provider, json), json), receivedAt ?? Clock.GetUtcNow());
        var key = new DeliveryKey(row.PartitionKey, row.RowKey);
        var inboxKey = Inbox.KeyFor(key, row.ReceivedAt!.Value, Options.InboxPartitionsPerSecond);
        Assert.Equal(TableWriteStatus.Success, await Inbox.InsertAsync(inboxKey, row));
        _keys[(provider, eventId)] = key;
        return PendingDelivery.FromInbox(inboxKey, row)!;
    }

    /// <summary>Stores a delivery and applies it as the page workers would; the delivery's outcome.</summary>
    public async Task<string?> StoreAndApplyAsync(WebhookProvider provider, string eventId, string type, string json)
    {
        var delivery = await StoreAsync(provider, eventId, type, json);
        await Applier.ApplyAsync([delivery], CancellationToken.None);
        return delivery.Outcome;
    }

    /// <summary>Applies the given deliveries as one page.</summary>
    public Task<PageSummary> ApplyAsync(params PendingDelivery[] page) => Applier.ApplyAsync(page, CancellationToken.None);

    public Task<(LinkOutcome Outcome, string AccountId, int Applied)> LinkAsync(string accountId, string kind, string externalId) =>
        Linking.LinkAsync(accountId, kind, externalId, CancellationToken.None);

    public async Task<AccountSignals> SignalsAsync(string accountId, DateOnly asOf) =>
        await Reader.ReadAccountAsync(accountId, asOf, CancellationToken.None) ?? throw new InvalidOperationException($"No account {accountId}.");

    public async Task<string?> ArchivedOutcomeAsync(WebhookProvider provider, string eventId) =>
        (await Archive.GetAsync(KeyOf(provider, eventId), CancellationToken.None))?.Outcome;

    /// <summary>Whether a copy of the event still waits in the inbox.</summary>
    public async Task<bool> InInboxAsync(WebhookProvider provider, string eventId) =>
        await Tables[WebhookInbox.Table].QueryAsync<TableEntity>(TableFilter.Of($"RowKey eq {KeyOf(provider, eventId).EventKey}")).AnyAsync();

    /// <summary>Where this kit stored an event (the key depends on the creation time in its JSON).</summary>
    public DeliveryKey KeyOf(WebhookProvider provider, string eventId) =>
        _keys.TryGetValue((provider, eventId), out var key) ? key : throw new InvalidOperationException($"{provider} event {eventId} was not stored through this kit.");

    /// <summary>The creation time the provider's parser reads from the event, as the receiving request stores it; null when the JSON has none.</summary>
    public static DateTimeOffset? CreatedAt(WebhookProvider provider, string json)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        var parsed = provider switch
        {
            WebhookProvider.Stripe => CustomerSuccess.Functions.Webhooks.Stripe.StripeEventParser.Parse(body),
            WebhookProvider.Segment => CustomerSuccess.Functions.Webhooks.Segment.SegmentEventParser.Parse(body),
            _ => CustomerSuccess.Functions.Webhooks.Zendesk.ZendeskEventParser.Parse(body),
        };
        return parsed.Events.Count == 1 ? parsed.Events[0].OccurredAt : null;
    }
}
