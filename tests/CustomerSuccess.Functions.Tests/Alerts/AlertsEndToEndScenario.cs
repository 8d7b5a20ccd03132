using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Simulator.Driving;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>
/// Issue 5's end-to-end scenario, run once for <see cref="AlertsEndToEndTests"/>: the real app on Kestrel with the
/// standalone runner (timers, in-process Service Bus queues, simulated clock) and its own Azurite, driven only by
/// signed webhooks, clock moves and the function-key API a CSM uses. Two accounts follow the same path
/// Green → Yellow → Red; the email sender fails the first two Critical attempts for one CSM and every Critical
/// attempt for the other, so the queue has to redeliver and finally dead-letter. What the app did is recorded
/// per phase; the tests assert on the records.
/// </summary>
public sealed class AlertsEndToEndScenario : IAsyncLifetime
{
    public const string MainAccount = "acct-e2e-northwind";
    public const string MainCsm = "dana.csm@example.test";
    public const string BrokenAccount = "acct-e2e-contoso";
    public const string BrokenCsm = "sam.csm@example.test";
    public const string EscalationContact = "cs-escalations@example.test";
    public const string CriticalQueue = "alerts-critical";
    public const int CriticalMaxDeliveryCount = 4;

    /// <summary>A Monday: the Red day (S+16) is a Wednesday, so Critical goes to the assigned CSM, not on-call.</summary>
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 8, 30, 0, TimeSpan.Zero);

    // Each step settles in well under a second; the margin is for a machine busy with the rest of the suite.
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    private readonly AzuriteFixture _azurite = new();
    private readonly string _runDirectory = Path.Combine(Path.GetTempPath(), "cs-alerts-e2e-" + Guid.NewGuid().ToString("N"));
    private AppFactory? _factory;
    private HttpClient? _http;
    private AppClient? _runner;
    private ProviderWebhooks? _webhooks;

    public string Outbox => Path.Combine(_runDirectory, "outbox");

    public TimeSpan Duration { get; private set; }

    /// <summary>The outbox as it was after each phase.</summary>
    public Dictionary<string, IReadOnlyList<OutboxEmail>> Emails { get; } = new(StringComparer.Ordinal);

    /// <summary>GET /api/accounts/{main}/health after each phase.</summary>
    public Dictionary<string, JsonElement> MainHealth { get; } = new(StringComparer.Ordinal);

    /// <summary>GET /api/alerts?account={main} after each phase.</summary>
    public Dictionary<string, JsonElement> MainAlerts { get; } = new(StringComparer.Ordinal);

    /// <summary>GET /api/admin/deadletters?queue=alerts-critical after each phase.</summary>
    public Dictionary<string, JsonElement> CriticalDeadLetters { get; } = new(StringComparer.Ordinal);

    public HttpStatusCode AcknowledgeStatus { get; private set; }

    public HttpStatusCode RedriveStatus { get; private set; }

    internal EmailFaults EmailFaults => _factory!.Faults;

    public async Task InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        await _azurite.InitializeAsync();
        _factory = new AppFactory(_azurite.ConnectionString, Outbox);
        _factory.UseKestrel();
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Add("x-functions-key", AppFactory.FunctionKey);
        _runner = new AppClient(_http.BaseAddress, AppFactory.FunctionKey, 2);
        _webhooks = new ProviderWebhooks(_http, _factory.StripeSecret, _factory.SegmentSecret, _factory.ZendeskSecret);

        // The email service fails: twice for the main CSM's Critical email, always for the other CSM's until healed.
        var brokenHealed = false;
        EmailFaults.FailWhen = (message, attempt) => message.Category == "alert/critical"
            && ((message.To == MainCsm && attempt <= 2) || (message.To == BrokenCsm && !Volatile.Read(ref brokenHealed)));

        await RunAsync(() => Volatile.Write(ref brokenHealed, true));
        Duration = stopwatch.Elapsed;
    }

    private async Task RunAsync(Action healBrokenSender)
    {
        var s = Start;

        // Day 0: both accounts are healthy customers (active seats, milestones reached, a champion, a happy ticket).
        await LinkAsync(MainAccount);
        await LinkAsync(BrokenAccount);
        await SendHealthyHistoryAsync(MainAccount, MainCsm, s);
        await SendHealthyHistoryAsync(BrokenAccount, BrokenCsm, s);
        await WaitForWebhooksAppliedAsync();
        await TickAsync(s.AddHours(1.5));
        await RecordAsync("green");

        // Usage fades by itself: five of six seats stop using the product and the champion stops signing in. Day 6 is
        // still Green and takes the day's digest slot, so the Watch raised on day 7 waits for day 7's digest.
        await TickAsync(At(s, 6, 9, 0));
        await RecordAsync("day6");
        await TickAsync(At(s, 7, 7, 30));
        await RecordAsync("yellow");
        await TickAsync(At(s, 7, 8, 30));
        await RecordAsync("digest");

        // The CSMs acknowledge their Watch (an acknowledged alert does not escalate on its due time).
        AcknowledgeStatus = await AcknowledgeAsync(MainAccount, MainCsm);
        await AcknowledgeAsync(BrokenAccount, BrokenCsm);

        // Day 16 (a Wednesday): still Yellow in the morning; then the champion (also the executive sponsor) leaves.
        await TickAsync(At(s, 16, 7, 30));
        await RecordAsync("before-departure");
        var departedAt = At(s, 16, 7, 31);
        foreach (var (account, _) in new[] { (MainAccount, MainCsm), (BrokenAccount, BrokenCsm) })
        {
            await _webhooks!.SegmentBatchAsync([_webhooks.SegmentIdentify(User(account, 1), Group(account), departedAt, Person(account, 1, champion: true, status: "left"))], departedAt);
        }

        await WaitForWebhooksAppliedAsync();
        await TickAsync(At(s, 16, 10, 0));
        await RecordAsync("red");

        // The operator fixes the email service and re-drives the dead letter.
        healBrokenSender();
        var letter = CriticalDeadLetters["red"].EnumerateArray().FirstOrDefault(d => d.GetProperty("messageId").GetString()!.StartsWith(BrokenAccount, StringComparison.Ordinal));
        if (letter.ValueKind == JsonValueKind.Object)
        {
            using var redrive = await _http!.PostAsync(new Uri($"/api/admin/deadletters/{CriticalQueue}/{Uri.EscapeDataString(letter.GetProperty("messageId").GetString()!)}/redrive", UriKind.Relative), null);
            RedriveStatus = redrive.StatusCode;
            await SettleAsync(At(s, 16, 10, 1));
        }

        await RecordAsync("redriven");

        // Later ticks: hourly recomputes, the next day, and the Critical's due time passing unacknowledged.
        await TickAsync(At(s, 16, 14, 0));
        await TickAsync(At(s, 17, 7, 30));
        await TickAsync(At(s, 17, 10, 30));
        await RecordAsync("final");
    }

    private static DateTimeOffset At(DateTimeOffset start, int day, int hour, int minute) =>
        new DateTimeOffset(start.Date, TimeSpan.Zero).AddDays(day).AddHours(hour).AddMinutes(minute);

    private static string Group(string account) => "grp_" + account;

    private static string User(string account, int n) => $"usr_{account}_{n}";

    private static string Customer(string account) => "cus_" + account.Replace("-", string.Empty, StringComparison.Ordinal);

    private static JsonObject Person(string account, int n, bool champion, string? status = null)
    {
        var traits = new JsonObject
        {
            ["email"] = $"user{n}@{account}.example",
            ["name"] = "User " + n.ToString(CultureInfo.InvariantCulture),
            ["title"] = champion ? "VP Operations" : "Analyst",
            ["champion"] = champion,
            ["executive_sponsor"] = champion,
        };
        if (status is not null)
        {
            traits["status"] = status;
        }

        return traits;
    }

    /// <summary>The Segment group and Zendesk organization are linked once by an admin, as for any new customer.</summary>
    private async Task LinkAsync(string account)
    {
        foreach (var (kind, id) in new[] { ("segment-group", Group(account)), ("zendesk-org", "org_" + account) })
        {
            using var response = await _http!.PostAsJsonAsync(new Uri("/api/accounts/links", UriKind.Relative), new { accountId = account, kind, externalId = id });
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>
    /// Stripe: the customer (with its CSM) and a 6-seat subscription. Segment: six people, user 1 the champion and
    /// sponsor; the last 28 days of use, as a backfill batch: everyone active 23-27 days ago, the champion using a key
    /// feature daily but signing in only until 10 days ago; both milestones long reached. Zendesk: one ticket, solved, rated good.
    /// </summary>
    private async Task SendHealthyHistoryAsync(string account, string csm, DateTimeOffset now)
    {
        var w = _webhooks!;
        var customer = Customer(account);
        await w.StripeAsync("customer.created", new JsonObject
        {
            ["id"] = customer,
            ["object"] = "customer",
            ["email"] = "billing@" + account + ".example",
            ["name"] = account.Replace("acct-e2e-", string.Empty, StringComparison.Ordinal) + " Ltd",
            ["metadata"] = new JsonObject { ["account_id"] = account, ["csm_email"] = csm },
        }, now, now);
        await w.StripeAsync("customer.subscription.created", new JsonObject
        {
            ["id"] = "sub_" + account,
            ["object"] = "subscription",
            ["customer"] = customer,
            ["status"] = "active",
            ["cancel_at_period_end"] = false,
            ["start_date"] = now.AddDays(-120).ToUnixTimeSeconds(),
            ["current_period_start"] = now.AddDays(-10).ToUnixTimeSeconds(),
            ["current_period_end"] = now.AddDays(20).ToUnixTimeSeconds(),
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = "si_" + account,
                    ["object"] = "subscription_item",
                    ["price"] = new JsonObject
                    {
                        ["id"] = "price_team_monthly",
                        ["object"] = "price",
                        ["nickname"] = "Team",
                        ["recurring"] = new JsonObject { ["interval"] = "month", ["interval_count"] = 1, ["usage_type"] = "licensed" },
                        ["type"] = "recurring",
                        ["unit_amount"] = 5000,
                    },
                    ["quantity"] = 6,
                }),
            },
        }, now, now);

        var group = Group(account);
        var messages = new List<JsonObject>();
        DateTimeOffset DaysAgo(int days) => new DateTimeOffset(now.Date, TimeSpan.Zero).AddDays(-days).AddHours(8);
        for (var n = 1; n <= 6; n++)
        {
            messages.Add(w.SegmentIdentify(User(account, n), group, DaysAgo(40), Person(account, n, champion: n == 1)));
        }

        messages.Add(w.SegmentTrack(User(account, 1), group, "Integration Connected", DaysAgo(50)));
        messages.Add(w.SegmentTrack(User(account, 1), group, "Onboarding Completed", DaysAgo(45)));
        for (var day = 27; day >= 0; day--)
        {
            var at = day == 0 ? now.AddMinutes(-10) : DaysAgo(day);
            messages.Add(w.SegmentTrack(User(account, 1), group, "Report Created", at));
            if (day >= 10)
            {
                messages.Add(w.SegmentTrack(User(account, 1), group, "Signed In", at));
            }

            if (day >= 23)
            {
                for (var n = 2; n <= 6; n++)
                {
                    messages.Add(w.SegmentTrack(User(account, n), group, "Signed In", at));
                    messages.Add(w.SegmentTrack(User(account, n), group, "Report Created", at));
                }
            }
        }

        await w.SegmentBatchAsync(messages, now);

        var ticket = new JsonObject
        {
            ["id"] = account == MainAccount ? "5101" : "5102",
            ["organization_id"] = "org_" + account,
            ["priority"] = "NORMAL",
            ["status"] = "NEW",
            ["subject"] = "How do I export a report?",
            ["type"] = "QUESTION",
            ["tags"] = new JsonArray("how-to"),
            ["created_at"] = ProviderWebhooks.Iso(DaysAgo(5)),
            ["updated_at"] = ProviderWebhooks.Iso(DaysAgo(5)),
        };
        await w.ZendeskAsync("ticket.created", ticket, DaysAgo(5), now);
        var solved = ticket.DeepClone().AsObject();
        solved["status"] = "SOLVED";
        solved["updated_at"] = ProviderWebhooks.Iso(DaysAgo(4));
        solved["satisfaction_rating"] = new JsonObject { ["score"] = "good" };
        await w.ZendeskAsync("ticket.status_changed", solved, DaysAgo(4), now, new JsonObject { ["current"] = "SOLVED", ["previous"] = "NEW" });
    }

    private async Task<HttpStatusCode> AcknowledgeAsync(string account, string csm)
    {
        using var response = await _http!.PostAsJsonAsync(new Uri($"/api/alerts/{account}/health-band/acknowledge", UriKind.Relative), new { by = csm });
        return response.StatusCode;
    }

    /// <summary>Moves the clock to <paramref name="at"/> (timers due by then fire once), lets everything settle, then one minute on so the dispatcher takes what the recompute wrote.</summary>
    private async Task TickAsync(DateTimeOffset at)
    {
        await _runner!.SetClockAsync(at, CancellationToken.None);
        await SettleAsync(at);
        var next = at.AddMinutes(1);
        await _runner.SetClockAsync(next, CancellationToken.None);
        await SettleAsync(next);
    }

    private async Task SettleAsync(DateTimeOffset at)
    {
        var status = await _runner!.WaitUntilIdleAsync(at, SettleTimeout, CancellationToken.None);
        if (status.TimedOut)
        {
            throw new TimeoutException($"The app did not settle at {at:O} within {SettleTimeout.TotalSeconds} s.");
        }
    }

    /// <summary>Webhooks are stored before the 2xx and applied just after, in the background: wait until none is left unapplied.</summary>
    private async Task WaitForWebhooksAppliedAsync()
    {
        var inbox = _factory!.Services.GetRequiredService<WebhookInbox>();
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            var pending = (await inbox.PendingAsync(receivedBefore: null, provider: null, max: 1000, CancellationToken.None)).Count;

            if (pending == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{pending} webhook deliveries were still unapplied after {SettleTimeout.TotalSeconds} s.");
            }

            await Task.Delay(25);
        }
    }

    private async Task RecordAsync(string phase)
    {
        Emails[phase] = OutboxEmail.ReadAll(Outbox);
        MainHealth[phase] = await GetJsonAsync($"/api/accounts/{MainAccount}/health");
        MainAlerts[phase] = await GetJsonAsync($"/api/alerts?account={MainAccount}");
        CriticalDeadLetters[phase] = await GetJsonAsync($"/api/admin/deadletters?queue={CriticalQueue}");
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http!.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {text}");
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        _runner?.Dispose();
        _http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await _azurite.StopAsync();
        try
        {
            Directory.Delete(_runDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// The real app as scripts/run-local.sh starts it (standalone, simulated clock, runner on, Azurite), on Kestrel so
    /// the runner invokes functions over HTTP as the host does. Only the email sender is wrapped, for fault injection.
    /// </summary>
    private sealed class AppFactory(string storage, string outbox) : WebApplicationFactory<Program>
    {
        public const string FunctionKey = "e2e-function-key";

        public string StripeSecret { get; } = WebhookSigning.NewSecret("whsec_");

        public string SegmentSecret { get; } = WebhookSigning.NewSecret("seg_");

        public string ZendeskSecret { get; } = WebhookSigning.NewSecret("zd_");

        public EmailFaults Faults { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            var settings = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = storage,
                // Port 0: Kestrel takes a free port itself, so no other test can take it in between.
                ["urls"] = "http://127.0.0.1:0",
                ["FunctionKeys:Default"] = FunctionKey,
                ["Webhooks:Stripe:SigningSecrets:0"] = StripeSecret,
                ["Webhooks:Segment:SharedSecrets:0"] = SegmentSecret,
                ["Webhooks:Zendesk:SigningSecrets:0"] = ZendeskSecret,
                ["Email:OutboxPath"] = outbox,
                ["Clock:Mode"] = "Simulated",
                ["Clock:Start"] = Start.ToString("O", CultureInfo.InvariantCulture),
                ["LocalRunner:PollInterval"] = "00:00:00.020",
                [$"LocalRunner:Queues:{CriticalQueue}:MaxDeliveryCount"] = CriticalMaxDeliveryCount.ToString(CultureInfo.InvariantCulture),
                ["Health:ShardCount"] = "2",

                // The pipeline under test, not the trust rules (their own tests): a band moves on its first day, and
                // the scenario's first scores may raise.
                ["Health:BandChangeDays"] = "1",
                ["Alerts:WarmUpDays"] = "0",
                ["Product:FirstValueMilestone"] = "Integration Connected",
                ["Product:SuccessMilestones:0"] = "Onboarding Completed",
                ["Product:KeyFeatures:0"] = "Report Created",
            };

            // A model CS operations tuned towards usage, the same for every segment. The scenario sends no contact
            // signals, so engagement is missing and carries no weight; of the 90 left, usage is 50 and relationship 15.
            // Yellow at day 7 (usage 50): (2500 + 1000 + 1000 + 1500 + 500) / 90 = 72; Red once the champion leaves
            // with usage at 28: (1400 + 1000 + 1000 + 0 + 500) / 90 = 43.
            foreach (var segment in new[] { "Smb", "MidMarket", "Enterprise" })
            {
                settings[$"Health:Weights:{segment}:ProductUsage"] = "50";
                settings[$"Health:Weights:{segment}:Engagement"] = "10";
                settings[$"Health:Weights:{segment}:Outcomes"] = "10";
                settings[$"Health:Weights:{segment}:Support"] = "10";
                settings[$"Health:Weights:{segment}:Relationship"] = "15";
                settings[$"Health:Weights:{segment}:Payment"] = "5";
            }

            foreach (var (key, value) in new Dictionary<string, string>
            {
                ["Alerts:EscalationContact"] = EscalationContact,
                ["Alerts:DashboardBaseUrl"] = "https://cs.example.test",
                ["Alerts:Rota:Members:0"] = "oncall.csm@example.test",
                ["Logging:LogLevel:Default"] = "Warning",
            })
            {
                settings[key] = value;
            }

            // This scenario follows the band rule (Watch on Yellow, Critical on Red). The other rules have their own unit
            // tests; a fading account would rightly raise them too (usage decline, a dimension at 0, the champion's
            // departure), and each would be one more correct email that says nothing about this path.
            var others = Functions.Alerts.AlertRules.All.Where(r => r != Functions.Alerts.AlertRules.HealthBand).ToList();
            for (var i = 0; i < others.Count; i++)
            {
                settings["Alerts:DisabledRules:" + i.ToString(CultureInfo.InvariantCulture)] = others[i];
            }

            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                var real = services.Last(d => d.ServiceType == typeof(IEmailSender));
                services.Remove(real);
                services.AddSingleton<IEmailSender>(sp =>
                {
                    var inner = real.ImplementationFactory is { } create ? (IEmailSender)create(sp) : (IEmailSender)real.ImplementationInstance!;
                    return new FaultInjectingEmailSender(inner, Faults);
                });
            });
        }
    }
}

