using System.Text.Json;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Simulator.Driving;

internal sealed record SimulationResult(
    SimulationOptions Options,
    SimulatedPortfolio Portfolio,
    GroundTruth Truth,
    RunCounters Counters,
    AppObservations Observed,
    RunAnalysis Analysis,
    IReadOnlyList<string> Problems,
    TimeSpan Elapsed);

/// <summary>
/// The main loop: for each simulated day, in clock steps of <see cref="SimulationOptions.Speed"/> hours, move the
/// app's clock, deliver what the providers would have sent in that window, and wait for the app to settle; once a
/// day read the portfolio view, play the CSMs acknowledging their alerts, and update the progress display.
/// </summary>
internal sealed class SimulationRun
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly SimulationOptions _options;
    private readonly IProgressSink _progress;

    public SimulationRun(SimulationOptions options, IProgressSink progress)
    {
        _options = options;
        _progress = progress;
    }

    public async Task<SimulationResult> RunAsync(CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var problems = new List<string>();
        using var app = new AppClient(_options.App, _options.FunctionKey, _options.Concurrency);
        if (!await app.WaitUntilUpAsync(TimeSpan.FromSeconds(60), cancellationToken))
        {
            throw new InvalidOperationException($"The app at {_options.App} did not answer GET /api/healthz within 60 s.");
        }

        // Day 0 is the next whole UTC day on the app's clock; the simulated clock only moves forward.
        var status = await app.GetRunnerAsync(cancellationToken);
        var day0 = new DateTimeOffset(status.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        await app.SetClockAsync(day0, cancellationToken);
        await app.WaitUntilIdleAsync(day0, _options.SettleTimeout, cancellationToken);

        var portfolio = PortfolioGenerator.Generate(_options.Accounts, _options.Days, _options.Seed, day0);
        var truth = new GroundTruth();
        var model = new CustomerBehaviourModel(portfolio, truth, _options.Seed, _options.Days);
        var counters = new RunCounters();
        var dispatcher = new WebhookDispatcher(app, _options.Secrets, counters, _options.Concurrency, _options.Seed);
        var observed = new AppObservations(app, portfolio);
        var csms = new CsmResponder(app, portfolio, _options.Seed);
        Directory.CreateDirectory(_options.OutputDirectory);
        await WritePortfolioAsync(portfolio, cancellationToken);

        var stepHours = Math.Clamp(_options.Speed, 1, 24);
        while (24 % stepHours != 0)
        {
            stepHours--;
        }

        var settleTimeouts = 0;
        var pending = new List<PlannedEvent>();
        for (var day = 0; day < _options.Days; day++)
        {
            // Things planned today may happen after midnight (a rating the next morning); they wait for their step.
            var events = pending.Concat(model.PlanDay(day)).OrderBy(e => e.OccurredAt).ToList();
            var date = portfolio.DateOf(day);
            for (var stepEnd = stepHours; stepEnd <= 24; stepEnd += stepHours)
            {
                var to = date.AddHours(stepEnd);
                var now = await app.SetClockAsync(to, cancellationToken);
                Interlocked.Increment(ref counters.ClockSteps);
                var window = events.Where(e => e.OccurredAt < to).ToList();
                events.RemoveRange(0, window.Count);
                var lastStep = day == _options.Days - 1 && stepEnd == 24;
                var deliveries = dispatcher.Plan(window, lastStep);
                if (lastStep)
                {
                    deliveries.AddRange(dispatcher.Flush());
                }

                var phase = System.Diagnostics.Stopwatch.GetTimestamp();
                await dispatcher.SendAsync(deliveries, now, cancellationToken);
                counters.SendTime += System.Diagnostics.Stopwatch.GetElapsedTime(phase);
                phase = System.Diagnostics.Stopwatch.GetTimestamp();
                var settled = await app.WaitUntilIdleAsync(now, _options.SettleTimeout, cancellationToken);
                counters.SettleTime += System.Diagnostics.Stopwatch.GetElapsedTime(phase);
                if (settled.TimedOut)
                {
                    settleTimeouts++;
                }
            }

            pending = events;
            var observing = System.Diagnostics.Stopwatch.GetTimestamp();
            counters.ScoresSeen = await observed.SnapshotPortfolioAsync(day, cancellationToken);
            var alerts = await observed.ReadAlertsAsync(cancellationToken);
            counters.AlertsSeen = alerts.Count;
            counters.AlertsAcknowledgedBySimulator += await csms.RespondAsync(alerts, portfolio.DateOf(day + 1), cancellationToken);
            counters.EmailsSeen = CountOutbox();
            counters.ObserveTime += System.Diagnostics.Stopwatch.GetElapsedTime(observing);
            _progress.Day(day + 1, _options.Days, counters);
        }

        // A last settle so the final day's timers and queues have run before reading the results.
        var end = await app.GetRunnerAsync(cancellationToken);
        await observed.CollectHistoriesAsync(_options.Concurrency, cancellationToken);
        await observed.ReadAlertsAsync(cancellationToken);
        observed.ReadOutbox(_options.Outbox);
        if (settleTimeouts > 0)
        {
            problems.Add($"The app did not settle within {_options.SettleTimeout.TotalSeconds:0} s after {settleTimeouts} clock step(s); the run went on regardless.");
        }

        if (end.DeadLettered > 0)
        {
            problems.Add($"{end.DeadLettered} message(s) were dead-lettered by the app's queues (GET /local/deadletters).");
        }

        if (counters.NotAcknowledged > 0)
        {
            problems.Add($"{counters.NotAcknowledged} webhook delivery(ies) were not acknowledged with 2xx.");
        }

        if (!observed.PortfolioApiAvailable)
        {
            problems.Add("GET /api/portfolio was not available: no bands over time.");
        }

        if (!observed.AlertsApiAvailable)
        {
            problems.Add("GET /api/alerts was not available: no alert figures.");
        }

        var analysis = new RunAnalysis(portfolio, truth, observed, _options.Days);
        return new SimulationResult(_options, portfolio, truth, counters, observed, analysis, problems, DateTime.UtcNow - started);
    }

    private int CountOutbox()
    {
        var outbox = _options.Outbox;
        return Directory.Exists(outbox) ? Directory.EnumerateFiles(outbox, "*.eml", SearchOption.AllDirectories).Count() : 0;
    }

    /// <summary>Writes the generated portfolio (accounts, CSMs, on-call rota, behaviours) beside the report, so a run can be inspected and reproduced.</summary>
    private async Task WritePortfolioAsync(SimulatedPortfolio portfolio, CancellationToken cancellationToken)
    {
        var view = new
        {
            day0 = portfolio.Day0,
            seed = _options.Seed,
            csms = portfolio.Csms.Select(c => new { c.Name, c.Email, segment = c.Segment.ToString() }),
            onCallRota = portfolio.OnCallRota,
            accounts = portfolio.Accounts.Select(a => new
            {
                a.AccountId,
                a.Name,
                segment = a.Segment.ToString(),
                behaviour = a.Behaviour.ToString(),
                a.Seats,
                arr = a.ArrCents / 100,
                a.CsmEmail,
                a.StripeCustomerId,
                a.ZendeskOrganizationId,
                renewal = a.PeriodEnd,
                a.StartDay,
                users = a.Users.Count,
            }),
        };
        await using var file = File.Create(Path.Combine(_options.OutputDirectory, "portfolio.json"));
        await JsonSerializer.SerializeAsync(file, view, Indented, cancellationToken);
    }
}
