using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>
/// Runs one of the repo's browser scripts (headless Debian <c>chromium</c> driven by playwright-core from the repo's
/// node_modules; no browser download) with a JSON config, and returns the JSON object it prints last.
/// </summary>
internal static class BrowserRun
{
    public static async Task<JsonObject> RunAsync(string script, JsonObject config)
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"Chromium is not installed at {chromium} (scripts/test.sh installs Debian's chromium).");
        var configFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(configFile, config.ToJsonString());
        try
        {
            var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
            psi.ArgumentList.Add(script);
            psi.ArgumentList.Add(configFile);
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"the browser run failed ({process.ExitCode}): {await stderr}");
            return JsonNode.Parse((await stdout).Trim().Split('\n')[^1])!.AsObject();
        }
        finally
        {
            File.Delete(configFile);
        }
    }
}
