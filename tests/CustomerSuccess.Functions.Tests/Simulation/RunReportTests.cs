using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CustomerSuccess.Simulator;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;
using CustomerSuccess.Simulator.Reporting;
using Spectre.Console;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>The reports with data in them (history, alerts, emails, churn), fed from a planned run and made-up app answers: no app needed.</summary>
public sealed partial class RunReportTests : IDisposable
{
    private const int Days = 100;
    private static readonly DateTimeOffset Day0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cs-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static string Eml(string to, string category, string subject, string text) =>
        $"To: {to}\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@outbox.local>\r\nX-Category: {category}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
        + $"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text))}\r\n--b1--\r\n";

    private SimulationResult Result()
    {
        var scenario = CustomerBehaviourModelTests.Default;
        var portfolio = PortfolioGenerator.Generate(80, 9, Day0, scenario);
        var truth = new GroundTruth();
        var model = new CustomerBehaviourModel(portfolio, truth, 9, scenario);
        for (var d = 0; d < Days; d++)
        {
            model.PlanDay(d);
        }

        var options = new SimulationOptions { App = new Uri("http://127.0.0.1:1"), OutputDirectory = _dir, Secrets = new WebhookSecrets("a", "b", "c"), FunctionKey = "k", Days = Days, Accounts = 80, Scenario = scenario, Seed = 9 };
        using var app = new AppClient(options.App, "k", 1);
        var observed = new AppObservations(app, portfolio);
        var projection = OutcomeProjection.Play(80, 9, scenario, Day0, Days + PredictionDesign.HorizonDays);
        var churnDay = projection.Truth.Churns.ToDictionary(c => c.AccountId, c => c.Day);

        // Made-up app answers: an account bound to churn turns Red 50 days before it does; everyone else is Green but every 17th day.
        foreach (var a in portfolio.Accounts)
        {
            var history = new SortedDictionary<int, HealthPoint>();
            for (var d = a.StartDay; d < Days; d++)
            {
                var red = churnDay.TryGetValue(a.AccountId, out var c) && d >= c - 50;
                var band = red ? "Red" : d % 17 == 0 ? "Yellow" : "Green";
                history[d] = new HealthPoint(d, red ? 30 : band == "Yellow" ? 65 : 85, band, band);
            }

            observed.History[a.AccountId] = history;
        }

        observed.HistoryApi = ApiState.Available;
        observed.MetricsApi = ApiState.NotProvided; // as the app answers until it has GET /api/metrics
        var first = portfolio.Accounts[0];
        var second = portfolio.Accounts[1];
        observed.Record(new AlertView($"{first.AccountId}-payment-risk-1", first.AccountId, "payment-risk", "Critical", Day0.AddDays(3), Day0.AddDays(3).AddHours(4), Day0.AddDays(3).AddHours(1), "Acknowledged", "Payment failed", first.CsmEmail), 3);
        observed.Record(new AlertView($"{second.AccountId}-health-band-1", second.AccountId, "health-band", "Watch", Day0.AddDays(5), Day0.AddDays(6), null, "Open", "Yellow", second.CsmEmail), 5);
        observed.Record(new AlertView($"{second.AccountId}-health-band-1", second.AccountId, "health-band", "Warning", Day0.AddDays(5), Day0.AddDays(7), null, "Open", "Yellow 21 days", second.CsmEmail), 26);
        observed.Record(new AlertView($"{first.AccountId}-expansion-opportunity-1", first.AccountId, "expansion-opportunity", "Opportunity", Day0.AddDays(10), Day0.AddDays(24), null, "Open", "Expansion opportunity: seats", first.CsmEmail), 10);

        var outbox = Path.Combine(_dir, "outbox");
        Directory.CreateDirectory(outbox);
        File.WriteAllText(Path.Combine(outbox, "lifecycle-onboarding-welcome_1.eml"), Eml(first.Users[0].Email, "lifecycle/onboarding/welcome", "Welcome", $"Hi {first.Users[0].FirstName},"));
        File.WriteAllText(Path.Combine(outbox, "alert-critical_1.eml"), Eml(first.CsmEmail, "alert/critical", "[Critical] x: Payment failed", $"Account: x ({first.AccountId})\nAcknowledge: https://dash/api/dashboard/accounts/{first.AccountId}#alert-payment-risk"));
        File.WriteAllText(Path.Combine(outbox, "alert-critical_2.eml"), Eml("escalations@cs.example.com", "alert/critical", "[Overdue Critical] x: Payment failed", $"Acknowledge: https://dash/api/dashboard/accounts/{first.AccountId}#alert-payment-risk"));
        File.WriteAllText(Path.Combine(outbox, "alert-opportunity_1.eml"), Eml(first.CsmEmail, "alert/opportunity", "[Opportunity] x: Expansion opportunity", $"Account: x ({first.AccountId})\nAcknowledge: https://dash/api/dashboard/accounts/{first.AccountId}#alert-expansion-opportunity"));
        File.WriteAllText(Path.Combine(outbox, "alert-watch-digest_1.eml"), Eml(second.CsmEmail, "alert/watch-digest", "[Watch] 2 account(s) to watch", $"- y: Yellow https://dash/api/dashboard/accounts/{second.AccountId}#alert-health-band\n- z: Yellow https://dash/api/dashboard/accounts/{portfolio.Accounts[2].AccountId}#alert-health-band"));
        observed.ReadOutbox(outbox);
        return new SimulationResult(options, portfolio, truth, projection, new RunCounters(), observed, [], TimeSpan.FromSeconds(1), Days, Partial: false);
    }

