using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;
using CustomerSuccess.Simulator.Reporting;
using Spectre.Console;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>The report paths with data in them (bands, alerts, emails, churn), fed from a planned run and made-up app answers: no app needed.</summary>
public sealed class RunReportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cs-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SimulationResult Result()
    {
        const int days = 100;
        var day0 = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        var portfolio = PortfolioGenerator.Generate(80, days, 9, day0);
        var truth = new GroundTruth();
        var model = new CustomerBehaviourModel(portfolio, truth, 9, days);
        for (var d = 0; d < days; d++)
        {
            model.PlanDay(d);
        }

        var options = new SimulationOptions { App = new Uri("http://127.0.0.1:1"), OutputDirectory = _dir, Secrets = new WebhookSecrets("a", "b", "c"), FunctionKey = "k", Days = days, Accounts = 80 };
        using var app = new AppClient(options.App, "k", 1);
        var observed = new AppObservations(app, portfolio);
        foreach (var a in portfolio.Accounts)
        {
            var history = new SortedDictionary<int, HealthPoint>();
            for (var d = a.StartDay; d < (a.ChurnedDay ?? days); d++)
            {
                var band = a.WillChurn ? (d > 20 ? "Red" : "Green") : d % 17 == 0 ? "Yellow" : "Green";
                history[d] = new HealthPoint(d, band == "Red" ? 30 : 80, band);
            }

            observed.DailyBands[a.AccountId] = history;
        }

        var first = portfolio.Accounts[0];
        observed.Alerts = [new AlertView("al-1", first.AccountId, "Critical", day0.AddDays(3), day0.AddDays(3).AddHours(4), day0.AddDays(3).AddHours(1), "acknowledged", "band-red", first.CsmEmail)];
        var outbox = Path.Combine(_dir, "outbox", "lifecycle", "onboarding");
        Directory.CreateDirectory(outbox);
        File.WriteAllText(Path.Combine(outbox, "welcome-1.eml"), $"Message-ID: <1@x>\r\nTo: {first.Users[0].Email}\r\nSubject: Welcome\r\nX-Category: lifecycle/onboarding/welcome\r\n\r\nHello");
        observed.ReadOutbox(Path.Combine(_dir, "outbox"));
        var analysis = new RunAnalysis(portfolio, truth, observed, days);
        return new SimulationResult(options, portfolio, truth, new RunCounters(), observed, analysis, [], TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Render_WithBandsAlertsAndEmails_SelfContainedHtmlWithEveryChart()
    {
        var result = Result();

        var html = HtmlReport.Render(result);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.True(html.Split("<svg").Length - 1 >= 5, "Expected the health, transitions, alerts, emails and prediction charts.");
        Assert.Contains("onboarding", html, StringComparison.Ordinal);
        Assert.NotEmpty(result.Truth.Churns);
        Assert.NotEmpty(result.Analysis.Predictions);
    }

    [Fact]
    public void Analysis_ChurnersRedBeforeChurn_CountedAsFlaggedAtLeast60DaysBefore()
    {
        var a = Result().Analysis;

        // In the made-up answers every account bound to churn is Red from day 21, so every churn on day 81+ was flagged 60 days ahead.
        Assert.Equal(a.Predictions.Count(p => p.Churn.Day >= 81 && p.Account.WillChurn), a.Predictions.Count(p => p.FlaggedAtLeast60Before && p.Account.WillChurn));
        Assert.Equal("Critical", Assert.Single(a.Acknowledgements, t => t.Raised > 0).Tier);
        Assert.Equal(1, a.Acknowledgements.Single(t => t.Tier == "Critical").OnTime);
    }

    [Fact]
    public void TerminalReport_Write_PrintsTheSummary()
    {
        var result = Result();
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;

        TerminalReport.Write(console, result, Path.Combine(_dir, "report.html"));

        var text = writer.ToString();
        Assert.Contains("NRR", text, StringComparison.Ordinal);
        Assert.Contains("Flagged Yellow/Red at least 60 days before churn", text, StringComparison.Ordinal);
    }
}
