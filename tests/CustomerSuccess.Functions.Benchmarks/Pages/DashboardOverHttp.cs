using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace CustomerSuccess.Functions.Benchmarks.Pages;

/// <summary>
/// The pages as a CSM gets them: the app itself (built, standalone, its clock held so no timer runs) over the tables
/// the portfolio load seeded, signed in with the function key, each page's HTML timed from request to last byte. The
/// first view is an instance's first (the portfolio index and the open alerts loaded), then best of 3.
/// </summary>
internal static class DashboardOverHttp
{
    public static async Task RunAsync(string connectionString, string csm)
    {
        var dll = Path.Combine(LocalAzurite.RepoRoot, "src", "CustomerSuccess.Functions", "bin", "Release", "net10.0", "CustomerSuccess.Functions.dll");
        var port = FreePort();
        var key = Secret();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.ArgumentList.Add(dll);
        psi.Environment["AzureWebJobsStorage"] = connectionString;
        psi.Environment["FunctionKeys__Default"] = key;
        psi.Environment["Webhooks__Stripe__SigningSecrets__0"] = "whsec_" + Secret();
        psi.Environment["Webhooks__Segment__SharedSecrets__0"] = Secret();
        psi.Environment["Webhooks__Zendesk__SigningSecrets__0"] = Secret();
        psi.Environment["Lifecycle__UnsubscribeSigningKey"] = Secret();
        psi.Environment["Email__OutboxPath"] = Path.Combine(Path.GetTempPath(), "cs-bench-outbox-" + port.ToString(CultureInfo.InvariantCulture));
        psi.Environment["Hosting__Port"] = port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Clock__Mode"] = "Simulated";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        using var app = Process.Start(psi) ?? throw new InvalidOperationException("could not start the app");
        _ = app.StandardOutput.ReadToEndAsync();
        _ = app.StandardError.ReadToEndAsync();
        try
        {
            using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
            using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUpAsync(http);
            using (var signIn = await http.GetAsync(new Uri($"/api/dashboard/signin/key?code={key}&user=bench%40example.com", UriKind.Relative)))
            {
                if (signIn.StatusCode != HttpStatusCode.Redirect)
                {
                    throw new InvalidOperationException($"sign-in answered {(int)signIn.StatusCode}");
                }
            }

            var c = Uri.EscapeDataString(csm);
            (string Name, string Path)[] pages =
            [
                ("portfolio, first page", "/api/dashboard"),
                ("portfolio, fifth page", "/api/dashboard?page=4"),
                ("portfolio, one CSM", $"/api/dashboard?csm={c}"),
                ("portfolio, Mid-Market Red, third page", "/api/dashboard?segment=MidMarket&band=Red&page=2"),
                ("alerts, one CSM", $"/api/dashboard/alerts?csm={c}"),
                ("my day, one CSM", $"/api/dashboard/my-day?csm={c}"),
            ];
            var first = await TimeAsync(http, pages[0].Path);
            Console.WriteLine($"page over HTTP, the instance's first view ({pages[0].Name}): {first.Ms:N0} ms ({first.Bytes:N0} bytes of HTML)");
            foreach (var (name, path) in pages)
            {
                var best = double.MaxValue;
                var bytes = 0;
                for (var pass = 0; pass < 3; pass++)
                {
                    var t = await TimeAsync(http, path);
                    best = Math.Min(best, t.Ms);
                    bytes = t.Bytes;
                }

                Console.WriteLine($"page over HTTP, {name}: best of 3 {best:N1} ms ({bytes:N0} bytes of HTML)");
            }
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
    }

    private static async Task<(double Ms, int Bytes)> TimeAsync(HttpClient http, string path)
    {
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();
        var ms = watch.Elapsed.TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
        }

        return (ms, body.Length);
    }

    private static async Task WaitUntilUpAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var live = await http.GetAsync(new Uri("/api/healthz", UriKind.Relative));
                if (live.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException("the app did not answer /api/healthz within 60 s");
            }

            await Task.Delay(200);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
