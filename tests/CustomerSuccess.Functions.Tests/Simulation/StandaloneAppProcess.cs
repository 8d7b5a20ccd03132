using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>
/// The app started the way scripts/run-local.sh starts it: its own build output as a separate process on a free
/// loopback port, standalone, simulated clock, Azurite for tables, fresh secrets for this run only.
/// </summary>
public sealed class StandaloneAppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private StandaloneAppProcess(Process process, Uri address, string functionKey, WebhookSecrets secrets, string runDirectory)
    {
        _process = process;
        Address = address;
        FunctionKey = functionKey;
        Secrets = secrets;
        RunDirectory = runDirectory;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public string FunctionKey { get; }

    internal WebhookSecrets Secrets { get; }

    public string RunDirectory { get; }

    public string Outbox => Path.Combine(RunDirectory, "outbox");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 200_000)
            {
                _log.AppendLine(line);
            }
        }
    }

    public static StandaloneAppProcess Start(AzuriteFixture azurite, IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var appDll = Path.Combine(RepoPaths.Root, "src", "CustomerSuccess.Functions", "bin", configuration, "net10.0", "CustomerSuccess.Functions.dll");
        if (!File.Exists(appDll))
        {
            throw new InvalidOperationException($"The app is not built at {appDll}.");
        }

        static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var port = AzuriteFixture.FreePort();
        var runDirectory = Path.Combine(Path.GetTempPath(), "cs-sim-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(runDirectory);
        var secrets = new WebhookSecrets("whsec_" + Secret(), Secret(), Secret());
        var key = Secret();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(appDll)!,
        };
        psi.ArgumentList.Add(appDll);
        // The simulated product's event vocabulary, as CS operations would configure it (shared with run-local.sh).
        using (var product = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "CustomerSuccess.Simulator", "simulated-product.settings.json"))))
        {
            foreach (var setting in product.RootElement.GetProperty("Values").EnumerateObject())
            {
                psi.Environment[setting.Name] = setting.Value.GetString();
            }
        }

        psi.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        psi.Environment["FunctionKeys__Default"] = key;
        psi.Environment["Webhooks__Stripe__SigningSecrets__0"] = secrets.Stripe;
        psi.Environment["Webhooks__Segment__SharedSecrets__0"] = secrets.Segment;
        psi.Environment["Webhooks__Zendesk__SigningSecrets__0"] = secrets.Zendesk;
        psi.Environment["Lifecycle__UnsubscribeSigningKey"] = Secret();
        psi.Environment["Email__OutboxPath"] = Path.Combine(runDirectory, "outbox");
        psi.Environment["Hosting__Port"] = port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Clock__Mode"] = "Simulated";
        psi.Environment["LocalRunner__PollInterval"] = "00:00:00.020";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in settings ?? [])
        {
            psi.Environment[name] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the app.");
        return new StandaloneAppProcess(process, new Uri($"http://127.0.0.1:{port}"), key, secrets, runDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
