using System.CommandLine;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator;

/// <summary>Entry point (a named class rather than top-level statements, so it never clashes with the app's Program in tests that load both).</summary>
internal static class SimulatorProgram
{
    public const int DefaultAccounts = 300;

    public static async Task<int> Main(string[] args)
    {
        var accounts = new Option<int>("--accounts") { Description = "How many customer accounts to simulate.", DefaultValueFactory = _ => DefaultAccounts };
        var days = new Option<int>("--days") { Description = "How many simulated days to run.", DefaultValueFactory = _ => 120 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed and scenario give the same portfolio and the same events, whatever --days.", DefaultValueFactory = _ => 42 };
        var scenario = new Option<string>("--scenario") { Description = "Scenario file: segment mix, customer stories, rates and noise (README, 'Scenario files').", DefaultValueFactory = _ => Scenario.DefaultPath };
        var speed = new Option<int>("--speed") { Description = "Simulated hours per clock step (a divisor of 24), aligned on midday: 24 (default) is one step a day at 12:00 (outside quiet hours, so lifecycle emails go out), plus a last step at midnight; 12 adds a midnight step each day; 1 lets hourly timers fire on the hour.", DefaultValueFactory = _ => 24 };
        var app = new Option<string>("--app") { Description = "Base address of the running app (standalone, simulated clock).", DefaultValueFactory = _ => "http://127.0.0.1:7071" };
        var output = new Option<string>("--out") { Description = "Folder for report.html, prediction.json and portfolio.json (the app's Email__OutboxPath should be OUT/outbox). Cleared of a previous run's files at start.", DefaultValueFactory = _ => Path.Combine("out", "run") };
        var concurrency = new Option<int>("--concurrency") { Description = "Webhook requests in flight at once.", DefaultValueFactory = _ => 8 };
        var outbox = new Option<string?>("--outbox") { Description = "The app's email outbox folder, if not OUT/outbox." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Play the scenario without an app and print what a run would send and how many accounts churn, then exit." };
        var teamSettings = new Option<bool>("--print-team-settings") { Description = "Print the app settings of the simulated CS team (on-call rota, escalation contact) as KEY=VALUE lines for --accounts, --seed and --scenario, and exit." };

        var root = new RootCommand("Drives a simulated customer base through the customer-success app over HTTP and reports what it did.")
        {
            accounts, days, seed, scenario, speed, app, output, concurrency, outbox, dryRun, teamSettings,
        };
        root.SetAction((parse, cancellationToken) =>
        {
            var arguments = new SimulatorArguments(
                parse.GetValue(accounts),
                parse.GetValue(days),
                parse.GetValue(seed),
                parse.GetValue(scenario)!,
                parse.GetValue(speed),
                new Uri(parse.GetValue(app)!, UriKind.Absolute),
                parse.GetValue(output)!,
                parse.GetValue(concurrency),
                parse.GetValue(outbox));
            return parse.GetValue(teamSettings) ? Task.FromResult(SimulatorCommand.PrintTeamSettings(arguments))
                : parse.GetValue(dryRun) ? Task.FromResult(SimulatorCommand.DryRun(arguments))
                : SimulatorCommand.RunAsync(arguments, cancellationToken);
        });

        // Ctrl+C is handled by the command itself (it stops the run and writes a partial report), not by a forced exit.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
