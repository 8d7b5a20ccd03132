using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Simulation;
using CustomerSuccess.Simulator.Observation;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>
/// The lifecycle feature end to end on the standalone runner (own process, simulated clock, in-process queues and
/// timers reading the function.json files) and Azurite, driven only through signed webhooks, the admin link, the
/// clock and the unsubscribe link; asserted on the outbox .eml files.
/// </summary>
public sealed class LifecycleStandaloneFlowTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 12, 1, 0, TimeSpan.Zero);
    private readonly AzuriteFixture azurite = new();

    public Task InitializeAsync() => azurite.InitializeAsync();

    public Task DisposeAsync() => azurite.StopAsync();

    [Fact]
    public async Task SmbSignups_InactiveThenActive_AndUnsubscribed_GetExactlyTheOnboardingEmailsDue()
    {
        await using var app = StandaloneAppProcess.Start(azurite, new Dictionary<string, string> { ["Clock__Start"] = Start.ToString("O", CultureInfo.InvariantCulture) });
        using var http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-functions-key", app.FunctionKey);
        await WaitUntilAsync(async () => (await TryGetAsync(http, "/local/runner")) is not null, "the app to start", app);

        // Two SMB accounts sign up: Ana's (will activate) and Bo's (will unsubscribe).
        var a = "acct_lc_a_" + Guid.NewGuid().ToString("N")[..6];
        var b = "acct_lc_b_" + Guid.NewGuid().ToString("N")[..6];
        await SignUpAsync(http, app, a, "ana@" + a + ".example", "u-ana");
        await SignUpAsync(http, app, b, "bo@" + b + ".example", "u-bo");
        foreach (var (account, email) in new[] { (a, "ana@" + a + ".example"), (b, "bo@" + b + ".example") })
        {
            // The preview renders with the account's own contact once the webhooks are applied (and sends nothing).
            await WaitUntilAsync(async () => (await TryGetAsync(http, $"/api/lifecycle/preview/{account}/onboarding/welcome")) is { } p && (string?)p["to"] == email, $"{account}'s contact to be known", app);
        }

        Assert.Empty(Emails(app));

        // Day 0: the first scan (12:15) sends both welcomes.
        await AdvanceAsync(http, Start.AddMinutes(14), app);

        // The rate limiter (30/min, no burst) spaces the second send a couple of seconds after the first, at the app's
        // time. Wait for the first before moving the clock on: on a loaded machine the scan can run after the runner
        // first reports idle, and a clock moved on before it would leave the second send scheduled past the clock.
        await WaitUntilAsync(() => Task.FromResult(Emails(app).Any(e => e.Step == "welcome")), "the first welcome email", app);
        await AdvanceAsync(http, Start.AddMinutes(16), app);
        await WaitUntilAsync(() => Task.FromResult(Emails(app).Count(e => e.Step == "welcome") == 2), "both welcome emails", app);
        var welcomeB = Assert.Single(Emails(app), e => e.To == "bo@" + b + ".example");
        var unsubscribe = ListUnsubscribeUrl(welcomeB.File);
        Assert.Equal("List-Unsubscribe=One-Click", EmlHeaders.Read(welcomeB.File)["list-unsubscribe-post"]);

        // Day 1: Bo unsubscribes with one click (RFC 8058); a forged link changes nothing.
        await AdvanceAsync(http, Start.AddDays(1), app);
        var forged = unsubscribe.Replace("&s=", "&s=A", StringComparison.Ordinal);
        using (var forgedResponse = await http.PostAsync(forged, OneClick()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forgedResponse.StatusCode);
        }

        using (var page = await http.GetAsync(unsubscribe))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        using (var oneClick = await http.PostAsync(unsubscribe, OneClick()))
        {
            Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        }

        var unsubscribedAt = Start.AddDays(1);

        // Days 1-4: nobody activates; Ana gets the day-3 setup nudge, Bo nothing.
        await AdvanceInStepsAsync(http, Start.AddDays(1), Start.AddDays(4).AddHours(2), TimeSpan.FromHours(6), app);
        await WaitUntilAsync(() => Task.FromResult(Emails(app).Any(e => e.To == "ana@" + a + ".example" && e.Step == "setup-nudge")), "Ana's setup nudge", app);

        // Day 5: Ana's team activates: three people use the product and Ana creates the first report.
        var now = Start.AddDays(5);
        await AdvanceAsync(http, now, app);
        foreach (var user in new[] { "u-ana", "u-carl", "u-dee" })
        {
            await PostSegmentAsync(http, app, Track(user, a, "Signed In", now));
        }

        await PostSegmentAsync(http, app, Track("u-ana", a, "Report Created", now.AddMinutes(1)));

        // Days 5-16: past the day-10 "invite your team" step.
        await AdvanceInStepsAsync(http, now, Start.AddDays(16), TimeSpan.FromHours(12), app);

        var emails = Emails(app);
        var ana = emails.Where(e => e.To == "ana@" + a + ".example" && e.Sequence == "onboarding").Select(e => e.Step).ToList();
        Assert.Equal(["setup-nudge", "welcome"], ana.Order(StringComparer.Ordinal).ToList());
        var bo = emails.Where(e => e.To == "bo@" + b + ".example").ToList();
        Assert.All(bo, e => Assert.True(e.Date < unsubscribedAt, $"{Path.GetFileName(e.File)} was sent to Bo after he unsubscribed ({e.Date:O})."));
        Assert.Contains(bo, e => e.Step == "welcome");
        Assert.DoesNotContain(emails, e => e.Sequence == "renewal"); // monthly billing: the period end is not a renewal conversation
        Assert.All(emails, e => Assert.Contains("List-Unsubscribe=One-Click", File.ReadAllText(e.File), StringComparison.Ordinal));
    }

    private static async Task SignUpAsync(HttpClient http, StandaloneAppProcess app, string accountId, string email, string userId)
    {
        var customer = "cus_" + accountId;
        await PostStripeAsync(http, app, StripeEvent("customer.created", new JsonObject
        {
            ["id"] = customer,
            ["object"] = "customer",
            ["name"] = "Shop " + accountId,
            ["email"] = email,
            ["metadata"] = new JsonObject { ["account_id"] = accountId },
        }));
        await PostStripeAsync(http, app, StripeEvent("customer.subscription.created", new JsonObject
        {
            ["id"] = "sub_" + accountId,
            ["object"] = "subscription",
            ["customer"] = customer,
            ["status"] = "active",
            ["cancel_at_period_end"] = false,
            ["start_date"] = Start.ToUnixTimeSeconds(),
            ["current_period_end"] = Start.AddMonths(1).ToUnixTimeSeconds(),
            ["items"] = new JsonObject
            {
                ["data"] = new JsonArray(new JsonObject
                {
                    ["quantity"] = 3,
                    ["current_period_end"] = Start.AddMonths(1).ToUnixTimeSeconds(),
                    ["price"] = new JsonObject { ["id"] = "price_team", ["nickname"] = "Team", ["unit_amount"] = 2900, ["recurring"] = new JsonObject { ["interval"] = "month", ["interval_count"] = 1 } },
                }),
            },
        }));
        using (var link = await http.PostAsJsonAsync("/api/accounts/links", new { accountId, kind = "segment-group", externalId = accountId }))
        {
            Assert.True(link.IsSuccessStatusCode, $"link {accountId}: {(int)link.StatusCode} {await link.Content.ReadAsStringAsync()}");
        }

        await PostSegmentAsync(http, app, new JsonObject
        {
            ["type"] = "identify",
            ["messageId"] = Guid.NewGuid().ToString(),
            ["userId"] = userId,
            ["timestamp"] = Iso(Start),
            ["context"] = new JsonObject { ["groupId"] = accountId, ["timezone"] = "Europe/Berlin" },
            ["traits"] = new JsonObject { ["email"] = email, ["firstName"] = userId[2..] },
        });
    }

    private static JsonObject Track(string userId, string accountId, string name, DateTimeOffset at) => new()
    {
        ["type"] = "track",
        ["messageId"] = Guid.NewGuid().ToString(),
        ["userId"] = userId,
        ["event"] = name,
        ["timestamp"] = Iso(at),
        ["context"] = new JsonObject { ["groupId"] = accountId },
        ["properties"] = new JsonObject(),
    };

    private static JsonObject StripeEvent(string type, JsonObject resource) => new()
    {
        ["id"] = "evt_" + Guid.NewGuid().ToString("N"),
        ["object"] = "event",
        ["api_version"] = "2024-06-20",
        ["created"] = Start.ToUnixTimeSeconds(),
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = resource },
    };

    private static async Task PostStripeAsync(HttpClient http, StandaloneAppProcess app, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var now = await ClockAsync(http);
        var t = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(app.Secrets.Stripe), Encoding.UTF8.GetBytes(t + ".").Concat(bytes).ToArray()));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("Stripe-Signature", $"t={t},v1={v1}");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"stripe: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task PostSegmentAsync(HttpClient http, StandaloneAppProcess app, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
