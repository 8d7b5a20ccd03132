using System.Diagnostics;
using System.Text.Json;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Reporting;

namespace CustomerSuccess.Simulator.Driving;

/// <summary>What a run did and saw. <see cref="Partial"/>: stopped early (Ctrl+C); <see cref="DaysCompleted"/> says how far it got.</summary>
internal sealed record SimulationResult(
    SimulationOptions Options,
    SimulatedPortfolio Portfolio,
    GroundTruth Truth,
    OutcomeProjection Projection,
    RunCounters Counters,
    AppObservations Observed,
    IReadOnlyList<string> Problems,
    TimeSpan Elapsed,
    int DaysCompleted,
    bool Partial)
{
    public int LastDay => DaysCompleted - 1;
}

/// <summary>
/// The main loop: for each simulated day, in clock steps of <see cref="SimulationOptions.Speed"/> hours, move the
/// app's clock, deliver what the providers would have sent in that window, and wait for the app to settle; once a
/// day read the alert list and play the CSMs acknowledging alerts. At the end (or when stopped) read the app's
/// history, portfolio, revenue figures and outbox, and play the portfolio on past the run for the outcomes.
/// </summary>
internal sealed class SimulationRun
{
    /// <summary>After a stop, how long reading the app's results may take before the report is written without them.</summary>
    public static readonly TimeSpan CollectAfterStop = TimeSpan.FromSeconds(6);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly SimulationOptions _options;
    private readonly IProgressSink _progress;

    public SimulationRun(SimulationOptions options, IProgressSink progress)
    {
        _options = options;
        _progress = progress;
    }

