using System.Collections.Concurrent;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>The simulated CSMs against a real HTTP server that records each acknowledgement they post.</summary>
public sealed class CsmResponderTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
    private readonly ConcurrentQueue<string> _acknowledged = new();
    private WebApplication? _server;
    private Uri? _address;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapPost("/api/alerts/{accountId}/{ruleId}/acknowledge", (string accountId, string ruleId) =>
        {
            _acknowledged.Enqueue($"{accountId}/{ruleId}");
            return Results.Ok();
        });
        await _server.StartAsync();
        _address = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task RespondAsync_AnAlertReopenedAtAWorseTier_IsAcknowledgedAgain()
    {
        var portfolio = PortfolioGenerator.Generate(5, 3, Day0, CustomerBehaviourModelTests.Default);
        var account = portfolio.Accounts[0].AccountId;
        using var app = new AppClient(_address!, "k", 1);
        var truth = new GroundTruth();
        var responder = new CsmResponder(app, portfolio, truth, 3);
        var raised = Day0.AddDays(10);

        // Raised as Watch, due in 7 days: a CSM answers well within a week.
        var watch = new AlertView($"{account}-health-band-1", account, "health-band", "Watch", raised, raised.AddDays(7), null, "Open", "Yellow", null);
        var first = await responder.RespondAsync([watch], raised.AddDays(6), raised.AddDays(7), CancellationToken.None);

        // The same alert, reopened at Warning (Yellow for 14 days) with a new due time and no acknowledgement.
        var reopenedAt = raised.AddDays(14);
        var warning = watch with { Tier = "Warning", DueAt = reopenedAt.AddDays(3), AcknowledgedAt = null };
        var second = await responder.RespondAsync([warning], reopenedAt.AddDays(2), reopenedAt.AddDays(3), CancellationToken.None);

        // Read again while it is still open and acknowledged already: nothing more is posted.
        var third = await responder.RespondAsync([warning with { AcknowledgedAt = reopenedAt.AddDays(2) }], reopenedAt.AddDays(3), reopenedAt.AddDays(4), CancellationToken.None);

        Assert.Equal((1, 1, 0), (first, second, third));
        Assert.Equal([$"{account}/health-band", $"{account}/health-band"], _acknowledged);

        // The simulator's SLA record: each episode at the time its CSM acknowledged it (the app's clock at the read).
        Assert.Equal(
            [("Watch", raised.AddDays(7), (DateTimeOffset?)raised.AddDays(6)), ("Warning", reopenedAt.AddDays(3), reopenedAt.AddDays(2))],
            truth.AlertEpisodes.Values.OrderBy(e => e.DueAt).Select(e => (e.Tier, e.DueAt, e.AcknowledgedAt)));
    }

    [Fact]
    public async Task RespondAsync_AnAlertShownOpenPastItsDueTime_IsRecordedAsMissed()
    {
        var portfolio = PortfolioGenerator.Generate(5, 3, Day0, CustomerBehaviourModelTests.Default);
        var account = portfolio.Accounts[0].AccountId;
        using var app = new AppClient(_address!, "k", 1);
        var truth = new GroundTruth();
        var responder = new CsmResponder(app, portfolio, truth, 3);
        var raised = Day0.AddDays(10);
        var critical = new AlertView($"{account}-payment-failed-1", account, "payment-failed", "Critical", raised, raised.AddHours(4), null, "Open", "card declined", null);
        var resolvedEarly = critical with { Id = $"{account}-dispute-1", RuleId = "dispute", Status = "Resolved" };
        var opportunity = critical with { Id = $"{account}-opportunity-1", RuleId = "expansion", Tier = "Opportunity" };

        // Read a day later: the Critical is open and unacknowledged past its due time; the resolved one was not owed.
        await responder.RespondAsync([critical, resolvedEarly, opportunity], raised.AddDays(1), raised.AddDays(1).AddHours(1), CancellationToken.None);

        var episodes = truth.AlertEpisodes.Values.OrderBy(e => e.SeenOpenPastDue).ToList();
        Assert.Equal([("Critical", false), ("Critical", true)], episodes.Select(e => (e.Tier, e.SeenOpenPastDue)));
    }
}