    [Fact]
    public void Render_WithHistoryAlertsAndEmails_SelfContainedHtmlWithEveryChart()
    {
        var html = HtmlReport.Render(RunFigures.From(Result()));

        // One link out, to the app's pages while it is up; everything else is in the file.
        const string dashboard = "http://127.0.0.1:1/api/dashboard";
        Assert.Contains($"<a href=\"{dashboard}\">", html, StringComparison.Ordinal);
        var offline = html.Replace(dashboard, string.Empty, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", offline, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", offline, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"ROC curve\"", html, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"lead time distribution\"", html, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"live accounts per band per day\"", html, StringComparison.Ordinal);
        Assert.Contains("not available from the app", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Opportunity alerts before expansions</h2>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("(partial)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Figures_OneSourceOfCounts_CaptionTableAndOutboxAgree()
    {
        var figures = RunFigures.From(Result());
        var html = HtmlReport.Render(figures);

        // The chart caption's last day is the table's total, and both are the last day of the series.
        var caption = CaptionCounts().Match(html);
        Assert.True(caption.Success, "no caption with the last day's bands");
        var last = figures.BandsByDay[^1].Bands;
        Assert.Equal((last.Green, last.Yellow, last.Red), (int.Parse(caption.Groups[1].Value), int.Parse(caption.Groups[2].Value), int.Parse(caption.Groups[3].Value)));
        Assert.Equal(last, figures.LastDayTotal);

        // Emails: the totals are the outbox's files by category.
        Assert.Equal(5, figures.EmailTotal);
        Assert.Equal(4, figures.AlertEmailTotal);
        Assert.Equal(1, figures.LifecycleEmailTotal);
        Assert.Equal(2, figures.AlertEmails.Single(r => r.Category == "alert/critical").Emails + figures.AlertEmails.Single(r => r.Category.StartsWith("alert/overdue", StringComparison.Ordinal)).Emails);

        // Alerts: one listed Critical, one Watch that became Warning (counted once, at the tier it reached); the digest's
        // second account was never listed by the API. The Opportunity is counted apart: no tier row, no alert load in the
        // churn figures.
        Assert.Equal((2, 1), (figures.AlertsListed, figures.OpportunitiesListed));
        Assert.DoesNotContain(figures.AlertTiers, t => t.Tier == "Opportunity");
        Assert.Equal((1, 0), (figures.AlertTiers.Single(t => t.Tier == "Critical").Listed, figures.AlertTiers.Single(t => t.Tier == "Watch").Listed));
        Assert.Equal((1, 1), (figures.AlertTiers.Single(t => t.Tier == "Warning").Listed, figures.AlertTiers.Single(t => t.Tier == "Warning").Escalated));
        Assert.Equal(1, figures.AlertsEmailedButNeverListed);
        Assert.Equal(1, figures.AlertTiers.Single(t => t.Tier == "Critical").OnTime);
        Assert.Equal(3, figures.Prediction!.EarlyWarning.AlertEmails.AlertEmails);
    }

    [Fact]
    public void Prediction_ChurnersRed50DaysAhead_AllCaughtAtSnapshotsNoneAt60Days()
    {
        var p = RunFigures.From(Result()).Prediction!;

        // Every churner turns Red 50 days before churning: caught at any snapshot within 50 days of the churn, never 60 days ahead.
        Assert.Equal([30, 60, 90], p.Overall.SnapshotDays);
        Assert.True(p.Overall.Churners > 0);
        Assert.Equal(0, p.EarlyWarning.AtLead.FlaggedSustained.Successes);
        Assert.True(p.EarlyWarning.AtLead.FlaggedSustained.Total > 0);
        Assert.Contains(44, p.LeadTime.LeadDays); // Red from churn-50, sustained on its 7th day
        Assert.All(p.LeadTime.LeadDays, d => Assert.InRange(d, 0, 44)); // (less for churners that started Red)
        Assert.Equal(0, p.EarlyWarning.StayersFlaggedSustainedAtSnapshots.Successes); // stayers are Yellow one day in 17, never 7 in a row
        Assert.True(p.EarlyWarning.StayersFlaggedSustainedAtSnapshots.Total > 0);
        Assert.Contains("75%", p.SeedsBar, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteOutputs_PredictionJson_HasEveryFigure()
    {
        var figures = RunFigures.From(Result());

        await SimulatorCommand.WriteOutputsAsync(figures, _dir);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, OutputFiles.Prediction)))!;

        Assert.Equal(1, (int)json["schemaVersion"]!);
        foreach (var figure in new[] { "recall", "precision", "falsePositiveRate", "accuracy", "baseRateAccuracy" })
        {
            var p = json["overall"]!["yellowOrRed"]![figure]!;
            Assert.NotNull(p["successes"]);
            Assert.NotNull(p["total"]);
            Assert.NotNull(p["low"]);
            Assert.NotNull(p["high"]);
        }

        Assert.NotNull(json["overall"]!["scoreAuc"]!["value"]);
        Assert.True(json["overall"]!["scoreAuc"]!["curve"]!.AsArray().Count > 1);
        Assert.NotNull(json["baseline"]!["baseline"]!["recall"]);
        Assert.NotNull(json["leadTime"]!["buckets"]);
        Assert.NotNull(json["onboarding"]!["pairs"]);
        Assert.NotNull(json["earlyWarning"]!["atLead"]!["flaggedSustained"]!["total"]);
        Assert.NotNull(json["earlyWarning"]!["alertEmails"]!["emailsPerAccountMonth"]);
        Assert.NotNull(json["earlyWarning"]!["healthyAdopterPostOnboardingDaysGreen"]!["value"]);
        Assert.Contains("75%", (string)json["seedsBar"]!, StringComparison.Ordinal);

        // The ground truth for a retroactive analysis: every account once, with the churn day the figures used.
        var outcomes = json["outcomes"]!.AsArray();
        Assert.Equal(figures.Result.Portfolio.Accounts.Select(a => a.AccountId), outcomes.Select(o => (string)o!["accountId"]!));
        var churned = figures.Result.Projection.Truth.Churns.Where(c => c.Day <= Days - 1 + PredictionDesign.HorizonDays).ToDictionary(c => c.AccountId, c => c.Day);
        Assert.NotEmpty(churned);
        Assert.All(outcomes, o => Assert.Equal(churned.TryGetValue((string)o!["accountId"]!, out var day) ? day : null, (int?)o!["churnDay"]));
        Assert.Contains(outcomes, o => (string)o!["story"]! == "SilentChurner" && (int?)o["troubleBeganDay"] is not null);
        Assert.True(File.Exists(Path.Combine(_dir, OutputFiles.Report)));
    }

    [Fact]
    public void Render_Partial_MarkedPartial()
    {
        var result = Result() with { Partial = true, DaysCompleted = 40 };

        var html = HtmlReport.Render(RunFigures.From(result));

        Assert.Contains("PARTIAL REPORT", html, StringComparison.Ordinal);
        Assert.Contains("after 40 of 100 simulated days", html, StringComparison.Ordinal);
    }

    [Fact]
    public void TerminalReport_Write_SameCountsAsTheFigures()
    {
        var figures = RunFigures.From(Result());
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;

        TerminalReport.Write(console, figures, _dir);

        var text = writer.ToString();
        Assert.Contains($"Alert emails to CSMs: {figures.AlertEmailTotal} ", text, StringComparison.Ordinal);
        Assert.Contains("NRR", text, StringComparison.Ordinal);
        Assert.Contains("flagged (sustained) 60 days before churn", text, StringComparison.Ordinal);
        Assert.Contains("not available from the app", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Revenue_AppFiguresInTheAgreedShape_ShownBesideTheSimulatorsRecord()
    {
        const string body = """
            {"from":"2026-01-05","to":"2026-04-14","startingMrrCents":6282500,"endingMrrCents":6100000,"newMrrCents":150000,
             "expansionMrrCents":20000,"contractionMrrCents":5000,"churnedMrrCents":347500,"reactivationMrrCents":0,
             "nrr":0.9476,"grr":0.9439,"logosAtStart":29,"logosChurned":3,"logoChurnRate":0.1034}
            """;
        var metrics = AppObservations.ParseMetrics(System.Text.Json.JsonDocument.Parse(body).RootElement);
        var result = Result();
        result.Observed.UseMetrics(metrics);

        var figures = RunFigures.From(result);
        var html = HtmlReport.Render(figures);

        Assert.Equal((6282500L, 0.9476, 3), (metrics!.StartingMrrCents, metrics.Nrr!.Value, metrics.LogosChurned));
        Assert.Contains("$62,825", html, StringComparison.Ordinal);
        Assert.Contains("94.8%", html, StringComparison.Ordinal);
        Assert.Contains("Why the app's figures can differ", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not available from the app", html, StringComparison.Ordinal);
        Assert.Contains("The app's figures (GET /api/metrics): starting MRR $62,825", string.Join("\n", ReportText.RevenueLines(figures)), StringComparison.Ordinal);
    }

    [Fact]
    public void Operations_AppSlaQbrAndPipeline_ShownBesideTheSimulatorsRecord()
    {
        const string body = """
            {"from":"2026-01-06","to":"2026-04-14","startingMrrCents":6282500,"endingMrrCents":6100000,"newMrrCents":150000,
             "expansionMrrCents":20000,"contractionMrrCents":5000,"churnedMrrCents":347500,"reactivationMrrCents":0,
             "nrr":0.9476,"grr":0.9439,"logosAtStart":29,"logosChurned":3,"logoChurnRate":0.1034,
             "qbr":{"cadenceDays":91,"accountsDue":12,"qbrsDue":7.9,"qbrsHeld":5,"rate":0.633},
             "alertSla":[{"tier":"Critical","due":10,"onTime":9,"rate":0.9},{"tier":"Warning","due":4,"onTime":4,"rate":1},{"tier":"Watch","due":0,"onTime":0,"rate":null}],
             "expansionPipeline":{"opportunities":7,"opportunityMrrCents":84000,"churnAndContractionMrrCents":352500,"coverage":0.2383}}
            """;
        var metrics = AppObservations.ParseMetrics(System.Text.Json.JsonDocument.Parse(body).RootElement);
        var result = Result();
        result.Observed.UseMetrics(metrics);
        result.Observed.QbrWindow = (40, 99, metrics!.Qbr!);
        var due = Day0.AddDays(20);
        result.Truth.RecordAlertShown("a|Critical|1", "Critical", due, openPastDue: false);
        result.Truth.RecordAlertAcknowledged("a|Critical|1", due.AddHours(-1));
        result.Truth.RecordAlertShown("b|Critical|2", "Critical", due, openPastDue: true);

        var figures = RunFigures.From(result);
        var html = HtmlReport.Render(figures);
        var lines = string.Join("\n", ReportText.RevenueLines(figures));

        Assert.Equal([("Critical", 2, 1), ("Warning", 0, 0), ("Watch", 0, 0)], figures.Operations!.Sla.Select(t => (t.Tier, t.Due, t.OnTime)));
        Assert.Equal((40, 99), (figures.Operations.Qbr!.FirstDay, figures.Operations.Qbr.LastDay));
        Assert.Contains("Alert SLA attainment (acknowledged by the due time), simulator's record: Critical 1 of 2 (50.0%) against the app's 9 of 10 (90.0%)", lines, StringComparison.Ordinal);
        Assert.Contains("the app 5 of 7.9 over 12 (63.3%)", lines, StringComparison.Ordinal);
        Assert.Contains("the app's 7 open opportunities estimated at $840 MRR against $3,525 lost to churn and contraction (coverage 0.24×)", lines, StringComparison.Ordinal);
        Assert.Contains("<h3>The CS team's work</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<td>Alert SLA attainment, Critical: on time / due</td><td>1 / 2 (50.0%)</td><td>9 / 10 (90.0%)</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseMetrics_NotTheAgreedShape_Null()
    {
        Assert.Null(AppObservations.ParseMetrics(System.Text.Json.JsonDocument.Parse("""{"nrr":"high"}""").RootElement));
    }

    [GeneratedRegex(@"Day \d+: (\d+) Green, (\d+) Yellow, (\d+) Red, as in the table below")]
    private static partial Regex CaptionCounts();
}
