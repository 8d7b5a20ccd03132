using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// The one place the poison suite reaches past HTTP into storage: counting stored deliveries (to prove a refused
/// event stored nothing) and storing rows the way an older version of the app did, past today's edge checks
/// (the situation after a restart: bad rows already acknowledged and stored). A rewrite of the delivery store
/// changes this helper, not the suite.
/// </summary>
internal sealed class StoredDeliveries(AppTables tables)
{
    private AppTable Inbox => tables[WebhookInbox.Table];

    private AppTable Archive => tables[WebhookArchive.Table];

    /// <summary>
    /// Events stored in any state: waiting in the inbox (each copy counted once by its event) or archived (read in that
    /// order, so one moving between them is seen).
    /// </summary>
    public async Task<int> CountAsync()
    {
        var waiting = await Inbox.QueryAsync<WebhookDeliveryRow>(TableFilter.All, ["PartitionKey", "RowKey"])
            .Select(r => new InboxKey(r.PartitionKey, r.RowKey).TryGetDelivery(out var key) ? key.EventKey : r.PartitionKey + "|" + r.RowKey)
            .ToListAsync();
        var archived = await Archive.QueryAsync<WebhookDeliveryRow>(TableFilter.All, ["PartitionKey", "RowKey"]).Select(r => r.PartitionKey + "|" + r.RowKey).ToListAsync();
        return waiting.Union(archived, StringComparer.Ordinal).Count();
    }

    /// <summary>Deliveries stored but not applied yet (waiting in the inbox).</summary>
    public async Task<int> UnappliedCountAsync() => await Inbox.QueryAsync<WebhookDeliveryRow>(TableFilter.All, ["RowKey"]).CountAsync();

    public async Task StoreAsReceivedBeforeAsync(WebhookProvider provider, string eventId, string eventType, string json, DateTimeOffset receivedAt) =>
        await Inbox.AddAsync(WebhookDeliveryRow.Create(provider, new WebhookEvent(eventId, eventType, null, json), receivedAt));

    /// <summary>A row whose stored body no longer decompresses (a damaged row): applying it fails every time.</summary>
    public async Task StoreDamagedAsync(WebhookProvider provider, string eventId, DateTimeOffset receivedAt)
    {
        var row = WebhookDeliveryRow.Create(provider, new WebhookEvent(eventId, "invoice.paid", null, "{}"), receivedAt);
        row.Body0 = "not gzip at all"u8.ToArray();
        await Inbox.AddAsync(row);
    }
}
