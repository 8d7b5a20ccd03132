using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Benchmarks.Pages;

/// <summary>
/// What one portfolio view reads at scale: <c>dashboard [accounts=100000]</c> seeds that many latest-score rows
/// (random bands, segments, 20 CSMs, renewals within a year) into Azurite and times
/// <see cref="HealthQueries.GetPortfolioPageAsync"/> for the first page, the fifth page, and one CSM's view, best of 3.
/// </summary>
internal static class PortfolioViewLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var accounts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var now = DateTimeOffset.UtcNow;
        using var azurite = await LocalAzurite.StartAsync();
        var tables = TablesFor(azurite.ConnectionString);
        await tables.EnsureAsync(HealthTables.Scores, default);

        var seed = Stopwatch.StartNew();
        await SeedAsync(tables[HealthTables.Scores], accounts, now);
        Console.WriteLine($"seeded {accounts:N0} score rows in {seed.Elapsed.TotalSeconds:F1} s");

        var queries = new HealthQueries(tables, TimeProvider.System);
        foreach (var (name, query) in new[]
        {
            ("first page (25), unfiltered", new PortfolioQuery()),
            ("fifth page (25), unfiltered", new PortfolioQuery(Page: 4)),
            ("one CSM's view", new PortfolioQuery(CsmEmail: "csm-07@example.com")),
        })
        {
            var best = TimeSpan.MaxValue;
            PortfolioPage? page = null;
            for (var pass = 0; pass < 3; pass++)
            {
                var watch = Stopwatch.StartNew();
                page = await queries.GetPortfolioPageAsync(query, default);
                best = watch.Elapsed < best ? watch.Elapsed : best;
            }

            Console.WriteLine($"{name}: best of 3 {best.TotalMilliseconds:N0} ms ({page!.Bands.Values.Sum(b => b.Values.Sum()):N0} accounts counted, {page.AtRiskTotal:N0} at risk, {page.AtRisk.Count} listed)");
        }

        // The unfiltered first page from the hourly snapshot: the timer's scan once, then a point read per view.
        await tables.EnsureAsync(CustomerSuccess.Functions.Pages.PortfolioTrendStore.Table, default);
        var trend = new CustomerSuccess.Functions.Pages.PortfolioTrendStore(tables, queries, TimeProvider.System);
        var snapshot = Stopwatch.StartNew();
        await trend.SnapshotAsync(default);
        Console.WriteLine($"hourly snapshot (one scan, once an hour): {snapshot.Elapsed.TotalMilliseconds:N0} ms");
        var fastest = TimeSpan.MaxValue;
        for (var pass = 0; pass < 3; pass++)
        {
            var watch = Stopwatch.StartNew();
            _ = await trend.TryReadLatestAsync(new PortfolioQuery(), default) ?? throw new InvalidOperationException("no snapshot");
            fastest = watch.Elapsed < fastest ? watch.Elapsed : fastest;
        }

        Console.WriteLine($"first page (25), unfiltered, from the snapshot: best of 3 {fastest.TotalMilliseconds:N1} ms");
        return 0;
    }

    private static async Task SeedAsync(AppTable scores, int accounts, DateTimeOffset now)
    {
        var random = new Random(19);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var rows = Enumerable.Range(0, accounts).Select(i =>
        {
            var id = $"acct-{i:D7}";
            var score = random.Next(0, 101);
            var band = score < 40 ? HealthBand.Red : score < 70 ? HealthBand.Yellow : HealthBand.Green;
            var health = new HealthScore
            {
                AccountId = id,
                Day = today,
                ScoredAt = now,
                Segment = (AccountSegment)random.Next(0, 3),
                Score = score,
                ComputedBand = band,
                Band = band,
                Dimensions = [score, score, score, score, score, score],
                Drivers = [new HealthDriverDelta(HealthDimension.ProductUsage, -4.5, 70, 52)],
                BandSince = today.AddDays(-3),
                FirstScoredOn = today.AddDays(-60),
            };
            var signals = new AccountSignals { AccountId = id, Name = "Account " + i, CsmEmail = $"csm-{i % 20:D2}@example.com", RenewalDate = now.AddDays(random.Next(1, 366)) };
            return HealthScoreEntity.From(health, signals);
        });

        foreach (var chunk in rows.GroupBy(r => r.PartitionKey).SelectMany(g => g.Chunk(100)).Chunk(32))
        {
            await Task.WhenAll(chunk.Select(async batch =>
            {
                var outcome = await scores.SubmitAsync([.. batch.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r))]);
                if (!outcome.Succeeded)
                {
                    throw new InvalidOperationException($"batch failed: {outcome.ErrorCode}");
                }
            }));
        }
    }

    private static AppTables TablesFor(string connection)
    {
        var options = StorageModule.Configure(new TableClientOptions(), new Uri("http://127.0.0.1"));
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(120);
        TableConnection.TryCreate(new TableStorageOptions { ConnectionString = connection }, out var parsed, out _);
        var service = new TableServiceClient(parsed!.Endpoint, new TableSharedKeyCredential(parsed.AccountName!, parsed.AccountKey!), options);
        return new AppTables(service, [new DeclaredTable(HealthTables.Scores), new DeclaredTable(CustomerSuccess.Functions.Pages.PortfolioTrendStore.Table)], NullLogger<AppTables>.Instance);
    }
}
