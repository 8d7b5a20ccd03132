using System.Text.Json;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Simulator;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>
/// The main job in small: 25 accounts over 35 simulated days against the real app (own process, Azurite, simulated
/// clock), one clock step a day at midday so lifecycle emails leave quiet hours. Then what the app did is checked
/// against what the simulator knows it caused: an email for every sequence the run should trigger, every webhook
/// acknowledged, no effect twice, every alert and email traced to its cause, and the report's totals equal to the
/// outbox and the app's APIs. The app gets an Azurite of its own, so it holds only what this simulation sent.
/// </summary>
public sealed class SimulationSmokeTests : IAsyncLifetime
{
    private const int Accounts = 25;
    private const int Days = 35;
    private const int Seed = 29; // a portfolio with a new SMB customer, an SMB churn early enough for win-back, and an annual SMB renewal

    private readonly AzuriteFixture azurite = new();

    public Task InitializeAsync() => azurite.InitializeAsync();

    public Task DisposeAsync() => azurite.StopAsync();

    [Fact]
    public async Task SmallSimulation_AgainstTheRealApp_EmailsAcknowledgementsNoDuplicatesAndCauses()
    {
        // Arrange
        var scenario = CustomerBehaviourModelTests.Default;
        await using var app = StandaloneAppProcess.Start(azurite, PortfolioGenerator.TeamSettings(Accounts, Seed, scenario));
        var options = new SimulationOptions
        {
            Accounts = Accounts,
            Days = Days,
            Seed = Seed,
            Scenario = scenario,
            Speed = 24,
            App = app.Address,
            OutputDirectory = app.RunDirectory,
            Concurrency = 4,
            Secrets = app.Secrets,
            FunctionKey = app.FunctionKey,
        };

        // Act
        var result = await new SimulationRun(options, new PlainProgress(TextWriter.Null)).RunAsync(CancellationToken.None);
        var figures = RunFigures.From(result);
        await SimulatorCommand.WriteOutputsAsync(figures, app.RunDirectory);

        // Assert: every signed webhook acknowledged, per provider, and the run delivered some twice.
        var log = Tail(app.Log);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems) + "\n" + log);
        foreach (var row in figures.Sent)
        {
            Assert.True(row.Events > 0, $"No {row.Provider} events were sent.");
            Assert.True(row.NotAcknowledged == 0, $"{row.Provider}: {row.NotAcknowledged} of {row.Requests} deliveries not acknowledged ({string.Join(", ", row.Failures.Select(f => $"HTTP {f.Key}: {f.Value}"))}). App log tail:\n{log}");
        }

        Assert.True(figures.Sent.Sum(r => r.Duplicates) > 0, "The run should have repeated some deliveries.");

        // An email for every sequence the run should trigger, by what the simulator sent (and, for at-risk, the bands the app showed).
        var emails = result.Observed.Outbox.Emails;
        var expected = SmokeExpectations.Sequences(result);
        Assert.True(expected.Count >= 3, $"The run should trigger at least three sequences; it triggers {string.Join(", ", expected)}.");
        foreach (var sequence in expected)
        {
            Assert.True(emails.Any(e => e.Sequence == sequence), $"No {sequence} email, though the run should have triggered one. Lifecycle emails: {string.Join(", ", figures.Lifecycle.Select(l => $"{l.Sequence}/{l.Step} {l.Emails}"))}.\n{log}");
        }

        Assert.Contains(emails, e => e.Kind is EmailKind.Alert or EmailKind.WatchDigest);

        // On time, not just by the end of the run: a win-back day-14 email within three days of its step.
        var trace = new SmokeExpectations(result);
        var late = trace.LateWinBacks(slackDays: 3).ToList();
        Assert.True(late.Count == 0, string.Join("\n", late));

        // No effect twice: each email once, each lifecycle step once per contact (at-risk may enrol again after a recovery),
        // each alert once in the alert list, each account and day once in the history.
        Assert.Equal(emails.Count, emails.Select(e => e.MessageId).Distinct(StringComparer.Ordinal).Count());
        var repeatedSteps = emails.Where(e => e.Kind == EmailKind.Lifecycle && e.Sequence != "at-risk").GroupBy(e => (e.To, e.Category)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeatedSteps.Count == 0, "Lifecycle steps sent twice: " + string.Join("; ", repeatedSteps));
        using (var listed = await GetAsync(app, "/api/alerts"))
        {
            var pairs = listed.RootElement.EnumerateArray().Select(a => (a.GetProperty("accountId").GetString(), a.GetProperty("ruleId").GetString())).ToList();
            Assert.Equal(pairs.Count, pairs.Distinct().Count());
        }

        // Every alert and every email traced to its cause.
        Assert.All(result.Observed.Alerts.Values, a => Assert.True(trace.AlertCause(a.Latest.AccountId, a.Latest.RuleId, a.Latest.Tier, a.FirstSeenDay, a.Latest.Reason) is null, trace.AlertCause(a.Latest.AccountId, a.Latest.RuleId, a.Latest.Tier, a.FirstSeenDay, a.Latest.Reason)));
        Assert.All(emails, e => Assert.True(trace.EmailCause(e) is null, $"{Path.GetFileName(e.File)}: {trace.EmailCause(e)}"));

        // The report's totals are the outbox's files and what the app's APIs say.
        var files = Directory.EnumerateFiles(app.Outbox, "*.eml").Select(Path.GetFileName).ToList();
        Assert.Equal(files.Count, figures.EmailTotal);
        Assert.Equal(files.Count(f => f!.StartsWith("lifecycle-", StringComparison.Ordinal)), figures.LifecycleEmailTotal);
        Assert.Equal(files.Count(f => f!.StartsWith("alert-", StringComparison.Ordinal)), figures.AlertEmailTotal);
        using (var portfolio = await GetAsync(app, "/api/portfolio"))
        {
            var appBands = portfolio.RootElement.GetProperty("bands").EnumerateObject().SelectMany(s => s.Value.EnumerateObject()).GroupBy(b => b.Name).ToDictionary(g => g.Key, g => g.Sum(b => b.Value.GetInt32()));
            // Churned accounts keep their final score but leave the portfolio once a recompute has seen the churn.
            var gone = result.Truth.Churns.Where(c => c.Day < Days - 1).Select(c => c.AccountId).ToHashSet(StringComparer.Ordinal);
            var latest = result.Observed.History.Where(h => !gone.Contains(h.Key)).Select(h => h.Value.Values.Last().Band).GroupBy(b => b).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(appBands.Where(b => b.Value > 0).OrderBy(b => b.Key), latest.OrderBy(b => b.Key));
        }

        var live = result.Portfolio.Accounts.Where(a => a.StartDay < Days - 2 && !result.Truth.Churns.Any(c => c.AccountId == a.AccountId)).ToList();
        Assert.All(live, a => Assert.True(result.Observed.History.ContainsKey(a.AccountId), $"{a.AccountId} was never scored."));
        Assert.True(File.Exists(Path.Combine(app.RunDirectory, OutputFiles.Prediction)));

        // snapshots.json: on day 30, the health the app explained for each account scored that day, sub-signals included.
        using (var snapshots = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(app.RunDirectory, OutputFiles.Snapshots))))
        {
            var day = Assert.Single(snapshots.RootElement.GetProperty("snapshots").EnumerateArray());
            Assert.Equal(30, day.GetProperty("day").GetInt32());
            var explained = day.GetProperty("accounts").EnumerateArray().ToList();
            var scoredOn30 = result.Observed.History.Where(h => h.Value.ContainsKey(30)).Select(h => h.Key).ToHashSet(StringComparer.Ordinal);
            Assert.Superset(scoredOn30, explained.Select(a => a.GetProperty("accountId").GetString()!).ToHashSet(StringComparer.Ordinal));
            Assert.All(explained, a => Assert.True(a.GetProperty("subSignals").GetArrayLength() > 0, $"{a.GetProperty("accountId")} has no sub-signals."));
        }

        await QbrPack_FromThisRun_ShowsTheAccountsApiFiguresInABrowser(app, live);
    }

    /// <summary>
    /// The QBR pack of an account this run scored longest (high-touch first: they hold QBRs), opened in headless
    /// Chromium as a CSM would before the meeting: every figure on the page is the account's API data.
    /// </summary>
    private static async Task QbrPack_FromThisRun_ShowsTheAccountsApiFiguresInABrowser(StandaloneAppProcess app, IReadOnlyList<SimulatedAccount> live)
    {
        var account = live.OrderBy(a => a.Segment == Segment.Smb).ThenBy(a => a.StartDay).First().AccountId;
        var path = $"/api/accounts/{Uri.EscapeDataString(account)}";
        using var health = await GetAsync(app, path + "/health");
        using var json = await GetAsync(app, path + "/qbr?format=json");
        var seen = await BrowserRun.RunAsync(
            Path.Combine(RepoPaths.Root, "tests", "CustomerSuccess.Functions.Tests", "Pages", "browser", "qbr-check.mjs"),
            new System.Text.Json.Nodes.JsonObject
            {
                ["url"] = new Uri(app.Address, path + "/qbr?code=" + Uri.EscapeDataString(app.FunctionKey)).ToString(),
                ["screenshot"] = Path.Combine(RepoPaths.Root, "TestResults", "qbr-from-main-job.png"),
            });

        var pack = json.RootElement;
        var h = pack.GetProperty("health");
        var days = h.GetProperty("days").EnumerateArray().Select(d => d.GetProperty("score").GetInt32()).ToList();
        Assert.Equal(200, (int)seen["status"]!);
        Assert.Equal((health.RootElement.GetProperty("score").GetInt32(), health.RootElement.GetProperty("band").GetString()), ((int)seen["score"]!, (string?)seen["band"]));
        Assert.True(days.Count > 20, $"the pack of {account} shows {days.Count} scored days of a {Days}-day run");
        Assert.Equal((days.Count, 100 - days[^1]), ((int)seen["trendPoints"]!, (int)(double)seen["lastPointY"]!));
        Assert.Equal(h.GetProperty("score").GetInt32(), days[^1]);
        Assert.Equal(h.GetProperty("drivers").EnumerateArray().Select(d => d.GetProperty("dimension").GetString()), seen["drivers"]!.AsArray().Select(d => (string?)d));
        var adoption = pack.GetProperty("adoption");
        var support = pack.GetProperty("support");
        Assert.Equal(adoption.GetProperty("activeUsers30d").GetInt32(), (int)seen["active30"]!);
        Assert.Equal($"{support.GetProperty("ticketsOpened").GetInt32()} / {support.GetProperty("ticketsSolved").GetInt32()}", (string?)seen["tickets"]);
        Assert.Equal(
            pack.GetProperty("milestones").EnumerateArray().Select(m => (m.GetProperty("name").GetString(), m.GetProperty("reachedAt").ValueKind != JsonValueKind.Null)),
            seen["milestones"]!.AsArray().Select(m => ((string?)m!["name"], (bool)m["reached"]!)));
        Assert.Equal((pack.GetProperty("risks").GetArrayLength(), pack.GetProperty("nextSteps").GetArrayLength()), ((int)seen["risks"]!, (int)seen["nextSteps"]!));
    }

    private static async Task<JsonDocument> GetAsync(StandaloneAppProcess app, string path)
    {
        using var http = new HttpClient { BaseAddress = app.Address };
        http.DefaultRequestHeaders.Add("x-functions-key", app.FunctionKey);
        return JsonDocument.Parse(await http.GetStringAsync(new Uri(path, UriKind.Relative)));
    }

    private static string Tail(string log) => log.Length <= 3000 ? log : log[^3000..];
}
