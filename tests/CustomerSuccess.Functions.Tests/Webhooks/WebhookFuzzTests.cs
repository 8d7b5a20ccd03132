using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// Fuzzing the three webhook routes on Azurite, black-box: no input gets a 5xx while storage is up, and every
/// event the app acknowledges is one it can apply (after a sweep, nothing is in the quarantine and the app is healthy).
/// </summary>
public sealed class WebhookFuzzTests : IAsyncLifetime
{
    private const string Key = "test-function-key";
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static int _sequence;
    private readonly PersistentAzurite _azurite = new();
    private readonly ManualTimeProvider _clock = new(Now);
    private WebhookAppFactory _factory = null!;
    private HttpClient _client = null!;
    private SignedWebhooks _webhooks = null!;

    public async Task InitializeAsync()
    {
        await _azurite.StartAsync();
        _factory = new WebhookAppFactory(_clock, _azurite.ConnectionString);
        _factory.Settings["Webhooks:MaxBodyBytes"] = (1024 * 1024).ToString(CultureInfo.InvariantCulture);
        _factory.Settings["Webhooks:SweepIntervalSeconds"] = "3600";

        // The sweeps here are the WebhookSweep function's; the runner's timers (which TestServer cannot call back) stay off.
        _factory.Settings["LocalRunner:Enabled"] = "false";
        _factory.Settings["Signals:LoginEvents:0"] = "Logged In";
        _factory.Settings["Health:KeyFeatures:0"] = "Report Exported";
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Add("x-functions-key", Key);
        _webhooks = new SignedWebhooks(_client, _factory, _clock);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    private static string Fixture(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));

    /// <summary>A fresh event id per case, so each accepted case is stored and applied rather than a duplicate.</summary>
    private static string Fresh(string json)
    {
        var n = Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
        return json.Replace("\"evt_", "\"evt_f" + n + "_", StringComparison.Ordinal)
            .Replace("\"node-next-", "\"node-next-f" + n + "-", StringComparison.Ordinal)
            .Replace("\"ajs-next-", "\"ajs-next-f" + n + "-", StringComparison.Ordinal)
            .Replace("\"cbe4028c-", "\"f" + n + "-cbe4028c-", StringComparison.Ordinal)
            .Replace("\"1d0c6f0e-", "\"f" + n + "-1d0c6f0e-", StringComparison.Ordinal);
    }

    private static readonly (WebhookProvider Provider, string[] Fixtures)[] Routes =
    [
        (WebhookProvider.Stripe, ["Stripe/customer.created.json", "Stripe/customer.subscription.updated.json", "Stripe/invoice.payment_failed.json"]),
        (WebhookProvider.Segment, ["Segment/batch.json", "Segment/identify.json"]),
        (WebhookProvider.Zendesk, ["Zendesk/ticket.created.json", "Zendesk/ticket.status_changed.json"]),
    ];

    [Fact]
    public async Task ArbitraryJsonValidlySigned_NeverA5xx_AndEverythingAcknowledgedIsApplied()
    {
        var statuses = new ConcurrentBag<(WebhookProvider Provider, int Status, string Body)>();
        foreach (var (provider, fixtures) in Routes)
        {
            var bodies = Gen.OneOf([Json.Objects(3).Select(j => j.Text()), .. fixtures.Select(f => Json.Mutations(Fixture(f)))]);
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(120), Prop.ForAll(bodies.ToArbitrary(), json =>
            {
                // FsCheck properties are synchronous; Task.Run keeps the wait off any captured context.
                using var response = Task.Run(() => _webhooks.PostAsync(provider, Fresh(json))).GetAwaiter().GetResult();
                var status = (int)response.StatusCode;
                statuses.Add((provider, status, status >= 500 ? json : string.Empty));
                return status is 200 or 400 or 413;
            }));
        }

