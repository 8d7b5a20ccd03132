using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>The alert API through the real pipeline, on Azurite, with the standalone function-key check.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AlertsApiTests(AzuriteFixture azurite) : IDisposable
{
    private const string Key = "test-function-key";
    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
        b.UseSetting("FunctionKeys:Default", Key);
    });

    private static readonly JsonSerializerOptions Json = AlertStore.Json;

    private async Task<string> SeedAsync(AlertTier tier, string csm)
    {
        var account = "acc-" + Guid.NewGuid().ToString("N")[..8];
        var store = _factory.Services.GetRequiredService<AlertStore>();
        var alert = new Alert
        {
            AccountId = account,
            RuleId = AlertRules.SupportEscalation,
            Occurrence = 1,
            Tier = tier,
            Status = AlertStatus.Open,
            RaisedAt = DateTimeOffset.UtcNow,
            DueBy = DateTimeOffset.UtcNow.AddDays(1),
            CsmEmail = csm,
            Reason = "1 urgent ticket(s), 0 formal complaint(s) open",
        };
        Assert.Equal(AlertWriteStatus.Written, await store.ApplyAsync(account, [new AlertChange(AlertChangeKind.Raise, alert)], CancellationToken.None));
        return account;
    }

    private HttpClient Client()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", Key);
        return client;
    }

    [Fact]
    public async Task List_WithoutFunctionKey_Is401()
    {
        var response = await _factory.CreateClient().GetAsync(new Uri("/api/alerts", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task List_FilterByAccountTierAndCsm_ReturnsMatchingOpenAlerts()
    {
        var account = await SeedAsync(AlertTier.Critical, "csm-a@example.com");
        using var client = Client();

        var byAccount = await client.GetFromJsonAsync<List<Alert>>($"/api/alerts?account={account}", Json);
        var byTierAndCsm = await client.GetFromJsonAsync<List<Alert>>("/api/alerts?tier=Critical&csm=csm-a@example.com", Json);
        var otherTier = await client.GetFromJsonAsync<List<Alert>>($"/api/alerts?account={account}&tier=Watch", Json);

        Assert.Equal(AlertRules.SupportEscalation, Assert.Single(byAccount!).RuleId);
        Assert.Contains(byTierAndCsm!, a => a.AccountId == account);
        Assert.Empty(otherTier!);
    }

    [Fact]
    public async Task AcknowledgeThenResolve_UpdatesTheAlertAndRemovesItFromTheOpenList()
    {
        var account = await SeedAsync(AlertTier.Warning, "csm-b@example.com");
        using var client = Client();

        var ack = await client.PostAsJsonAsync($"/api/alerts/{account}/{AlertRules.SupportEscalation}/acknowledge", new { by = "csm-b@example.com" });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var stored = await _factory.Services.GetRequiredService<AlertStore>().GetAsync(account, AlertRules.SupportEscalation, CancellationToken.None);
        Assert.Equal(AlertStatus.Acknowledged, stored!.Status);
        Assert.Equal("csm-b@example.com", stored.AcknowledgedBy);

        var resolve = await client.PostAsJsonAsync($"/api/alerts/{account}/{AlertRules.SupportEscalation}/resolve", new { note = "Ticket closed with the customer" });
        Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        stored = await _factory.Services.GetRequiredService<AlertStore>().GetAsync(account, AlertRules.SupportEscalation, CancellationToken.None);
        Assert.Equal(AlertStatus.Resolved, stored!.Status);
        Assert.Equal("Ticket closed with the customer", stored.ResolutionNote);
        Assert.Empty((await client.GetFromJsonAsync<List<Alert>>($"/api/alerts?account={account}", Json))!);

        var again = await client.PostAsJsonAsync($"/api/alerts/{account}/{AlertRules.SupportEscalation}/resolve", new { note = "x" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Acknowledge_UnknownAlert_Is404()
    {
        using var client = Client();
        var response = await client.PostAsJsonAsync("/api/alerts/nobody/health-band/acknowledge", new { by = "x" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    public void Dispose() => _factory.Dispose();
}
