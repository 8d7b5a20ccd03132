using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>Stripe fixture events made someone's: a fresh event id, the object's customer set, stored as a delivery would be.</summary>
internal static class StripeFixture
{
    public static JsonNode ForCustomer(string file, string eventId, string customer)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Stripe", file)))!;
        node["id"] = eventId;
        node["data"]!["object"]!["customer"] = customer;
        return node;
    }

    public static Task<TableWriteStatus> StoreAsync(WebhookDeliveryStore deliveries, string type, JsonNode node, DateTimeOffset receivedAt) =>
        deliveries.InsertAsync(WebhookProvider.Stripe, new WebhookEvent(node["id"]!.GetValue<string>(), type, null, node.ToJsonString()), new Dictionary<string, string>(), receivedAt, CancellationToken.None);
}
