using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Deliveries and links in their bounded partitions on a real Azurite: a redelivery days later still meets the stored
/// row, the sweep finds pending deliveries on every day and in the undated partitions, links stay point reads.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeliveryPartitionTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _clock = new(Now);
    private readonly TestEvents _events = new();
    private IngestionKit? _kit;

    private IngestionKit Kit => _kit ??= new IngestionKit(azurite.ConnectionString, _clock);

    [Fact]
    public async Task RedeliveryThreeDaysLater_ThroughHttp_OneArchivedRowInItsCreationDayPartition()
    {
        await using var factory = new WebhookAppFactory(_clock, azurite.ConnectionString);
        using var client = factory.CreateClient();
        var created = Now.AddDays(-1).ToUnixTimeSeconds();
        var json = _events.Subscription(_events.Id("sub"), created, 7, namesAccount: false);
        var tables = factory.Services.GetRequiredService<AppTables>();

        Assert.Equal(HttpStatusCode.OK, (await PostStripeAsync(client, factory, json)).StatusCode);
        await WaitUntilAsync(async () => await ArchivedAsync(tables) is [{ Outcome: DeliveryOutcomes.Parked }]);
        _clock.Advance(TimeSpan.FromDays(3));
        using var again = await PostStripeAsync(client, factory, json);
        await WaitUntilAsync(async () => !await InboxHoldsAsync(tables));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var archived = Assert.Single(await ArchivedAsync(tables));
        Assert.Matches("^stripe\\|20251121\\|[0-3]$", archived.PartitionKey);
        Assert.Equal(DeliveryOutcomes.Parked, archived.Outcome);
    }

    [Fact]
    public async Task Sweep_PendingOnSeveralDaysAndUndated_FindsAndArchivesEveryOne()
    {
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.StripeCustomer, _events.Customer);
        await Kit.LinkAsync(_events.Account, ExternalIdKinds.SegmentGroup, _events.Group);
        var stored = new List<PendingDelivery>();
        for (var day = 0; day < 5; day++)
        {
            var name = "sub" + day.ToString(CultureInfo.InvariantCulture);
            stored.Add(await Kit.StoreAsync(WebhookProvider.Stripe, _events.Id(name), "customer.subscription.updated", _events.Subscription(_events.Id(name), Now.AddDays(day - 10).ToUnixTimeSeconds(), 10 + day)));
        }

        for (var i = 0; i < 3; i++)
        {
            var message = _events.SegmentMessage("track", _events.Id("undated" + i.ToString(CultureInfo.InvariantCulture))).AsObject();
            foreach (var time in (string[])["timestamp", "originalTimestamp", "sentAt", "receivedAt"])
            {
                message.Remove(time);
            }

            stored.Add(await Kit.StoreAsync(WebhookProvider.Segment, message["messageId"]!.GetValue<string>(), "track", message.ToJsonString()));
        }

        var stripe = await Kit.Sweeper.InboxAsync(null, WebhookProvider.Stripe, int.MaxValue, CancellationToken.None);
        var segment = await Kit.Sweeper.InboxAsync(null, WebhookProvider.Segment, int.MaxValue, CancellationToken.None);

        Assert.Equal(5, stored.Take(5).Select(d => d.Key.PartitionKey).Distinct().Count());
        Assert.All(stored.Skip(5), d => Assert.StartsWith("segment|undated|", d.Key.PartitionKey, StringComparison.Ordinal));
        Assert.True(stripe.Applied >= 5 && segment.Seen >= 3, $"stripe applied {stripe.Applied}, segment seen {segment.Seen}");
        foreach (var delivery in stored)
        {
            // A Segment message with no time at all is archived as ignored (nothing to date it by in the account).
            var expected = delivery.Provider == WebhookProvider.Stripe ? DeliveryOutcomes.Applied : DeliveryOutcomes.Ignored;
            Assert.Equal(expected, (await Kit.Archive.GetAsync(delivery.Key, CancellationToken.None))?.Outcome);
            Assert.False(await Kit.InInboxAsync(delivery.Provider, delivery.Row.EventId!));
        }

        var signals = await Kit.SignalsAsync(_events.Account, DateOnly.FromDateTime(Now.UtcDateTime));
        Assert.Equal(14, signals.LicensedSeats);
    }

    [Fact]
    public async Task Link_StoredInItsBucket_FoundByAPointReadFromAFreshProcess()
    {
        var outcome = await Kit.LinkAsync(_events.Account, ExternalIdKinds.StripeCustomer, _events.Customer);
        var fresh = new AccountIdentity(Kit.Tables, Kit.States, _clock);

        var resolved = await fresh.ResolveAsync(ExternalIdKinds.StripeCustomer, _events.Customer, CancellationToken.None);
        var row = await Kit.Tables[AccountIdentity.LinksTable].GetAsync<TableEntity>(AccountIdentity.LinkPartition(ExternalIdKinds.StripeCustomer, _events.Customer), ProviderIdKeys.Escape(_events.Customer));

        Assert.Equal(LinkOutcome.Linked, outcome.Outcome);
        Assert.Equal(_events.Account, resolved);
        Assert.Equal(_events.Account, row?.GetString("AccountId"));
        Assert.Null(await fresh.ResolveAsync(ExternalIdKinds.SegmentGroup, _events.Customer, CancellationToken.None));
    }

    private static async Task<HttpResponseMessage> PostStripeAsync(HttpClient client, WebhookAppFactory factory, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigning.StripeHeader(factory.StripeSecret, factory.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeSeconds(), body));
        return await client.SendAsync(request);
    }

    private async Task<List<WebhookDeliveryRow>> ArchivedAsync(AppTables tables) =>
        await tables[WebhookArchive.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.Of($"EventId eq {_events.Id("sub")}")).ToListAsync();

    private async Task<bool> InboxHoldsAsync(AppTables tables) =>
        await tables[WebhookInbox.Table].QueryAsync<WebhookDeliveryRow>(TableFilter.Of($"EventId eq {_events.Id("sub")}")).AnyAsync();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("condition not reached within 10 s");
    }
}
