using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;
using CustomerSuccess.Simulator.Reporting;
using Spectre.Console;

namespace CustomerSuccess.Simulator;

internal sealed record SimulatorArguments(int Accounts, int Days, int Seed, string Scenario, int Speed, Uri App, string Output, int Concurrency, string? Outbox);

/// <summary>
/// The command: check the options, read the per-run secrets from the environment, run the simulation with a live
/// progress line, then write report.html and prediction.json and print the summary. Ctrl+C (or SIGTERM) stops the
/// run within seconds and still writes the report, marked partial; a second Ctrl+C exits at once. Exit codes:
/// 0 run complete and every webhook acknowledged, 1 some webhook not acknowledged, 2 could not run, 130 stopped.
/// </summary>
internal static class SimulatorCommand
{
    public const int ExitStopped = 130;

    public static int PrintTeamSettings(SimulatorArguments args)
    {
        if (LoadScenario(args.Scenario, AnsiConsole.Console) is not { } scenario)
        {
            return 2;
        }

        foreach (var (key, value) in PortfolioGenerator.TeamSettings(Math.Max(1, args.Accounts), args.Seed, scenario))
        {
            Console.WriteLine($"{key}={value}");
        }

        return 0;
    }

    /// <summary>Plays the scenario without an app: what a run would send and how many accounts would churn, and when.</summary>
    public static int DryRun(SimulatorArguments args)
    {
        var console = AnsiConsole.Console;
        if (Validate(args, console) is false || LoadScenario(args.Scenario, console) is not { } scenario)
        {
            return 2;
        }

        var day0 = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var projection = OutcomeProjection.Play(args.Accounts, args.Seed, scenario, day0, args.Days + PredictionDesign.HorizonDays);
        var generated = started.Elapsed;
        var accounts = projection.Portfolio.Accounts;
        var lastDay = args.Days - 1;
        var churns = projection.Truth.Churns.ToDictionary(c => c.AccountId, c => c.Day, StringComparer.Ordinal);

        var table = new Table().Title($"{scenario.Name}: {args.Accounts} accounts, seed {args.Seed}, {args.Days} days").AddColumns("segment", "accounts", "users", "usage events", "churned", "after run", $"judged at {PredictionDesign.LeadDays} d");
        foreach (var segment in Enum.GetValues<Segment>())
        {
            var inSegment = accounts.Where(a => a.Segment == segment).ToList();
            var ids = inSegment.Select(a => a.AccountId).ToHashSet(StringComparer.Ordinal);
            var users = inSegment.Sum(a => a.Users.Count);
            var events = projection.Truth.UsageByDay.Where(kv => ids.Contains(kv.Key)).Sum(kv => kv.Value.Where(d => d.Key <= lastDay).Sum(d => d.Value));
            var inRun = inSegment.Count(a => churns.TryGetValue(a.AccountId, out var d) && d <= lastDay);
            var after = inSegment.Count(a => churns.TryGetValue(a.AccountId, out var d) && d > lastDay);
            var eligible = inSegment.Where(a => churns.TryGetValue(a.AccountId, out var d) && PredictionDesign.EligibleForLead(d, a.StartDay, lastDay)).ToList();
            table.AddRow(segment.ToString(), N(inSegment.Count), N(users), N(events), N(inRun), N(after), $"{N(eligible.Count)} ({N(eligible.Count(a => churns[a.AccountId] <= lastDay))} in run)");
        }

        console.Write(table);
        var stories = accounts.GroupBy(a => a.Behaviour).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
        console.MarkupLine(Markup.Escape($"Stories: {string.Join(", ", stories)}."));
        var total = projection.EventsBefore(args.Days);
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Webhook events in the run: {total:N0} (Stripe {Sum(projection, Provider.Stripe, args.Days):N0}, Segment {Sum(projection, Provider.Segment, args.Days):N0}, Zendesk {Sum(projection, Provider.Zendesk, args.Days):N0}; product usage counted in the table). Played in {generated.TotalSeconds:0.0} s.")));
        console.MarkupLine(Markup.Escape($"\"Judged at {PredictionDesign.LeadDays} d\": churners the app could have scored on all {PredictionDesign.SustainedDays} days ending {PredictionDesign.LeadDays} days before their churn, with that day inside the run."));
        return 0;
    }

