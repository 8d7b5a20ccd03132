using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Benchmarks;

/// <summary>
/// `tables &lt;tableEndpoint&gt; [inserts=20000] [concurrency=32] [batches=200]`: point inserts, 100-entity batch inserts and a
/// full-table query against Azurite (path-style endpoint, development account) through the app's own table layer
/// (<see cref="AppTables"/> on Azure.Data.Tables, configured as <see cref="StorageModule"/> configures it), printed
/// as one JSON line so scripts/bench-tables.sh can set it beside the same workload run by the official JS SDK.
/// </summary>
internal static class TablesLoad
{
    private const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1)
        {
            await Console.Error.WriteLineAsync("usage: tables <tableEndpoint> [inserts] [concurrency] [batches]");
            return 2;
        }

        var endpoint = args[0].TrimEnd('/');
        var inserts = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20000;
        var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        var batches = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 200;
        var account = new Uri(endpoint).AbsolutePath.Trim('/');
        var run = Guid.NewGuid().ToString("N")[..8];
        var pointTable = "netpoint" + run;
        var batchTable = "netbatch" + run;
        var warmTable = "netwarm" + run;
        var service = StorageModule.CreateServiceClient(new TableStorageOptions { ConnectionString = $"AccountName={account};AccountKey={DevelopmentKey};TableEndpoint={endpoint}" });
        var tables = new AppTables(service, [new DeclaredTable(pointTable), new DeclaredTable(batchTable), new DeclaredTable(warmTable)], NullLogger<AppTables>.Instance);
        foreach (var table in tables.Declared)
        {
            await tables.EnsureAsync(table, default);
        }

        // Warm-up: connections, JIT and Azurite's first-request costs stay out of the figures.
        await RunConcurrentAsync(500, concurrency, i => tables[warmTable].AddAsync(Entity("w", i)));

        var pointClock = Stopwatch.StartNew();
        await RunConcurrentAsync(inserts, concurrency, async i =>
        {
            var result = await tables[pointTable].AddAsync(Entity("p" + (i % 64).ToString(CultureInfo.InvariantCulture), i));
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"insert {i}: {result.Status}");
            }
        });
        pointClock.Stop();

        var batchClock = Stopwatch.StartNew();
        await RunConcurrentAsync(batches, concurrency, async b =>
        {
            var partition = "b" + b.ToString(CultureInfo.InvariantCulture);
            var actions = new TableTransactionAction[100];
            for (var i = 0; i < actions.Length; i++)
            {
                actions[i] = new TableTransactionAction(TableTransactionActionType.Add, Entity(partition, i));
            }

            var result = await tables[batchTable].SubmitAsync(actions);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"batch {b}: {result.FailedStatus} {result.ErrorCode}");
            }
        });
        batchClock.Stop();

        // Best of three passes: a single sequential scan on a shared 2-core machine is at the mercy of its neighbours.
        var queryRate = 0.0;
        for (var pass = 0; pass < 3; pass++)
        {
            var queryClock = Stopwatch.StartNew();
            var queried = 0;
            await foreach (var _ in tables[pointTable].QueryAsync<LoadEntity>(TableFilter.All, pageSize: 1000))
            {
                queried++;
            }

            queryClock.Stop();
            if (queried != inserts)
            {
                throw new InvalidOperationException($"query returned {queried} of {inserts} entities");
            }

            queryRate = Math.Max(queryRate, queried / queryClock.Elapsed.TotalSeconds);
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["client"] = "CustomerSuccess AppTables on Azure.Data.Tables 12.13.0 (.NET)",
            ["pointInsertsPerSec"] = Math.Round(inserts / pointClock.Elapsed.TotalSeconds),
            ["batchesPerSec"] = Math.Round(batches / batchClock.Elapsed.TotalSeconds, 1),
            ["batchEntitiesPerSec"] = Math.Round(batches * 100 / batchClock.Elapsed.TotalSeconds),
            ["queryEntitiesPerSec"] = Math.Round(queryRate),
        }));
        return 0;
    }

    private static LoadEntity Entity(string partition, int i) => new()
    {
        PartitionKey = partition,
        RowKey = i.ToString("D8", CultureInfo.InvariantCulture),
        Account = "acct-" + i.ToString(CultureInfo.InvariantCulture),
        Score = i % 100,
        Events = (long)i * 1000,
        Ratio = i / 7.0,
        At = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i),
    };

    /// <summary>Five typed properties (String, Int32, Int64, Double, DateTime), as the JS side writes.</summary>
    private sealed class LoadEntity : ITableEntity
    {
        public string PartitionKey { get; set; } = string.Empty;

        public string RowKey { get; set; } = string.Empty;

        public DateTimeOffset? Timestamp { get; set; }

        public ETag ETag { get; set; }

        public string Account { get; set; } = string.Empty;

        public int Score { get; set; }

        public long Events { get; set; }

        public double Ratio { get; set; }

        public DateTimeOffset At { get; set; }
    }

    private static async Task RunConcurrentAsync(int count, int concurrency, Func<int, Task> operation)
    {
        var next = -1;
        var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await operation(i);
            }
        });
        await Task.WhenAll(workers);
    }
}
