using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Benchmarks.Health;

/// <summary>
/// `dotnet run -c Release -- health [accounts] [shards] [second-floor-pass]`: starts Azurite (in memory, free port), seeds accounts with
/// 30 days of signals each in a compact layout of its own (one row per account, the days packed in a column), then
/// measures in the same process (1) the storage floor: read exactly those rows page by page and write as many result
/// rows as the recompute does (score, history, transition per account) in 100-entity batches, nothing else; and
/// (2) the full recompute (every shard, shards in parallel as the floor). Prints both, the ratio and peak memory;
/// then, unless the third argument is false, the floor once more (upserting rows that exist, which in-memory Azurite
/// does much more slowly than inserts).
/// </summary>
internal static class HealthRecomputeLoad
{
    private const string SignalsTable = "healthbenchsignals";
    private const string FloorTable = "healthbenchfloor";
    private const int DayInts = 8;

    public static async Task<int> RunAsync(string[] args)
    {
        var accounts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var shards = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        var secondFloorPass = args.Length <= 2 || bool.Parse(args[2]);
        var asOf = new DateTimeOffset(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);
        var today = DateOnly.FromDateTime(asOf.UtcDateTime);

        var port = FreePort();
        using var azurite = StartAzurite(port);
        try
        {
            await WaitForPortAsync(port);
            // Azurite's well-known development key (public, documented; not a secret).
            var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
            // In-memory Azurite slows down as a table passes a few hundred thousand rows; a batch can then take longer
            // than the app's 5 s network timeout, which would measure the emulator's limit instead of the recompute.
            var clientOptions = new TableClientOptions();
            clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(120);
            var store = new RestTableStore(new TableStorageOptions { ConnectionString = connection }, TimeProvider.System, NullLogger<RestTableStore>.Instance, clientOptions);

            var seed = Stopwatch.StartNew();
            await SeedAsync(store, accounts, shards, today);
            Console.WriteLine($"seeded {accounts:N0} accounts x 30 days in {seed.Elapsed.TotalSeconds:F1} s");

            var floor = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) => await FloorShardAsync(store, shard, ct));
            floor.Stop();
            Console.WriteLine($"storage floor (first pass): {floor.Elapsed.TotalSeconds:F1} s");

