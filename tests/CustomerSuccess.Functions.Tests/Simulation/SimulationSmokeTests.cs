using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>
/// The main job in small: 50 accounts over 30 simulated days against the real app (own process, Azurite, simulated
/// clock), then the totals checked against what the simulator sent. Needs the ingestion, health, alert and
/// lifecycle features; it fails, and says why, while any of them is missing. The app gets an Azurite of its own:
/// the portfolio it reports must hold only what this simulation sent, not rows other tests left in a shared one.
/// </summary>
public sealed class SimulationSmokeTests : IAsyncLifetime
{
    private readonly AzuriteFixture azurite = new();

    public Task InitializeAsync() => azurite.InitializeAsync();

    public Task DisposeAsync() => azurite.StopAsync();

    [Fact]
    public async Task SmallSimulation_AgainstTheRealApp_EveryWebhookAcknowledgedAndEveryEffectTraceable()
    {
        // Arrange
        await using var app = StandaloneAppProcess.Start(azurite, CustomerSuccess.Simulator.Portfolio.PortfolioGenerator.TeamSettings(50, 7));
        var options = new SimulationOptions
        {
            Accounts = 50,
            Days = 30,
            Seed = 7,
            Speed = 24,
            App = app.Address,
            OutputDirectory = app.RunDirectory,
            Concurrency = 4,
            Secrets = app.Secrets,
            FunctionKey = app.FunctionKey,
        };

        // Act
        var result = await new SimulationRun(options, new PlainProgress(TextWriter.Null)).RunAsync(CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(app.RunDirectory, "report.html"), HtmlReport.Render(result));

        // Assert: every signed webhook acknowledged, per provider.
        var counters = result.Counters;
        Assert.True(counters.Requests > 0, "The simulation sent nothing.");
        foreach (var (provider, c) in counters.All)
        {
            Assert.True(c.Events > 0, $"No {provider} events were sent.");
            Assert.True(
                c.NotAcknowledged == 0,
                $"{provider}: {c.NotAcknowledged} of {c.Requests} deliveries not acknowledged ({string.Join(", ", c.Failures.Select(f => $"HTTP {f.Key}: {f.Value}"))}). App log tail:\n{Tail(app.Log)}");
        }

        Assert.True(counters.For(CustomerSuccess.Simulator.Providers.Provider.Stripe).DuplicateDeliveries + counters.For(CustomerSuccess.Simulator.Providers.Provider.Segment).DuplicateDeliveries + counters.For(CustomerSuccess.Simulator.Providers.Provider.Zendesk).DuplicateDeliveries > 0, "The run should have repeated some deliveries.");
        Assert.Empty(result.Problems);

        // No duplicate effects: each simulated account once in the portfolio view, alerts and emails unique.
        Assert.True(result.Observed.PortfolioApiAvailable, "GET /api/portfolio did not answer.");
        var live = result.Portfolio.Accounts.Where(a => a.ChurnedDay is null && a.StartDay < options.Days - 2).Select(a => a.AccountId).ToHashSet(StringComparer.Ordinal);
        var scored = result.Analysis.LatestBands.Keys.ToHashSet(StringComparer.Ordinal);
        Assert.Empty(live.Except(scored));
        Assert.Equal(result.Observed.Alerts.Count, result.Observed.Alerts.Select(a => a.Id).Distinct(StringComparer.Ordinal).Count());
        var messageIds = Directory.Exists(app.Outbox)
            ? Directory.EnumerateFiles(app.Outbox, "*.eml", SearchOption.AllDirectories).Select(f => EmlHeaders.Read(f).GetValueOrDefault("message-id") ?? f).ToList()
            : [];
        Assert.Equal(messageIds.Count, messageIds.Distinct(StringComparer.Ordinal).Count());

        // Every alert and email traceable to a cause: a simulated account, a person the simulation created or a CSM.
        var accountIds = result.Portfolio.Accounts.Select(a => a.AccountId).ToHashSet(StringComparer.Ordinal);
        Assert.All(result.Observed.Alerts, a => Assert.True(a.AccountId is not null && accountIds.Contains(a.AccountId), $"Alert {a.Id} names no simulated account ({a.AccountId})."));
        var people = result.Portfolio.Accounts.SelectMany(a => a.Users.Select(u => u.Email)).Concat(result.Portfolio.Csms.Select(c => c.Email)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.All(result.Observed.Emails, e => Assert.True(e.To is not null && people.Any(p => e.To.Contains(p, StringComparison.OrdinalIgnoreCase)), $"Email {Path.GetFileName(e.File)} goes to nobody the simulation created ({e.To})."));
    }

    private static string Tail(string log) => log.Length <= 3000 ? log : log[^3000..];
}
