using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Providers;
using CustomerSuccess.Simulator.Reporting;
using Spectre.Console;

namespace CustomerSuccess.Simulator;

internal sealed record SimulatorArguments(int Accounts, int Days, int Seed, int Speed, Uri App, string Output, int Concurrency, string? Outbox);

/// <summary>
/// The command: read the per-run secrets from the environment, run the simulation with a progress display,
/// then print the summary and write the HTML report. Exit codes: 0 run complete and every webhook acknowledged,
/// 1 run complete but some webhooks were not acknowledged, 2 could not run (bad options, app down, clock not simulated).
/// </summary>
internal static class SimulatorCommand
{
    public static async Task<int> RunAsync(SimulatorArguments args, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            // Logs and CI: wide enough that the summary tables are not squeezed to 80 columns.
            console.Profile.Width = 160;
        }
        if (args.Accounts < 1 || args.Days < 1 || args.Concurrency < 1 || args.Speed < 1 || args.Speed > 24)
        {
            console.MarkupLine("[red]--accounts, --days and --concurrency must be at least 1; --speed between 1 and 24.[/]");
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
            Speed = args.Speed,
            App = args.App,
            OutputDirectory = Path.GetFullPath(args.Output),
            OutboxPath = args.Outbox is null ? null : Path.GetFullPath(args.Outbox),
            Concurrency = args.Concurrency,
            Secrets = secrets,
            FunctionKey = key,
        };

        SimulationResult result;
        try
        {
            if (console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
            {
                result = await console.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("starting", maxValue: options.Days);
                        return await new SimulationRun(options, new LiveProgress(task)).RunAsync(cancellationToken);
                    });
            }
            else
            {
                result = await new SimulationRun(options, new PlainProgress(Console.Out)).RunAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or ClockNotSimulatedException or HttpRequestException)
        {
            console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            return 2;
        }

        var reportPath = Path.Combine(options.OutputDirectory, "report.html");
        await File.WriteAllTextAsync(reportPath, HtmlReport.Render(result), cancellationToken);
        TerminalReport.Write(console, result, reportPath);
        return result.Counters.NotAcknowledged == 0 ? 0 : 1;
    }
}
