using System.Text.Json.Nodes;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// The provider fixtures (Fixtures/) made one test's own: every event, account, customer, organization, group and user
/// id in them gets the test's suffix, so tests sharing one Azurite never see each other's events or accounts.
/// </summary>
internal sealed class TestEvents(string suffix)
{
    public TestEvents()
        : this(Guid.NewGuid().ToString("N")[..10])
    {
    }

    public string Suffix { get; } = suffix;

    public string Account => "acme-corp-" + Suffix;

    public string Customer => "cus_RYx8n1H3dq9ZpA" + Suffix;

    public string Organization => "8447346620158" + Suffix;

    public string Group => "grp_acme" + Suffix;

    public string User => "usr_9f8e7d6c" + Suffix;

    /// <summary>An event id of this test.</summary>
    public string Id(string name) => name + "-" + Suffix;

    public string Text(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", path))
        .Replace("evt_1Q", "evt_1Q" + Suffix, StringComparison.Ordinal)
        .Replace("node-next-", "node-next-" + Suffix + "-", StringComparison.Ordinal)
        .Replace("ajs-next-", "ajs-next-" + Suffix + "-", StringComparison.Ordinal)
        .Replace("cbe4028c-", Suffix + "-cbe4028c-", StringComparison.Ordinal)
        .Replace("1d0c6f0e-", Suffix + "-1d0c6f0e-", StringComparison.Ordinal)
        .Replace("acme-corp", Account, StringComparison.Ordinal)
        .Replace("cus_RYx8n1H3dq9ZpA", Customer, StringComparison.Ordinal)
        .Replace("8447346620158", Organization, StringComparison.Ordinal)
        .Replace("grp_acme", Group, StringComparison.Ordinal)
        .Replace("usr_9f8e7d6c", User, StringComparison.Ordinal);

    public JsonNode Node(string path) => JsonNode.Parse(Text(path))!;

    public byte[] Bytes(string path) => System.Text.Encoding.UTF8.GetBytes(Text(path));

    public string Subscription(string eventId, long created, int quantity, string status = "active", string type = "customer.subscription.updated", bool namesAccount = true)
    {
        var node = Node("Stripe/customer.subscription.updated.json");
        node["id"] = eventId;
        node["type"] = type;
        node["created"] = created;
        node["data"]!["object"]!["items"]!["data"]![0]!["quantity"] = quantity;
        node["data"]!["object"]!["status"] = status;
        if (!namesAccount)
        {
            node["data"]!["object"]!["metadata"] = new JsonObject();
        }

        return node.ToJsonString();
    }

    /// <summary>The batch fixture's message of one type, with a new message id.</summary>
    public JsonNode SegmentMessage(string type, string messageId)
    {
        var message = Node("Segment/batch.json")["batch"]!.AsArray().First(m => m!["type"]!.GetValue<string>() == type)!.DeepClone();
        message["messageId"] = messageId;
        return message;
    }
}