#pragma warning disable CA5350 // Segment's documented scheme.
        var signature = Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(app.Secrets.Segment), bytes));
#pragma warning restore CA5350
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/segment") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Signature", signature);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"segment: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static FormUrlEncodedContent OneClick() => new([new("List-Unsubscribe", "One-Click")]);

    private static string ListUnsubscribeUrl(string eml)
    {
        var header = EmlHeaders.Read(eml)["list-unsubscribe"];
        var https = header.Split(',').Select(p => p.Trim().Trim('<', '>')).First(p => p.StartsWith("http", StringComparison.Ordinal));
        var uri = new Uri(https);
        return uri.PathAndQuery; // the base URL names the deployment; the test talks to this app
    }

    private static async Task<DateTimeOffset> ClockAsync(HttpClient http) =>
        DateTimeOffset.Parse((string)(await TryGetAsync(http, "/local/runner"))!["utcNow"]!, CultureInfo.InvariantCulture);

    private static async Task AdvanceAsync(HttpClient http, DateTimeOffset to, StandaloneAppProcess app)
    {
        using var response = await http.PostAsJsonAsync("/local/clock", new { utcNow = to });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await Task.Delay(300); // let the timers see the new time before asking whether the runner is idle
        await WaitUntilAsync(async () => (await TryGetAsync(http, "/local/runner")) is { } r && (bool)r["idle"]!, "the runner to be idle", app);
    }

    private static async Task AdvanceInStepsAsync(HttpClient http, DateTimeOffset from, DateTimeOffset to, TimeSpan step, StandaloneAppProcess app)
    {
        for (var t = from + step; t <= to; t += step)
        {
            await AdvanceAsync(http, t, app);
        }

        await AdvanceAsync(http, to, app);
    }

    private static async Task<JsonNode?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, StandaloneAppProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Timed out waiting for {what}. Outbox: {string.Join(", ", Emails(app).Select(e => Path.GetFileName(e.File)))}\nApp log tail:\n{(app.Log.Length > 3000 ? app.Log[^3000..] : app.Log)}");
    }

    private sealed record Email(string File, string? To, string? Sequence, string? Step, DateTimeOffset Date);

    private static List<Email> Emails(StandaloneAppProcess app)
    {
        if (!Directory.Exists(app.Outbox))
        {
            return [];
        }

        return Directory.EnumerateFiles(app.Outbox, "*.eml").Select(f =>
        {
            var h = EmlHeaders.Read(f);
            var category = h.GetValueOrDefault("x-category")?.Split('/') ?? [];
            return new Email(f, h.GetValueOrDefault("to"), category.ElementAtOrDefault(1), category.ElementAtOrDefault(2), DateTimeOffset.Parse(h["date"], CultureInfo.InvariantCulture));
        }).Where(e => EmlHeaders.Read(e.File).GetValueOrDefault("x-category")?.StartsWith("lifecycle/", StringComparison.Ordinal) == true).ToList();
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
