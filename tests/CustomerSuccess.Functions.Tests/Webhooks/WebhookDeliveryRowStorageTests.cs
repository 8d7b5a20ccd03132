using System.Reflection;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>How a delivery row is written (only the properties with a value) and read back, on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookDeliveryRowStorageTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    // Every property the row stores: a property added later that the written entity leaves out fails the first test.
    private static IEnumerable<PropertyInfo> StoredProperties() =>
        typeof(WebhookDeliveryRow).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name is not (nameof(TableRow.ETag) or nameof(TableRow.Timestamp)));

    private async Task<AppTable> NewTableAsync()
    {
        var name = AppTablesTestKit.NewTableName();
        var tables = AppTablesTestKit.Create(azurite.ConnectionString, name);
        await tables.EnsureAsync(name, CancellationToken.None);
        return tables[name];
    }

    [Fact]
    public async Task EveryPropertyWithAValue_IsWritten_AndReadsBackTheSame()
    {
        var row = new WebhookDeliveryRow();
        var n = 0;
        foreach (var property in StoredProperties())
        {
            n++;
            property.SetValue(row, property.Name switch
            {
                nameof(TableRow.PartitionKey) => "segment|20261203|1",
                nameof(TableRow.RowKey) => "evt_every_property",
                _ when property.PropertyType == typeof(string) => "value of " + property.Name,
                _ when property.PropertyType == typeof(int) => n,
                _ when property.PropertyType == typeof(DateTimeOffset?) => Now.AddSeconds(n),
                _ when property.PropertyType == typeof(byte[]) => new byte[] { (byte)n, 1, 2, 3 },
                _ => throw new InvalidOperationException($"No test value for {property.Name} ({property.PropertyType.Name}): add one, and store it in ToStoredEntity."),
            });
        }

        var table = await NewTableAsync();
        Assert.Equal(TableWriteStatus.Success, (await table.AddAsync(row.ToStoredEntity())).Status);

        var read = await table.GetAsync<WebhookDeliveryRow>(row.PartitionKey, row.RowKey);
        Assert.NotNull(read);
        Assert.All(StoredProperties(), p => Assert.Equal(p.GetValue(row), p.GetValue(read)));
    }

    [Fact]
    public async Task AJustReceivedEvent_IsWrittenWithoutItsEmptyProperties_AndReadsBackWithThemNull()
    {
        const string json = """{"type":"track","messageId":"msg-1","event":"Report Exported"}""";
        var row = WebhookDeliveryRow.Create(WebhookProvider.Segment, new WebhookEvent("msg-1", "track", Now.AddMinutes(-1), json), Now);
        row.ContentType = "application/json";

        var entity = row.ToStoredEntity();

        Assert.DoesNotContain(entity, p => p.Value is null);
        var empty = StoredProperties().Where(p => p.GetValue(row) is null).Select(p => p.Name).ToList();
        Assert.Contains(nameof(WebhookDeliveryRow.Outcome), empty);
        Assert.Contains(nameof(WebhookDeliveryRow.Body1), empty);
        Assert.All(empty, name => Assert.False(entity.ContainsKey(name), name + " is null and should not be written"));

        var table = await NewTableAsync();
        Assert.Equal(TableWriteStatus.Success, (await table.AddAsync(entity)).Status);
        var read = await table.GetAsync<WebhookDeliveryRow>(row.PartitionKey, row.RowKey);
        Assert.NotNull(read);
        Assert.All(StoredProperties(), p => Assert.Equal(p.GetValue(row), p.GetValue(read)));
        Assert.Equal(json, read.ReadBody());
    }

    [Fact]
    public void TheSizeEstimate_CoversTheBodyAsBase64_AndTheText()
    {
        var row = WebhookDeliveryRow.Create(WebhookProvider.Stripe, new WebhookEvent("evt_1", "invoice.paid", Now, new string('x', 100)), Now);
        row.Body0 = new byte[3000];
        row.LastError = new string('e', 1000);

        var estimate = TableEntitySize.EstimatedWireBytes(row.ToStoredEntity());

        // 3,000 bytes are 4,000 in base64, and 1,000 characters at most 6,000 bytes of escaped JSON.
        Assert.True(estimate >= 4000 + 6000, $"estimate {estimate}");
        Assert.True(estimate < 20_000, $"estimate {estimate}");
    }
}
