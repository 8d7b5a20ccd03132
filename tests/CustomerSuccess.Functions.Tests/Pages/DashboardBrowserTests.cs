using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Pages;

/// <summary>
/// Every page in headless Chromium (Debian's <c>chromium</c>, driven by playwright-core from the repo's node_modules;
/// no browser download) against the app on Kestrel: the numbers of the seeded portfolio in its tables and charts,
/// acknowledge and resolve by clicking, sign-in, a forged post, and screenshots at phone and desktop width kept in
/// <c>TestResults/dashboard-screenshots</c>.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DashboardBrowserTests(AzuriteFixture azurite) : IAsyncLifetime
{
    public static readonly string Screenshots = Path.Combine(RepoPaths.Root, "TestResults", "dashboard-screenshots");

    private DashboardApp _app = null!;
    private JsonObject _seen = null!;

    private DashboardSeed Seed => _app.Seed;

    public async Task InitializeAsync()
    {
        _app = await DashboardApp.StartAsync(azurite, kestrel: true);
        await _app.OpenPlaybookTasksAsync(Seed.Red);
        var address = _app.Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _seen = await RunBrowserAsync(new JsonObject
        {
            ["baseUrl"] = address.TrimEnd('/'),
            ["key"] = DashboardApp.Key,
            ["user"] = DashboardApp.User,
            ["csm"] = Seed.Csm,
            ["accounts"] = new JsonObject { ["red"] = Seed.Red, ["yellow"] = Seed.Yellow, ["redNoRenewal"] = Seed.RedNoRenewal },
            ["screenshots"] = Screenshots,
        });
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static Task<JsonObject> RunBrowserAsync(JsonObject config) =>
        BrowserRun.RunAsync(Path.Combine(RepoPaths.Root, "tests", "CustomerSuccess.Functions.Tests", "Pages", "browser", "dashboard-check.mjs"), config);

    /// <summary>One browser run (about a minute on a loaded machine) serves every check; each check names what failed.</summary>
    [Fact]
    public void Browser_EveryPage_ShowsTheSeededPortfolioActsOnClicksAndRefusesStrangers()
    {
        NotSignedIn_PageGoesToSignInAndJsonIs401();
        SignIn_ReturnsToTheAskedPageWithAnHttpOnlyStrictCookie();
        Portfolio_TablesAndChartShowTheSeededNumbers();
        AccountPage_ScoreDimensionsChartLinkedIdsAndRecentEvents();
        MyDayAndAlerts_RankedAndFilteredToTheCsm();
        Renewals_EachSeededRenewalInItsCategory_AndTheQbrPackRendersTheApisScore();
        PlaybookStep_DoneWithOneClick();
        AcknowledgeAndResolve_OneClickEach();
        ForgedPost_IsRejected();
        Pages_LoadNoScriptsFontsOrStylesheets();
        Pages_FitPhoneAndDesktopWidthAndAreKeptAsScreenshots();
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static int N(JsonNode? node) => node!.GetValue<int>();

    private void NotSignedIn_PageGoesToSignInAndJsonIs401()
    {
        Assert.Contains("/api/dashboard/signin", (string)_seen["unauthenticated"]!["url"]!, StringComparison.Ordinal);
        Assert.Equal(1, N(_seen["unauthenticated"]!["keyFields"]));
        Assert.Equal(401, N(_seen["unauthenticatedJsonStatus"]));
    }

    private void SignIn_ReturnsToTheAskedPageWithAnHttpOnlyStrictCookie()
    {
        Assert.Contains($"csm={Uri.EscapeDataString(Seed.Csm)}", (string)_seen["afterSignIn"]!, StringComparison.Ordinal);
        var cookie = Assert.Single(_seen["cookies"]!.AsArray())!;
        Assert.True((bool)cookie["httpOnly"]!);
        Assert.Equal("Strict", (string)cookie["sameSite"]!);
    }

    private void Portfolio_TablesAndChartShowTheSeededNumbers()
    {
        var p = _seen["portfolio"]!;
        Assert.Equal((1, 0, 0), (N(p["bands"]!["Enterprise"]!["Red"]), N(p["bands"]!["Enterprise"]!["Yellow"]), N(p["bands"]!["Enterprise"]!["Green"])));
        Assert.Equal((0, 1, 0), (N(p["bands"]!["MidMarket"]!["Red"]), N(p["bands"]!["MidMarket"]!["Yellow"]), N(p["bands"]!["MidMarket"]!["Green"])));
        Assert.Equal((1, 0, 1), (N(p["bands"]!["Smb"]!["Red"]), N(p["bands"]!["Smb"]!["Yellow"]), N(p["bands"]!["Smb"]!["Green"])));

        // The chart: one bar per non-empty band of a segment, its width in proportion (Smb: half Red, half Green).
        var bars = p["bars"]!.AsArray().Select(b => ((string)b!["segment"]!, (string)b["band"]!, N(b["count"]), (double)b["width"]!)).ToList();
        Assert.Equal(4, bars.Count);
        Assert.Equal(285, bars.Single(b => b.Item1 == "Enterprise").Item4, 1);
        Assert.Equal(142.5, bars.Single(b => b is ("Smb", "Red", _, _)).Item4, 1);

        Assert.Equal((0, 1, 0), (N(p["tiers"]!["Critical"]!["OnTime"]), N(p["tiers"]!["Critical"]!["DueSoon"]), N(p["tiers"]!["Critical"]!["Overdue"])));
        Assert.Equal(1, N(p["tiers"]!["Warning"]!["Overdue"]));
        Assert.Equal(1, N(p["tiers"]!["Watch"]!["OnTime"]));
        Assert.Equal((1, 1, 1), (N(p["renewals"]!["Red"]), N(p["renewals"]!["Yellow"]), N(p["renewals"]!["Green"])));
        Assert.Equal([(Seed.RedNoRenewal, 25), (Seed.Red, 30), (Seed.Yellow, 55)], p["atRisk"]!.AsArray().Select(a => ((string)a!["account"]!, N(a["score"]))));

        // The 90-day trend (whole portfolio): the two recorded days and today's snapshot, one column part per band present.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.Equal(
            [(Day(today.AddDays(-30)), 0, 0, 4, 1), (Day(today.AddDays(-1)), 1, 1, 2, 3), (Day(today), 2, 1, 1, 3)],
            p["trend"]!.AsArray().Select(d => ((string)d!["day"]!, N(d["red"]), N(d["yellow"]), N(d["green"]), N(d["columns"]))));
    }

    private void AccountPage_ScoreDimensionsChartLinkedIdsAndRecentEvents()
    {
        var a = _seen["account"]!;
        Assert.Equal(30, N(a["score"]));
        Assert.Equal(10, N(a["chartPoints"]));
        Assert.Equal(30, N(a["lastPoint"]));
        Assert.Equal(6, N(a["dimensions"]));

        // The seed's one Stripe event: the customer id it came under, and the event in words.
        Assert.Equal([("stripe-customer", "cus_" + Seed.Red)], a["linkedIds"]!.AsArray().Select(i => ((string)i!["kind"]!, (string)i["id"]!)));
        Assert.Equal([("stripe", "subscription changed")], a["recentEvents"]!.AsArray().Select(e => ((string)e!["provider"]!, (string)e["kind"]!)));
    }

    private void MyDayAndAlerts_RankedAndFilteredToTheCsm()
    {
        Assert.Equal([(Seed.Yellow, "OverdueAlert"), (Seed.Red, "NewCritical"), (Seed.RedNoRenewal, "Watch")], _seen["myDay"]!.AsArray().Select(i => ((string)i!["account"]!, (string)i["reason"]!)));
        Assert.Equal([(Seed.Red, "DueSoon"), (Seed.Yellow, "Overdue"), (Seed.RedNoRenewal, "OnTime")], _seen["alerts"]!.AsArray().Select(i => ((string)i!["account"]!, (string)i["sla"]!)));
    }

    private void AcknowledgeAndResolve_OneClickEach()
    {
        Assert.Equal("Acknowledged", (string)_seen["afterAcknowledge"]!["status"]!);
        Assert.Contains("acknowledged by " + DashboardApp.User, (string)_seen["afterAcknowledge"]!["text"]!, StringComparison.Ordinal);
        Assert.Equal(0, N(_seen["afterResolve"]!["open"]));
        Assert.Contains("by " + DashboardApp.User, (string)_seen["afterResolve"]!["past"]!, StringComparison.Ordinal);
        Assert.DoesNotContain(Seed.Yellow, _seen["alertsAfterResolve"]!.AsArray().Select(a => (string)a!));
        Assert.Contains(Seed.RedNoRenewal, _seen["alertsAfterResolve"]!.AsArray().Select(a => (string)a!));
    }

    private void PlaybookStep_DoneWithOneClick()
    {
        // The save plan of Red Corp's band alert: step 1 done by the signed-in user, the other four still open with a button each.
        var after = _seen["afterStepDone"]!;
        Assert.Equal(["done", "open", "open", "open", "open"], after["states"]!.AsArray().Select(s => (string)s!));
        Assert.Contains("by " + DashboardApp.User, (string)after["first"]!, StringComparison.Ordinal);
        Assert.Equal(4, N(after["buttons"]));
    }

    private void ForgedPost_IsRejected() => Assert.Equal(400, N(_seen["forgedStatus"]));

    private void Pages_LoadNoScriptsFontsOrStylesheets() => Assert.Equal(0, N(_seen["scriptRequests"]));

    private void Renewals_EachSeededRenewalInItsCategory_AndTheQbrPackRendersTheApisScore()
    {
        var categories = _seen["renewals"]!.AsArray().ToDictionary(r => (string)r!["account"]!, r => (string)r!["category"]!);
        Assert.Equal("LikelyToChurn", categories[Seed.Red]);
        Assert.Equal("AtRisk", categories[Seed.Yellow]);
        Assert.Equal("Likely", categories[Seed.Green]);
        Assert.False(categories.ContainsKey(Seed.RedNoRenewal));

        // The pack of Red Corp: its score on the page is the API's; six dimensions moved over its ten days, three shown;
        // next steps: escalation, the save team (renews in 20 days while Red), first value, stakeholders.
        var qbr = _seen["qbr"]!;
        Assert.Equal(("30", 30), ((string)qbr["score"]!, N(_seen["qbrJsonScore"])));
        Assert.Equal((3, 4), (N(qbr["drivers"]), N(qbr["nextSteps"])));
    }

    private void Pages_FitPhoneAndDesktopWidthAndAreKeptAsScreenshots()
    {
        foreach (var (page, overflow) in _seen["overflow"]!.AsObject())
        {
            Assert.True(N(overflow) <= 0, $"{page} is {N(overflow)} px wider than the screen");
        }

        var files = _seen["screenshots"]!.AsArray().Select(f => (string)f!).ToList();
        Assert.Equal(12, files.Count);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 10_000, $"{f} is missing or blank"));
    }
}
