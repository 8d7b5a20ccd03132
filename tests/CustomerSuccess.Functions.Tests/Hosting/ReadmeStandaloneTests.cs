using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>
/// The README's "Running just the app" block works as written: its settings, and only those, start the built app
/// outside Development and it answers healthy. Read from the README itself, so the two cannot drift apart.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed partial class ReadmeStandaloneTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task RunningJustTheApp_ExactlyTheDocumentedSettings_StartsHealthy()
    {
        var (settings, dll) = DocumentedBlock();
        Assert.Equal("UseDevelopmentStorage=true", settings["AzureWebJobsStorage"]);
        Assert.Equal("7071", settings["Hosting__Port"]);

        // Two substitutions only: the block's Azurite on 10002 and its port 7071 may be taken on a shared machine, so
        // this test's Azurite and a free port stand in; every "<…>" is a value the reader chooses.
        var port = AzuriteFixture.FreePort();
        settings["AzureWebJobsStorage"] = azurite.ConnectionString;
        settings["Hosting__Port"] = port.ToString(CultureInfo.InvariantCulture);
        foreach (var name in settings.Keys.Where(k => settings[k].StartsWith('<')).ToList())
        {
            settings[name] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        }

        // The block runs from the repo root; a scratch directory stands in so the app's local outbox lands there.
        var workingDirectory = Directory.CreateTempSubdirectory("cs-readme-").FullName;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, dll));

        // Nothing from the test runner's environment may help: no environment name (so Production), no app settings.
        foreach (var inherited in psi.Environment.Keys.Where(k => k.Contains("__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal) || k == "AzureWebJobsStorage").ToList())
        {
            psi.Environment.Remove(inherited);
        }

        foreach (var (name, value) in settings)
        {
            psi.Environment[name] = value;
        }

        using var process = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            // Until it says "ok": on a loaded machine a background loop's first iteration may time out against storage
            // and show "degraded" until its next one succeeds; a setting that is wrong never gets there.
            string? body = null;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri("/api/healthz", UriKind.Relative));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        body = await response.Content.ReadAsStringAsync();
                        if (Status(body) == "ok")
                        {
                            break;
                        }
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                await Task.Delay(250);
            }

            string Log()
            {
                lock (output)
                {
                    return output.ToString();
                }
            }

            Assert.True(body is not null, "the app did not answer /api/healthz; its output:\n" + Log());
            Assert.True(Status(body) == "ok", "/api/healthz did not say ok within 60 s: " + body + "\nthe app's output:\n" + Log());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            Directory.Delete(workingDirectory, recursive: true);
        }
    }

    /// <summary>The "status" of a /api/healthz body.</summary>
    private static string? Status(string body) => JsonDocument.Parse(body).RootElement.GetProperty("status").GetString();

    /// <summary>The export lines of the README's "Running just the app" bash block, and the dll it runs.</summary>
    private static (Dictionary<string, string> Settings, string Dll) DocumentedBlock()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var section = readme[readme.IndexOf("## Running just the app", StringComparison.Ordinal)..];
        var block = BashBlock().Match(section).Groups["body"].Value;
        var settings = Export().Matches(block).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
        var dll = RunDll().Match(block).Groups["dll"].Value;
        Assert.NotEmpty(settings);
        Assert.NotEmpty(dll);
        return (settings, dll);
    }

    [GeneratedRegex(@"```bash\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"^export (?<name>[A-Za-z_][A-Za-z0-9_]*)=(?:""(?<value>[^""]*)""|(?<value>\S+))", RegexOptions.Multiline)]
    private static partial Regex Export();

    [GeneratedRegex(@"^dotnet (?<dll>\S+\.dll)", RegexOptions.Multiline)]
    private static partial Regex RunDll();
}
