using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// The one place the poison suite reaches past HTTP into storage: counting stored deliveries (to prove a refused
/// event stored nothing) and storing rows the way an older version of the app did, past today's edge checks
/// (the situation after a restart: bad rows already acknowledged and stored). A rewrite of the delivery store
/// changes this helper, not the suite.
/// </summary>
internal sealed class StoredDeliveries(ITableStore store)
{
    public async Task<int> CountAsync()
    {
        await store.CreateTableIfNotExistsAsync(WebhookDeliveryStore.Table);
        return await store.QueryAsync(WebhookDeliveryStore.Table).CountAsync();
    }

    /// <summary>Deliveries stored but not applied (quarantined ones included).</summary>
    public async Task<int> UnappliedCountAsync() =>
        await store.QueryAsync(WebhookDeliveryStore.Table, "Applied eq false").CountAsync(d => d.GetBoolean("Applied") != true);

    public async Task StoreAsReceivedBeforeAsync(WebhookProvider provider, string eventId, string eventType, string json, DateTimeOffset receivedAt) =>
        await new WebhookDeliveryStore(store).InsertAsync(provider, new WebhookEvent(eventId, eventType, null, json), new Dictionary<string, string>(), receivedAt, CancellationToken.None);

    /// <summary>A row whose archived body no longer decompresses (a damaged row): applying it throws every time.</summary>
    public async Task StoreDamagedAsync(WebhookProvider provider, string eventId, DateTimeOffset receivedAt)
    {
        var (pk, rk) = WebhookDeliveryStore.Keys(provider, eventId);
        await store.CreateTableIfNotExistsAsync(WebhookDeliveryStore.Table);
        await store.InsertAsync(WebhookDeliveryStore.Table, new TableEntity(pk, rk)
        {
            ["Provider"] = provider.ToString(),
            ["EventId"] = eventId,
            ["EventType"] = "invoice.paid",
            ["ReceivedAt"] = receivedAt,
            ["Applied"] = false,
            ["BodyChunks"] = 1,
            ["Body0"] = "not gzip at all"u8.ToArray(),
        });
    }
}
