using System.Diagnostics;
using System.Text.Json;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>
/// Builds the deployment package with the publish script and starts its handler the way the Functions host
/// does (working directory and executable from host.json, FUNCTIONS_CUSTOMHANDLER_PORT in the environment).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class PublishedPackageTests
{
    private readonly AzuriteFixture _azurite;

    public PublishedPackageTests(AzuriteFixture azurite) => _azurite = azurite;

    [Fact]
    public async Task PublishScript_Package_HasHostLayoutAndHandlerAnswersOnCustomHandlerPort()
    {
        var root = RepoPaths.Root;
        var publish = await RunAsync("bash", ["scripts/publish.sh"], root, TimeSpan.FromMinutes(5));
        Assert.True(publish.ExitCode == 0, publish.Output);

        var app = Path.Combine(root, "artifacts", "publish", "app");
        Assert.True(File.Exists(Path.Combine(root, "artifacts", "publish", "package.zip")));
        Assert.True(File.Exists(Path.Combine(app, "host.json")));
        foreach (var function in Directory.EnumerateDirectories(Path.Combine(root, "src", "CustomerSuccess.Functions", "functions")))
        {
            Assert.True(File.Exists(Path.Combine(app, Path.GetFileName(function), "function.json")), $"{Path.GetFileName(function)}/function.json missing from the package");
        }

        using var hostJson = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(app, "host.json")));
        var description = hostJson.RootElement.GetProperty("customHandler").GetProperty("description");
        var executable = Path.Combine(app, description.GetProperty("defaultExecutablePath").GetString()!);
        var workingDirectory = Path.Combine(app, description.GetProperty("workingDirectory").GetString()!);
        Assert.True(hostJson.RootElement.GetProperty("customHandler").GetProperty("enableForwardingHttpRequest").GetBoolean());

        var port = AzuriteFixture.FreePort();
        var psi = new ProcessStartInfo(executable) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        // The settings a deployment has (local.settings.sample.json mirrors the Bicep), with local stand-ins.
        using (var sample = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "local.settings.sample.json"))))
        {
            foreach (var setting in sample.RootElement.GetProperty("Values").EnumerateObject())
            {
                psi.Environment[setting.Name] = setting.Value.GetString();
            }
        }

        // Under the host the app requires its Service Bus namespace; the client does not connect until a message is sent.
        psi.Environment["ServiceBusConnection__fullyQualifiedNamespace"] = "cs-test.servicebus.windows.net";
        psi.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["FUNCTIONS_WORKER_RUNTIME"] = "custom";
        psi.Environment["AzureWebJobsStorage"] = _azurite.ConnectionString;
        using var handler = Process.Start(psi)!;
        handler.OutputDataReceived += (_, _) => { };
        handler.ErrorDataReceived += (_, _) => { };
        handler.BeginOutputReadLine();
        handler.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            HttpResponseMessage? response = null;
            while (response is null)
            {
                Assert.False(handler.HasExited, "the handler exited at start");
                try
                {
                    response = await http.GetAsync(new Uri("/api/healthz", UriKind.Relative));
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
            }

            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

            // Under the host there is no local runner: its surface must not exist.
            var local = await http.GetAsync(new Uri("/local/runner", UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, local.StatusCode);
        }
        finally
        {
            handler.Kill(entireProcessTree: true);
            await handler.WaitForExitAsync();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