    private static long Sum(OutcomeProjection p, Provider provider, int days)
    {
        long n = 0;
        for (var d = 0; d < days; d++)
        {
            n += p.EventsPerDay[d, (int)provider];
        }

        return n;
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static async Task<int> RunAsync(SimulatorArguments args, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        var interactive = !Console.IsOutputRedirected && console.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            // Logs and CI: wide enough that the summary tables are not squeezed to 80 columns.
            console.Profile.Width = 160;
        }

        if (Validate(args, console) is false || LoadScenario(args.Scenario, console) is not { } scenario)
        {
            return 2;
        }

        var secrets = WebhookSecrets.FromEnvironment();
        var key = Environment.GetEnvironmentVariable("FunctionKeys__Default");
        if (secrets is null || string.IsNullOrEmpty(key))
        {
            console.MarkupLine("[red]Set Webhooks__Stripe__SigningSecrets__0, Webhooks__Segment__SharedSecrets__0, Webhooks__Zendesk__SigningSecrets__0 and FunctionKeys__Default to the values the app runs with (scripts/run-local.sh does).[/]");
            return 2;
        }

        var options = new SimulationOptions
        {
            Accounts = args.Accounts,
            Days = args.Days,
            Seed = args.Seed,
            Scenario = scenario,
            Speed = args.Speed,
            App = args.App,
            OutputDirectory = Path.GetFullPath(args.Output),
            OutboxPath = args.Outbox is null ? null : Path.GetFullPath(args.Outbox),
            Concurrency = args.Concurrency,
            Secrets = secrets,
            FunctionKey = key,
        };

        // A previous run's report must never sit beside this run's outbox.
        Directory.CreateDirectory(options.OutputDirectory);
        foreach (var file in OutputFiles.All)
        {
            File.Delete(Path.Combine(options.OutputDirectory, file));
        }

        console.MarkupLine(Markup.Escape($"Simulating {options.Accounts} accounts for {options.Days} days ({scenario.Name} scenario, seed {options.Seed}) against {options.App}; outputs go to {options.OutputDirectory}. Ctrl+C stops and writes a partial report."));
        console.MarkupLine(Markup.Escape($"Dashboard: {HtmlReport.DashboardUrl(options.App)} (sign in with FunctionKeys__Default)"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var signals = new StopSignals(stop, () => console.MarkupLine("\n[yellow]Stopping: finishing the report with what the run has so far (Ctrl+C again to quit at once) ...[/]"));
        IProgressSink progress = interactive ? new LiveProgress(Console.Out, () => Console.WindowWidth) : new PlainProgress(Console.Out);
        SimulationResult result;
        try
        {
            result = await new SimulationRun(options, progress).RunAsync(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            progress.Finish();
            console.MarkupLine("[yellow]Stopped before the simulation started; nothing was written.[/]");
            return ExitStopped;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ClockNotSimulatedException or HttpRequestException)
        {
            progress.Finish();
            console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            return 2;
        }
        finally
        {
            progress.Finish();
        }

        var figures = RunFigures.From(result);
        await WriteOutputsAsync(figures, options.OutputDirectory);
        TerminalReport.Write(console, figures, options.OutputDirectory);
        return result.Partial ? ExitStopped : result.Counters.NotAcknowledged == 0 ? 0 : 1;
    }

    /// <summary>report.html always; prediction.json when the app's history could be read; snapshots.json when the app's account health was read on a snapshot day.</summary>
    public static async Task WriteOutputsAsync(RunFigures figures, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(figures);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, OutputFiles.Report), HtmlReport.Render(figures));
        if (figures.Prediction is { } prediction)
        {
            await File.WriteAllTextAsync(Path.Combine(outputDirectory, OutputFiles.Prediction), prediction.ToJson());
        }

        var snapshots = figures.Result.Observed.HealthSnapshots;
        if (snapshots.Count > 0)
        {
            await using var file = File.Create(Path.Combine(outputDirectory, OutputFiles.Snapshots));
            await JsonSerializer.SerializeAsync(file, new HealthSnapshotsFile(figures.Result.Portfolio.Day0.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), [.. snapshots.Select(kv => new HealthSnapshotDay(kv.Key, kv.Value))]), PredictionReport.Json);
        }
    }

    private static bool Validate(SimulatorArguments args, IAnsiConsole console)
    {
        if (args.Accounts < 1 || args.Days < 1 || args.Concurrency < 1 || args.Speed < 1 || args.Speed > 24)
        {
            console.MarkupLine("[red]--accounts, --days and --concurrency must be at least 1; --speed between 1 and 24.[/]");
            return false;
        }

        return true;
    }

    private static Scenario? LoadScenario(string path, IAnsiConsole console)
    {
        try
        {
            return Scenario.Load(path);
        }
        catch (InvalidScenarioException ex)
        {
            console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            return null;
        }
    }

    /// <summary>The first Ctrl+C or SIGTERM cancels the run gracefully; a second one ends the process at once.</summary>
    private sealed class StopSignals : IDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Action _announce;
        private readonly PosixSignalRegistration _interrupt;
        private readonly PosixSignalRegistration _terminate;

        public StopSignals(CancellationTokenSource stop, Action announce)
        {
            _stop = stop;
            _announce = announce;
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        }

        private void Handle(PosixSignalContext context)
        {
            if (_stop.IsCancellationRequested)
            {
                return; // not cancelled: the default action ends the process
            }

            context.Cancel = true;
            _announce();
            _stop.Cancel();
        }

        public void Dispose()
        {
            _interrupt.Dispose();
            _terminate.Dispose();
        }
    }
}
