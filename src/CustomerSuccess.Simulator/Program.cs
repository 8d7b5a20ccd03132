using System.CommandLine;

namespace CustomerSuccess.Simulator;

/// <summary>Entry point (a named class rather than top-level statements, so it never clashes with the app's Program in tests that load both).</summary>
internal static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        var accounts = new Option<int>("--accounts") { Description = "How many customer accounts to simulate.", DefaultValueFactory = _ => 500 };
        var days = new Option<int>("--days") { Description = "How many simulated days to run.", DefaultValueFactory = _ => 120 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same portfolio and the same events.", DefaultValueFactory = _ => 42 };
        var speed = new Option<int>("--speed") { Description = "Simulated hours per clock step (a divisor of 24): 12 (default) gives the app a midday as well as a midnight, so emails held for quiet hours go out; 24 is fastest; 1 lets hourly timers fire on the hour.", DefaultValueFactory = _ => 12 };
        var app = new Option<string>("--app") { Description = "Base address of the running app (standalone, simulated clock).", DefaultValueFactory = _ => "http://127.0.0.1:7071" };
        var output = new Option<string>("--out") { Description = "Folder for report.html and portfolio.json (the app's Email__OutboxPath should be OUT/outbox).", DefaultValueFactory = _ => Path.Combine("out", "run") };
        var concurrency = new Option<int>("--concurrency") { Description = "Webhook requests in flight at once.", DefaultValueFactory = _ => 8 };
        var outbox = new Option<string?>("--outbox") { Description = "The app's email outbox folder, if not OUT/outbox." };

        var teamSettings = new Option<bool>("--print-team-settings") { Description = "Print the app settings of the simulated CS team (on-call rota, escalation contact) as KEY=VALUE lines for --accounts and --seed, and exit." };

        var root = new RootCommand("Drives a simulated customer base through the customer-success app over HTTP and reports what it did.")
        {
            accounts, days, seed, speed, app, output, concurrency, outbox, teamSettings,
        };
        root.SetAction((parse, cancellationToken) => parse.GetValue(teamSettings)
            ? PrintTeamSettings(parse.GetValue(accounts), parse.GetValue(seed))
            : SimulatorCommand.RunAsync(
            new SimulatorArguments(
                parse.GetValue(accounts),
                parse.GetValue(days),
                parse.GetValue(seed),
                parse.GetValue(speed),
                new Uri(parse.GetValue(app)!, UriKind.Absolute),
                parse.GetValue(output)!,
                parse.GetValue(concurrency),
                parse.GetValue(outbox)),
            cancellationToken));
        return await root.Parse(args).InvokeAsync();
    }

    private static Task<int> PrintTeamSettings(int accounts, int seed)
    {
        foreach (var (key, value) in Portfolio.PortfolioGenerator.TeamSettings(Math.Max(1, accounts), seed))
        {
            Console.WriteLine($"{key}={value}");
        }

        return Task.FromResult(0);
    }
}
