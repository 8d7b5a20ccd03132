using System.Net;
using System.Text.RegularExpressions;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Tests.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Pages;

/// <summary>The real app on Azurite, standalone with a known function key, and a seeded portfolio.</summary>
internal sealed partial class DashboardApp : IAsyncDisposable
{
    public const string Key = "dashboard-test-key";
    public const string User = "pat.csm@example.com";

    private DashboardApp(WebApplicationFactory<Program> factory, DashboardSeed seed)
    {
        Factory = factory;
        Seed = seed;
    }

    public WebApplicationFactory<Program> Factory { get; }

    public DashboardSeed Seed { get; }

    public static async Task<DashboardApp> StartAsync(AzuriteFixture azurite, bool kestrel = false, IReadOnlyDictionary<string, string>? settings = null)
    {
        // Health's tables and the account states start empty, so the pages (the renewals among them) show the seed alone.
        var tables = await AppTablesTestKit.FreshAsync(azurite.ConnectionString, null, [.. HealthStorage.Tables, AccountStateStore.Table]);
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("FunctionKeys:Default", Key);
            // No background loops: the pages read what the seed wrote, nothing recomputes it meanwhile.
            b.UseSetting("LocalRunner:Enabled", "false");
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                b.UseSetting(key, value);
            }
        });
        if (kestrel)
        {
            factory.UseKestrel(0);
            factory.StartServer();
        }

        var seed = new DashboardSeed();
        await seed.WriteAsync(tables, factory.Services.GetRequiredService<AlertStore>(), DateTimeOffset.UtcNow);
        await DashboardSeed.WriteTrendAsync(factory.Services.GetRequiredService<CustomerSuccess.Functions.Pages.PortfolioTrendStore>(), DateTimeOffset.UtcNow);
        var app = new DashboardApp(factory, seed);
        await app.SnapshotTrendAsync();
        return app;
    }

    /// <summary>Today's portfolio trend, recorded as the hourly timer does: its invocation, with the function key.</summary>
    public async Task SnapshotTrendAsync()
    {
        using var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", Key);
        using var response = await client.PostAsync(new Uri("/DashboardTrendSnapshot", UriKind.Relative), new StringContent("""{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// Opens the playbook tasks of the account's seeded alerts: the seed wrote them without the dispatcher, so the
    /// app's listeners are told as the dispatcher tells them after a write.
    /// </summary>
    public async Task OpenPlaybookTasksAsync(string accountId)
    {
        var alerts = await Factory.Services.GetRequiredService<AlertStore>().GetForAccountAsync(accountId, default);
        await Factory.Services.GetRequiredService<AlertChangeFanOut>().WrittenAsync(accountId, [], [.. alerts.Select(a => new AlertChange(AlertChangeKind.Raise, a))], default);
    }

    public HttpClient Anonymous() => Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>A client signed in as the sign-in form does it: the function key once, then the cookie.</summary>
    public async Task<HttpClient> SignedInAsync()
    {
        var client = Anonymous();
        using var response = await client.GetAsync(new Uri($"/api/dashboard/signin/key?code={Key}&user={Uri.EscapeDataString(User)}&returnUrl=%2Fapi%2Fdashboard", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public static string TokenOf(string html) => WebUtility.HtmlDecode(Token().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("The page has no anti-forgery token."));

    public ValueTask DisposeAsync() => Factory.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
