using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// The Bicep CLI restored by the test project (PackageDownload of Azure.Bicep.CommandLine.linux-x64, version pinned in
/// Directory.Packages.props). Every diagnostic it prints counts: an error, a linter warning and an info alike.
/// </summary>
internal static partial class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string Path { get; } = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepPath").Value ?? string.Empty;

    /// <summary><c>bicep build</c>: compiles <paramref name="bicepFile"/> (and its modules) to one ARM template.</summary>
    public static BicepRun Build(string bicepFile, string outFile) => Run(["build", bicepFile, "--outfile", outFile]);

    /// <summary><c>bicep lint</c> on a .bicep or .bicepparam file.</summary>
    public static BicepRun Lint(string file, IReadOnlyDictionary<string, string>? environment = null) => Run(["lint", file], environment);

    /// <summary><c>bicep build-params</c>: the parameters file compiled against the template it names.</summary>
    public static BicepRun BuildParams(string bicepParamFile, string outFile, IReadOnlyDictionary<string, string> environment) =>
        Run(["build-params", bicepParamFile, "--outfile", outFile], environment);

    /// <summary>
    /// <c>bicep snapshot</c>: the resources a deployment of the template named by <paramref name="bicepParamFile"/>
    /// would create, with every expression the engine can evaluate before deploying evaluated (copy loops, nested
    /// deployments, names, guid()); what only exists at run time stays an expression string. Writes
    /// &lt;name&gt;.snapshot.json beside the parameters file.
    /// </summary>
    public static BicepRun Snapshot(string bicepParamFile, SnapshotScope scope) => Run(
        ["snapshot", bicepParamFile, "--mode", "overwrite", "--subscription-id", scope.SubscriptionId, "--tenant-id", scope.TenantId, "--location", scope.Location]);

    private static BicepRun Run(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        Assert.True(File.Exists(Path), $"The Bicep CLI is not at {Path}: build the test project (it restores Azure.Bicep.CommandLine.linux-x64).");
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + Path);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}");
        }

        return new BicepRun(string.Join(' ', arguments), process.ExitCode, stdout.Result, Diagnostics(stderr.Result));
    }

    /// <summary>Every non-empty line on stderr, parsed where it has the CLI's "file(line,col) : Level code: message" form.</summary>
    internal static IReadOnlyList<BicepDiagnostic> Diagnostics(string stderr) =>
        [.. stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            var m = DiagnosticLine().Match(line);
            return m.Success
                ? new BicepDiagnostic(m.Groups["level"].Value, m.Groups["code"].Value, line)
                : new BicepDiagnostic("Unparsed", string.Empty, line);
        })];

    [GeneratedRegex(@"^.+\(\d+,\d+\) : (?<level>Error|Warning|Info) (?<code>[\w-]+): ")]
    private static partial Regex DiagnosticLine();
}

internal sealed record BicepRun(string Command, int ExitCode, string Stdout, IReadOnlyList<BicepDiagnostic> Diagnostics)
{
    /// <summary>The gate: a run passes only with exit code 0 and nothing at all on stderr.</summary>
    public bool IsClean => ExitCode == 0 && Diagnostics.Count == 0;

    public string Describe() => $"bicep {Command} exited {ExitCode} with {Diagnostics.Count} diagnostic(s):\n  " + string.Join("\n  ", Diagnostics.Select(d => d.Line));
}

internal sealed record BicepDiagnostic(string Level, string Code, string Line);

internal sealed record SnapshotScope(string SubscriptionId, string TenantId, string Location);