/// <summary>One .eml file of the app's outbox: the headers a mail client shows and the plain-text part.</summary>
public sealed record OutboxEmail(string File, string To, string? Cc, string Category, string Subject, string Text)
{
    public static IReadOnlyList<OutboxEmail> ReadAll(string folder) =>
        Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder, "*.eml").Order(StringComparer.Ordinal).Select(Read)] : [];

    public static OutboxEmail Read(string path)
    {
        var lines = System.IO.File.ReadAllLines(path);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        for (; i < lines.Length && lines[i].Length > 0; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[lines[i][..colon]] = lines[i][(colon + 1)..].Trim();
            }
        }

        // The text/plain part: base64 lines after its part headers, up to the next boundary.
        var text = string.Empty;
        var start = Array.FindIndex(lines, i, l => l.StartsWith("Content-Type: text/plain", StringComparison.Ordinal));
        if (start >= 0)
        {
            var body = lines.Skip(start).SkipWhile(l => l.Length > 0).Skip(1).TakeWhile(l => !l.StartsWith("--", StringComparison.Ordinal));
            text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(string.Concat(body)));
        }

        return new OutboxEmail(
            Path.GetFileName(path),
            headers.GetValueOrDefault("To") ?? string.Empty,
            headers.GetValueOrDefault("Cc"),
            headers.GetValueOrDefault("X-Category") ?? string.Empty,
            headers.GetValueOrDefault("Subject") ?? string.Empty,
            text);
    }
}
