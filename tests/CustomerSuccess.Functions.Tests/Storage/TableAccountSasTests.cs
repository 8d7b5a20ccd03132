using System.Collections.Concurrent;
using System.Web;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>
/// A connection string's key reaches Azurite as an account SAS the SDK signs, renewed as it ages, never as a Shared
/// Key signature per request (Azure.Data.Tables leaves an undisposed HMAC per signed request to the finalizer).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableAccountSasTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ConnectionStringClient_EveryOperationTheAppMakes_GoesWithTheSasAndNoSharedKey()
    {
        var sent = new RecordingPolicy();
        var options = new TableClientOptions();
        options.AddPolicy(sent, HttpPipelinePosition.BeforeTransport);
        var service = AppTablesTestKit.ServiceClient(azurite.ConnectionString, options);
        var name = AppTablesTestKit.NewTableName();
        var table = service.GetTableClient(name);

        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("p", "a") { ["N"] = 1 });
        await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "b")), new TableTransactionAction(TableTransactionActionType.UpsertMerge, new TableEntity("p", "a") { ["N"] = 2 })]);
        var rows = await table.QueryAsync<TableEntity>(e => e.PartitionKey == "p").ToListAsync();
        await table.DeleteEntityAsync("p", "b");
        await service.DeleteTableAsync(name);

        Assert.Equal(["a", "b"], rows.Select(r => r.RowKey));
        Assert.Equal(2, rows[0].GetInt32("N"));
        Assert.True(sent.Requests.Count >= 6, $"{sent.Requests.Count} requests recorded");
        Assert.All(sent.Requests, r =>
        {
            Assert.False(r.HasAuthorization, "a request carried an Authorization header");
            Assert.False(string.IsNullOrEmpty(r.Signature), "a request carried no SAS signature");
        });
        Assert.Single(sent.Requests.Select(r => r.Signature).Distinct());
    }

    [Fact]
    public async Task Sas_NearTheEndOfItsLife_IsSignedAgainBeforeTheNextRequest()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sent = new RecordingPolicy();
        var options = StorageModule.Configure(new TableClientOptions(), azurite.TableEndpoint);
        options.AddPolicy(sent, HttpPipelinePosition.BeforeTransport);
        var service = TableAccountSas.CreateClient(azurite.TableEndpoint, new TableSharedKeyCredential(AzuriteFixture.AccountName, AzuriteFixture.AccountKey), options, clock);
        var table = service.GetTableClient(AppTablesTestKit.NewTableName());
        await table.CreateIfNotExistsAsync();
        var first = sent.Requests[^1];

        clock.Advance(TableAccountSas.Lifetime - TableAccountSas.RenewBefore - TimeSpan.FromMinutes(1));
        await table.AddEntityAsync(new TableEntity("p", "before"));
        var stillFirst = sent.Requests[^1];
        clock.Advance(TimeSpan.FromMinutes(2));
        await table.AddEntityAsync(new TableEntity("p", "after"));
        var renewed = sent.Requests[^1];
        await table.DeleteAsync();

        Assert.Equal(first.Signature, stillFirst.Signature);
        Assert.NotEqual(first.Signature, renewed.Signature);
        Assert.Equal(first.ExpiresOn + TableAccountSas.Lifetime - TableAccountSas.RenewBefore + TimeSpan.FromMinutes(1), renewed.ExpiresOn, TimeSpan.FromSeconds(1));
    }

    private sealed record SentRequest(bool HasAuthorization, string? Signature, DateTimeOffset ExpiresOn);

    private sealed class RecordingPolicy : HttpPipelineSynchronousPolicy
    {
        private readonly ConcurrentQueue<SentRequest> _requests = new();

        public IReadOnlyList<SentRequest> Requests => [.. _requests];

        public override void OnSendingRequest(HttpMessage message)
        {
            var query = HttpUtility.ParseQueryString(message.Request.Uri.Query);
            _requests.Enqueue(new SentRequest(
                message.Request.Headers.TryGetValue("Authorization", out _),
                query["sig"],
                DateTimeOffset.TryParse(query["se"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var se) ? se : default));
        }
    }
}