            var options = new HealthOptions { ShardCount = shards, PageSize = 100 };
            var recompute = new HealthRecompute(store, new PackedSignalSource(store), new NullPublisher(), new HealthScoreCalculator(options), Options.Create(options), TimeProvider.System, NullLogger<HealthRecompute>.Instance);
            var full = Stopwatch.StartNew();
            await recompute.StartRunAsync(asOf, default);
            await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) =>
                await recompute.ScoreShardAsync(new HealthShardMessage(HealthRecompute.RunIdFor(asOf), shard, shards, asOf), ct));
            full.Stop();
            var summary = await recompute.TryCompleteRunAsync(HealthRecompute.RunIdFor(asOf), default);
            Console.WriteLine($"run: {summary?.AccountsScored:N0} accounts scored, {summary?.Failures} failures, completed {summary?.Completed}");
            Console.WriteLine($"full recompute: {full.Elapsed.TotalSeconds:F1} s ({full.Elapsed / floor.Elapsed:F2}x the first floor pass)");
            using (var process = Process.GetCurrentProcess())
            {
                Console.WriteLine($"peak working set so far: {process.PeakWorkingSet64 / (1024 * 1024)} MB");
            }

            if (!secondFloorPass)
            {
                return 0;
            }

            // The floor again, for the steady state: it upserts rows that exist, as every recompute after the first does.
            var floorAgain = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) => await FloorShardAsync(store, shard, ct));
            floorAgain.Stop();
            using var self = Process.GetCurrentProcess();
            Console.WriteLine($"storage floor (second pass, upserting rows that exist): {floorAgain.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"peak working set: {self.PeakWorkingSet64 / (1024 * 1024)} MB; GC heap now {GC.GetTotalMemory(false) / (1024 * 1024)} MB; max GC heap seen {GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)} MB");
            return 0;
        }
        finally
        {
            azurite.Kill(entireProcessTree: true);
        }
    }

    private static async Task SeedAsync(RestTableStore store, int accounts, int shards, DateOnly today)
    {
        await store.CreateTableIfNotExistsAsync(SignalsTable);
        await store.CreateTableIfNotExistsAsync(FloorTable);
        var random = new Random(7);
        var byShard = new List<TableTransactionAction>[shards];
        for (var i = 0; i < shards; i++)
        {
            byShard[i] = new List<TableTransactionAction>(100);
        }

        var pending = new List<Task>();
        for (var i = 0; i < accounts; i++)
        {
            var signals = HealthSignalFactory.Create(random, $"acct-{i:D7}", today, 30);
            var shard = AccountShard.Of(signals.AccountId, shards);
            byShard[shard].Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, Pack(HealthRows.Partition(shard), signals)));
            if (byShard[shard].Count == 100)
            {
                pending.Add(Submit(store, SignalsTable, byShard[shard].ToArray()));
                byShard[shard].Clear();
                if (pending.Count >= 8)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }
        }

        foreach (var rest in byShard)
        {
            if (rest.Count > 0)
            {
                pending.Add(Submit(store, SignalsTable, rest.ToArray()));
            }
        }

        await Task.WhenAll(pending);
    }

    // Storage only: the same pages of signal rows, and 3 result rows per account of about the score row's width.
    private static async Task FloorShardAsync(RestTableStore store, int shard, CancellationToken ct)
    {
        var partition = HealthRows.Partition(shard);
        TableContinuation? continuation = null;
        do
        {
            var page = await store.QueryPageAsync(SignalsTable, $"PartitionKey eq '{partition}'", null, 100, continuation, ct);
            var batch = new List<TableTransactionAction>(100);
            foreach (var e in page.Entities)
            {
                foreach (var kind in (string[])["score|", "hist|", "tx|"])
                {
                    var row = new TableEntity(partition, kind + e.RowKey);
                    for (var c = 0; c < 20; c++)
                    {
                        row["C" + c.ToString(CultureInfo.InvariantCulture)] = c;
                    }

                    batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, row));
                    if (batch.Count == 100)
                    {
                        await Submit(store, FloorTable, batch.ToArray());
                        batch.Clear();
                    }
                }
            }

            if (batch.Count > 0)
            {
                await Submit(store, FloorTable, batch.ToArray());
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    private static async Task Submit(RestTableStore store, string table, TableTransactionAction[] actions)
    {
        var result = await store.SubmitTransactionAsync(table, actions);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"batch failed: {result.ErrorCode}");
        }
    }

    private static TableEntity Pack(string partition, AccountSignals s)
    {
        var e = new TableEntity(partition, s.AccountId)
        {
            ["Mrr"] = s.MrrCents,
            ["Seats"] = s.LicensedSeats,
            ["Active30"] = s.ActiveUsers30d,
            ["Status"] = s.SubscriptionStatus,
            ["Since"] = s.CustomerSince,
            ["FirstValue"] = s.Milestones.Count > 0,
            ["Champion"] = s.Relationship.HasChampion,
            ["ChampionActive"] = s.Relationship.ChampionActive,
            ["Sponsor"] = s.Relationship.HasExecutiveSponsor,
            ["Features"] = string.Join(',', s.KeyFeaturesUsed30d),
        };
        var bytes = new byte[s.Days.Count * DayInts * 4 + 4];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), s.Days[0].Day.DayNumber);
        for (var i = 0; i < s.Days.Count; i++)
        {
            var d = s.Days[i];
            var span = bytes.AsSpan(4 + (i * DayInts * 4));
            int[] values = [d.Logins, d.Events, d.TicketsOpened, d.UrgentOrHighTicketsOpened, d.SatisfactionGood, d.SatisfactionBad, d.PaymentsFailed, d.Meetings + (d.EmailReplies << 8)];
            for (var v = 0; v < DayInts; v++)
            {
                BitConverter.TryWriteBytes(span[(v * 4)..], values[v]);
            }
        }

        e["Days"] = Convert.ToBase64String(bytes);
        return e;
    }

    internal static AccountSignals Unpack(TableEntity e)
    {
        var bytes = Convert.FromBase64String(e.GetString("Days") ?? string.Empty);
        var first = BitConverter.ToInt32(bytes, 0);
        var count = (bytes.Length - 4) / (DayInts * 4);
        var days = new DailySignals[count];
        for (var i = 0; i < count; i++)
        {
            var o = 4 + (i * DayInts * 4);
            int V(int v) => BitConverter.ToInt32(bytes, o + (v * 4));
            days[i] = new DailySignals
            {
                Day = DateOnly.FromDayNumber(first + i),
                Logins = V(0),
                Events = V(1),
                TicketsOpened = V(2),
                UrgentOrHighTicketsOpened = V(3),
                SatisfactionGood = V(4),
                SatisfactionBad = V(5),
                PaymentsFailed = V(6),
                Meetings = V(7) & 0xFF,
                EmailReplies = V(7) >> 8,
            };
        }

        return new AccountSignals
        {
            AccountId = e.RowKey,
            MrrCents = e.GetInt64("Mrr") ?? 0,
            LicensedSeats = e.GetInt32("Seats") ?? 0,
            ActiveUsers30d = e.GetInt32("Active30") ?? 0,
            SubscriptionStatus = e.GetString("Status"),
            CustomerSince = e.GetDateTimeOffset("Since"),
            Days = days,
            Milestones = e.GetBoolean("FirstValue") == true ? new Dictionary<string, DateTimeOffset> { ["first_value"] = DateTimeOffset.UnixEpoch } : new Dictionary<string, DateTimeOffset>(),
            KeyFeaturesUsed30d = new HashSet<string>((e.GetString("Features") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal),
            Relationship = new RelationshipSignals { HasChampion = e.GetBoolean("Champion") ?? false, ChampionActive = e.GetBoolean("ChampionActive") ?? false, HasExecutiveSponsor = e.GetBoolean("Sponsor") ?? false },
        };
    }

    /// <summary>The benchmark's own signal layout behind the real interface: one shard partition, pages in account order.</summary>
    private sealed class PackedSignalSource(ITableStore store) : IAccountSignalSource
    {
        public async Task<AccountSignalPage> ReadPageAsync(int shard, int shardCount, DateOnly asOf, string? continuation, int pageSize, CancellationToken cancellationToken)
        {
            // The service's continuation tokens are opaque (Azurite's are encoded): keep both halves as given.
            var parts = continuation?.Split('\n', 2);
            var from = parts is null ? null : new TableContinuation(parts[0].Length == 0 ? null : parts[0], parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null);
            var page = await store.QueryPageAsync(SignalsTable, $"PartitionKey eq '{HealthRows.Partition(shard)}'", null, pageSize, from, cancellationToken);
            var accounts = new AccountSignals[page.Entities.Count];
            for (var i = 0; i < accounts.Length; i++)
            {
                accounts[i] = Unpack(page.Entities[i]);
            }

            return new AccountSignalPage(accounts, page.Continuation is { } next ? next.NextPartitionKey + "\n" + next.NextRowKey : null);
        }
    }

    private sealed class NullPublisher : IMessagePublisher
    {
        public Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    private static Process StartAzurite(int port)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CustomerSuccess.Functions.sln")))
        {
            dir = dir.Parent;
        }

        var root = dir?.FullName ?? throw new InvalidOperationException("repo root not found");
        var psi = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in new[] { Path.Combine(root, "node_modules", "azurite", "dist", "src", "table", "main.js"), "--tableHost", "127.0.0.1", "--tablePort", port.ToString(CultureInfo.InvariantCulture), "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent" })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start Azurite");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("Azurite did not start");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