        Assert.Contains(statuses, s => s.Status == 200);
        Assert.Contains(statuses, s => s.Status == 400);
        await AssertAllAcknowledgedAppliedAsync();
    }

    [Fact]
    public async Task MutatedBytes_SignedUnsignedOrForged_NeverA5xx()
    {
        var random = new Random(1313);
        var failures = new List<string>();
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < 450; i++)
        {
            var (provider, fixtures) = Routes[i % Routes.Length];
            var body = Mutate(Encoding.UTF8.GetBytes(Fresh(Fixture(fixtures[random.Next(fixtures.Length)]))), random);
            var signed = random.Next(4) != 0;
            using var response = await _webhooks.PostAsync(provider, body, signed);
            var status = (int)response.StatusCode;
            counts[status] = counts.GetValueOrDefault(status) + 1;
            if (status >= 500)
            {
                failures.Add($"{provider} {status}: {Convert.ToBase64String(body)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(counts.GetValueOrDefault(200) > 0 && counts.GetValueOrDefault(400) > 0 && counts.GetValueOrDefault(401) > 0, string.Join(", ", counts));
        await AssertAllAcknowledgedAppliedAsync();
    }

    /// <summary>Byte-level damage of the kinds the outside fuzz used: flips, cuts, invalid UTF-8, escapes, long runs, type swaps.</summary>
    private static byte[] Mutate(byte[] body, Random random)
    {
        var bytes = body.ToList();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(9))
            {
                case 0 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.InsertRange(at, random.Next(3) switch { 0 => [0xC3, 0x28], 1 => [0xFF], _ => [0xED, 0xA0, 0x80] });
                    break;
                case 3:
                    bytes.InsertRange(at, Encoding.ASCII.GetBytes(random.Next(2) == 0 ? "\\udfff" : "\\ud800\\u0000"));
                    break;
                case 4:
                    bytes.InsertRange(at, Encoding.ASCII.GetBytes(new string('x', random.Next(400, 4000))));
                    break;
                case 5:
                    Replace(bytes, "\"created\": ", "\"created\": null, \"x\": ");
                    break;
                case 6:
                    Replace(bytes, "\"customer\": \"", "\"customer\": {\"id\": \"");
                    break;
                case 7:
                    Replace(bytes, "\"userId\": \"", "\"userId\": \"" + new string('/', 600));
                    break;
                default:
                    Replace(bytes, "\"id\": \"", "\"id\": \"" + new string('#', random.Next(100, 9000)));
                    break;
            }
        }

        return [.. bytes];
    }

    private static void Replace(List<byte> bytes, string find, string with)
    {
        var text = Encoding.UTF8.GetString([.. bytes]);
        var at = text.IndexOf(find, StringComparison.Ordinal);
        if (at >= 0)
        {
            bytes.Clear();
            bytes.AddRange(Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, at), with, text.AsSpan(at + find.Length))));
        }
    }

    /// <summary>A sweep past the grace applies whatever the in-process workers had not; nothing may end in the quarantine.</summary>
    private async Task AssertAllAcknowledgedAppliedAsync()
    {
        _clock.Advance(TimeSpan.FromMinutes(5));
        var stored = new StoredDeliveries(_factory.Services.GetRequiredService<AppTables>());
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var sweep = await _client.PostAsync("/WebhookSweep", new StringContent("""{"Data":{"timer":{}},"Metadata":{}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, sweep.StatusCode);
            if (await stored.UnappliedCountAsync() == 0)
            {
                break;
            }
        }

        using var letters = await _client.GetAsync("/api/admin/deadletters?queue=webhooks");
        var quarantined = await letters.Content.ReadAsStringAsync();
        Assert.Equal("[]", quarantined);
        Assert.Equal(0, await stored.UnappliedCountAsync());
        using var health = await _client.GetAsync("/api/healthz");
        var report = await health.Content.ReadAsStringAsync();
        Assert.True(JsonDocument.Parse(report).RootElement.GetProperty("status").GetString() == "ok", report);
    }
}
