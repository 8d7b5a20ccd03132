namespace CustomerSuccess.Functions.Benchmarks;

/// <summary>Named load runs (against Azurite or a running app) that BenchmarkDotNet's micro-benchmark model does not fit.</summary>
internal static class LoadCommands
{
    private static readonly Dictionary<string, Func<string[], Task<int>>> Commands = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tables"] = TablesLoad.RunAsync,

        ["health"] = Health.HealthRecomputeLoad.RunAsync,

        ["dashboard"] = Pages.PortfolioViewLoad.RunAsync,

        ["lifecycle"] = Lifecycle.LifecycleSendLoad.RunAsync,

        ["lifecycle-fleet"] = Lifecycle.LifecycleFleetLoad.RunAsync,

        // One app process of lifecycle-fleet, started by it.
        ["lifecycle-fleet-worker"] = Lifecycle.LifecycleFleetLoad.RunWorkerAsync,
    };

    public static bool TryGet(string name, out Func<string[], Task<int>> command) =>
        Commands.TryGetValue(name, out command!);
}