    public async Task<SimulationResult> RunAsync(CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var problems = new List<string>();
        using var app = new AppClient(_options.App, _options.FunctionKey, _options.Concurrency);
        if (!await app.WaitUntilUpAsync(TimeSpan.FromSeconds(60), stop))
        {
            throw new InvalidOperationException($"The app at {_options.App} did not answer GET /api/healthz within 60 s.");
        }

        if (Outbox.Count(_options.Outbox) is > 0 and var stale)
        {
            throw new InvalidOperationException($"The outbox {_options.Outbox} already holds {stale} email(s) from an earlier run: start the app with an empty outbox (scripts/run-local.sh does), or this run's emails would be mixed with them.");
        }

        // Day 0 is the next whole UTC day on the app's clock; the simulated clock only moves forward.
        var status = await app.GetRunnerAsync(stop);
        var day0 = new DateTimeOffset(status.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        await app.SetClockAsync(day0, stop);
        await app.WaitUntilIdleAsync(day0, _options.SettleTimeout, stop);

        var portfolio = PortfolioGenerator.Generate(_options.Accounts, _options.Seed, day0, _options.Scenario);
        var truth = new GroundTruth();
        var model = new CustomerBehaviourModel(portfolio, truth, _options.Seed, _options.Scenario);
        var counters = new RunCounters();
        var dispatcher = new WebhookDispatcher(app, _options.Secrets, counters, _options.Concurrency, _options.Seed, _options.Scenario.Noise);
        var observed = new AppObservations(app, portfolio);
        var csms = new CsmResponder(app, portfolio, truth, _options.Seed);
        Directory.CreateDirectory(_options.OutputDirectory);
        await WritePortfolioAsync(portfolio, stop);

        // The outcomes: the same portfolio played on past the run, sending nothing, so every snapshot's horizon is
        // known. Started now on the side (it needs nothing from the app), so a stopped run need not wait for it.
        var projectionTask = Task.Run(
            () =>
            {
                var took = Stopwatch.StartNew();
                return (Projection: OutcomeProjection.Play(_options.Accounts, _options.Seed, _options.Scenario, day0, _options.Days + PredictionDesign.HorizonDays, CancellationToken.None), Took: took.Elapsed);
            },
            CancellationToken.None);
        var stepHours = StepHours(_options.Speed);
        var settleTimeouts = 0;
        var daysCompleted = 0;
        var partial = false;
        var pending = new List<PlannedEvent>();
        var appNow = day0;
        try
        {
            for (var day = 0; day < _options.Days; day++)
            {
                // Things planned today may happen after the day's last step (a rating the next morning); they wait for their step.
                var phase = Stopwatch.GetTimestamp();
                var events = pending.Concat(model.PlanDay(day)).OrderBy(e => e.OccurredAt).ToList();
                counters.GenerateTime += Stopwatch.GetElapsedTime(phase);
                var date = portfolio.DateOf(day);
                var boundaries = StepEnds(stepHours).Select(h => date.AddHours(h)).ToList();
                if (day == _options.Days - 1 && boundaries[^1] < date.AddDays(1))
                {
                    boundaries.Add(date.AddDays(1)); // the last day ends with a step at midnight, so all of it is delivered
                }

                foreach (var to in boundaries)
                {
                    var window = events.TakeWhile(e => e.OccurredAt < to).ToList();
                    events.RemoveRange(0, window.Count);
                    var lastStep = day == _options.Days - 1 && to == boundaries[^1];
                    (appNow, var timedOut) = await StepAsync(app, dispatcher, counters, to, window, lastStep, stop);
                    settleTimeouts += timedOut ? 1 : 0;
                    _progress.Report(new RunProgress(day, (to - date).TotalHours / 24, _options.Days, counters.Events, observed.Alerts.Count, counters.EmailsSeen, clock.Elapsed));
                }

                pending = events;
                phase = Stopwatch.GetTimestamp();
                var alerts = await observed.ReadAlertsAsync(day, stop);
                if (PredictionDesign.SnapshotDays(_options.Days).Contains(day))
                {
                    // The renewal forecast as a CS leader would read it that morning, to hold against what renews.
                    await observed.ReadRenewalsAsync(day, stop);
                    await observed.ReadHealthSnapshotAsync(day, portfolio.Accounts.Where(a => a.StartDay <= day).Select(a => a.AccountId), stop);
                }

                counters.AlertsAcknowledgedBySimulator += await csms.RespondAsync(alerts, appNow, appNow.AddHours(stepHours), stop);
                counters.EmailsSeen = Outbox.Count(_options.Outbox);
                counters.ObserveTime += Stopwatch.GetElapsedTime(phase);
                daysCompleted = day + 1;
                _progress.Report(new RunProgress(day, 1, _options.Days, counters.Events, observed.Alerts.Count, counters.EmailsSeen, clock.Elapsed, DayComplete: true));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            partial = true;
            problems.Add($"Stopped by the user after {daysCompleted} of {_options.Days} simulated days: this report is partial.");
        }

        var collecting = Stopwatch.GetTimestamp();
        await CollectAsync(app, observed, daysCompleted, partial, problems);
        counters.CollectTime = Stopwatch.GetElapsedTime(collecting);

        var waiting = Stopwatch.GetTimestamp();
        (var projection, counters.ProjectionTime) = await projectionTask;
        counters.ProjectionWait = Stopwatch.GetElapsedTime(waiting);
        if (!ReplayAgrees(truth.Churns, projection.Truth.Churns, daysCompleted))
        {
            problems.Add("The replay of the portfolio did not churn the same accounts as the run: outcomes after the run are unreliable.");
        }

        if (settleTimeouts > 0)
        {
            problems.Add($"The app did not settle within {_options.SettleTimeout.TotalSeconds:0} s after {settleTimeouts} clock step(s); the run went on regardless.");
        }

        if (counters.NotAcknowledged > 0)
        {
            problems.Add($"{counters.NotAcknowledged} webhook delivery(ies) were not acknowledged with 2xx.");
        }

        if (observed.HistoryItemsForUnknownAccounts > 0)
        {
            problems.Add($"The health history named {observed.HistoryItemsForUnknownAccounts} account-day(s) of accounts this run never created: the app's storage was not empty.");
        }

        counters.SimulatorCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
        return new SimulationResult(_options, portfolio, truth, projection, counters, observed, problems, clock.Elapsed, daysCompleted, partial);
    }

    /// <summary>
    /// Whether the replay churned the same accounts on the same days as the run, over the days the run completed. A run
    /// stopped during a day has planned that day already (its churns are in the run's record) without living it.
    /// </summary>
    public static bool ReplayAgrees(IEnumerable<ChurnRecord> run, IEnumerable<ChurnRecord> replay, int daysCompleted)
    {
        static List<(string, int)> Completed(IEnumerable<ChurnRecord> churns, int days) =>
            churns.Where(c => c.Day < days).Select(c => (c.AccountId, c.Day)).Order().ToList();

        return Completed(run, daysCompleted).SequenceEqual(Completed(replay, daysCompleted));
    }

    /// <summary>Hours per clock step: the largest divisor of 24 not above <paramref name="speed"/>.</summary>
    public static int StepHours(int speed)
    {
        var hours = Math.Clamp(speed, 1, 24);
        while (24 % hours != 0)
        {
            hours--;
        }

        return hours;
    }

    /// <summary>
    /// The hours of a day at which a step ends: every <paramref name="stepHours"/> hours, aligned on midday, so even
    /// one step a day lands at 12:00, outside every contact's quiet hours, and lifecycle emails can go out.
    /// </summary>
    public static IEnumerable<int> StepEnds(int stepHours)
    {
        for (var h = ((12 - 1) % stepHours) + 1; h <= 24; h += stepHours)
        {
            yield return h;
        }
    }

    /// <summary>One clock step: move the app's clock, deliver the window's events signed at that time, wait for the app to settle.</summary>
    private async Task<(DateTimeOffset Now, bool TimedOut)> StepAsync(AppClient app, WebhookDispatcher dispatcher, RunCounters counters, DateTimeOffset to, List<PlannedEvent> window, bool lastStep, CancellationToken stop)
    {
        var now = await app.SetClockAsync(to, stop);
        Interlocked.Increment(ref counters.ClockSteps);
        var phase = Stopwatch.GetTimestamp();
        var deliveries = dispatcher.Plan(window, lastStep);
        if (lastStep)
        {
            deliveries.AddRange(dispatcher.Flush());
        }

        counters.PackTime += Stopwatch.GetElapsedTime(phase);
        phase = Stopwatch.GetTimestamp();
        await dispatcher.SendAsync(deliveries, now, stop);
        counters.SendTime += Stopwatch.GetElapsedTime(phase);
        phase = Stopwatch.GetTimestamp();
        var settled = await app.WaitUntilIdleAsync(now, _options.SettleTimeout, stop);
        counters.SettleTime += Stopwatch.GetElapsedTime(phase);
        return (now, settled.TimedOut);
    }

    /// <summary>Reads what the report needs from the app; after a stop, within <see cref="CollectAfterStop"/>.</summary>
    /// <summary>Each queue's dead letters with the reason the app gave, as GET /api/admin/deadletters lists them.</summary>
    private static async Task<string> DescribeDeadLettersAsync(AppClient app, RunnerStatus status, CancellationToken ct)
    {
        var lines = new List<string>();
        foreach (var (queue, count) in status.DeadLetteredByQueue)
        {
            using var listed = await app.GetJsonAsync("/api/admin/deadletters?queue=" + Uri.EscapeDataString(queue), ct);
            var reasons = listed?.RootElement.ValueKind == JsonValueKind.Array
                ? listed.RootElement.EnumerateArray().Take(5).Select(d => $"{Text(d, "messageId")}: {Text(d, "reason")} {Text(d, "errorDescription")}")
                : [];
            lines.Add($"{queue} {count} ({string.Join("; ", reasons)})");
        }

        return string.Join(", ", lines);

        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private async Task CollectAsync(AppClient app, AppObservations observed, int daysCompleted, bool partial, List<string> problems)
    {
        using var deadline = partial ? new CancellationTokenSource(CollectAfterStop) : new CancellationTokenSource();
        var ct = deadline.Token;
        var lastDay = daysCompleted - 1;
        try
        {
            if (lastDay >= 0)
            {
                await observed.ReadAlertsAsync(lastDay, ct);
                // Through the midnight that ends the last day: its recompute is what the portfolio view shows at the end.
                if (!await observed.ReadHistoryAsync(daysCompleted, ct))
                {
                    problems.Add(observed.HistoryApi == ApiState.NotProvided
                        ? "GET /api/health/history is not provided by the app: no bands over time and no prediction figures."
                        : "GET /api/health/history failed: no bands over time and no prediction figures.");
                }

                await observed.ReadPortfolioAsync(ct);
                // From day 1: the app learns of the starting portfolio during day 0, so at the start of day 0 it has no
                // revenue yet; the accounts it holds at the start of day 1 are the simulator's day-0 cohort.
                await observed.ReadMetricsAsync(Math.Min(1, lastDay), lastDay, ct);
                await observed.ReadQbrWindowAsync(lastDay, ct);
            }

            var end = await app.GetRunnerAsync(ct);
            if (end.DeadLettered > 0)
            {
                problems.Add($"{end.DeadLettered} message(s) were dead-lettered by the app's queues: {await DescribeDeadLettersAsync(app, end, ct)}");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            problems.Add($"Reading the app's results was cut short after {CollectAfterStop.TotalSeconds:0} s: figures that need them are missing.");
        }
        catch (HttpRequestException ex)
        {
            problems.Add($"The app could not be read at the end ({ex.Message}).");
        }

        observed.ReadOutbox(_options.Outbox);
    }

    /// <summary>Writes the generated portfolio (accounts, CSMs, on-call rota, stories) beside the report, so a run can be inspected and reproduced.</summary>
    private async Task WritePortfolioAsync(SimulatedPortfolio portfolio, CancellationToken cancellationToken)
    {
        var view = new
        {
            day0 = portfolio.Day0,
            seed = _options.Seed,
            scenario = _options.Scenario.Name,
            csms = portfolio.Csms.Select(c => new { c.Name, c.Email, segment = c.Segment.ToString() }),
            onCallRota = PortfolioGenerator.Rota(portfolio.Csms, portfolio.Day0, _options.Days),
            accounts = portfolio.Accounts.Select(a => new
            {
                a.AccountId,
                a.Name,
                segment = a.Segment.ToString(),
                story = a.Behaviour.ToString(),
                a.Seats,
                arr = a.ArrCents / 100,
                a.Interval,
                a.CsmEmail,
                a.StripeCustomerId,
                a.ZendeskOrganizationId,
                renewal = a.PeriodEnd,
                a.StartDay,
                users = a.Users.Count,
            }),
        };
        await using var file = File.Create(Path.Combine(_options.OutputDirectory, OutputFiles.Portfolio));
        await JsonSerializer.SerializeAsync(file, view, Indented, cancellationToken);
    }
}
