using System.Diagnostics;
using System.Globalization;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TableEntity = Azure.Data.Tables.TableEntity;
using TableTransactionAction = Azure.Data.Tables.TableTransactionAction;
using TableTransactionActionType = Azure.Data.Tables.TableTransactionActionType;

namespace CustomerSuccess.Functions.Benchmarks.Health;

/// <summary>
/// `dotnet run -c Release -- health [accounts] [shards] [second-floor-pass]`: starts Azurite (in memory, free port), seeds accounts with
/// 30 days of signals each as ingestion leaves them: one AccountStates row per account in its bucket (a subscription,
/// a profile, its people with their activity bits, milestones, features and the 30 days of counters, folded into the
/// app's own AccountState and stored in the app's own row layout), then measures in the same process (1) the storage
/// floor: read exactly those rows with the shard's range query page by page and write as many result rows as the
/// recompute does (score, history, transition per account) in 100-entity batches laid out as the recompute lays them
/// out (transitions under the run's shard, history and scores under the account's bucket group), through the app's
/// AppTables, nothing else; and (2) the full recompute through the app's AccountSignalReader and AppTables (every
/// shard, shards in parallel as the floor). Prints both, the ratio and peak memory;
/// then, unless the third argument is false, the floor once more (upserting rows that exist, which in-memory Azurite
/// does much more slowly than inserts).
/// </summary>
internal static class HealthRecomputeLoad
{
    private const string SignalsTable = AccountStateStore.Table;
    private static readonly string[] FloorTables = ["benchfloortx", "benchfloorhist", "benchfloorscores"];

    public static async Task<int> RunAsync(string[] args)
    {
        var accounts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var shards = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        var secondFloorPass = args.Length <= 2 || bool.Parse(args[2]);
        var asOf = new DateTimeOffset(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);
        var today = DateOnly.FromDateTime(asOf.UtcDateTime);

        using var azurite = await LocalAzurite.StartAsync();
        var connection = azurite.ConnectionString;
        // In-memory Azurite slows down as a table passes a few hundred thousand rows; a batch can then take longer
        // than the app's 5 s network timeout, which would measure the emulator's limit instead of the recompute.
        var tables = AppTablesFor(connection);
        foreach (var table in tables.Declared)
        {
            await tables.EnsureAsync(table, default);
        }

        var states = new AccountStateStore(tables);

        await using var memory = PeakWorkingSet.Start();
        var seed = Stopwatch.StartNew();
        await SeedAsync(states, tables[SignalsTable], accounts, today);
        Console.WriteLine($"seeded {accounts:N0} accounts x 30 days in {seed.Elapsed.TotalSeconds:F1} s (peak working set while seeding {memory.TakePeakMegabytes()} MB)");
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true); // hand seeding's memory back to the OS
        memory.TakePeakMegabytes();

        var floor = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) => await FloorShardAsync(tables, shard, shards, ct));
        floor.Stop();
        Console.WriteLine($"storage floor (first pass): {floor.Elapsed.TotalSeconds:F1} s (peak working set {memory.TakePeakMegabytes()} MB)");

        var options = new HealthOptions { ShardCount = shards, PageSize = 100 };
        var recompute = new HealthRecompute(tables, new AccountSignalReader(states), new NullPublisher(), new HealthScoreCalculator(options), Options.Create(options), TimeProvider.System, NullLogger<HealthRecompute>.Instance);
        var full = Stopwatch.StartNew();
        await recompute.StartRunAsync(asOf, default);
        await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) =>
            await recompute.ScoreShardAsync(new HealthShardMessage(HealthRecompute.RunIdFor(asOf), shard, shards, asOf), ct));
        full.Stop();
        var summary = await recompute.TryCompleteRunAsync(HealthRecompute.RunIdFor(asOf), default);
        Console.WriteLine($"run: {summary?.AccountsScored:N0} accounts scored, {summary?.Failures} failures, completed {summary?.Completed}");
        Console.WriteLine($"full recompute: {full.Elapsed.TotalSeconds:F1} s ({full.Elapsed / floor.Elapsed:F2}x the first floor pass)");
        Console.WriteLine($"peak working set during the recompute: {memory.TakePeakMegabytes()} MB");

        if (!secondFloorPass)
        {
            return 0;
        }

        // The floor again, for the steady state: it upserts rows that exist, as every recompute after the first does.
        var floorAgain = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) => await FloorShardAsync(tables, shard, shards, ct));
        floorAgain.Stop();
        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"storage floor (second pass, upserting rows that exist): {floorAgain.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"peak working set: {self.PeakWorkingSet64 / (1024 * 1024)} MB; GC heap now {GC.GetTotalMemory(false) / (1024 * 1024)} MB; max GC heap seen {GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)} MB");
        return 0;
    }

    private static async Task SeedAsync(AccountStateStore states, AppTable table, int accounts, DateOnly today)
    {
        var random = new Random(7);
        var byBucket = new List<TableTransactionAction>[AccountShard.Buckets];
        for (var i = 0; i < byBucket.Length; i++)
        {
            byBucket[i] = new List<TableTransactionAction>(100);
        }

        long packedBytes = 0;

        // 1,024 buckets hold fewer than 100 accounts each at 100,000: flush whatever has gathered every 20,000 accounts,
        // so seeding holds a bounded number of rows (it is not what is measured, but it shares the process).
        for (var i = 0; i < accounts; i++)
        {
            var signals = HealthSignalFactory.Create(random, $"acct-{i:D7}", today, 30);
            var bucket = AccountShard.BucketOf(signals.AccountId);
            foreach (var row in states.RowsOf(State(signals, today, random)))
            {
                packedBytes += row.PayloadLength();
                byBucket[bucket].Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, row));
            }

            if (byBucket[bucket].Count >= 90 || (i + 1) % 20_000 == 0)
            {
                await FlushAsync(table, byBucket);
            }
        }

        await FlushAsync(table, byBucket);
        Console.WriteLine($"account states: {packedBytes / Math.Max(1, accounts):N0} packed bytes per account on average");
    }

    private static async Task FlushAsync(AppTable table, List<TableTransactionAction>[] byBucket)
    {
        var pending = new List<Task>();
        foreach (var batch in byBucket)
        {
            if (batch.Count > 0)
            {
                var actions = batch.ToArray();
                pending.Add(Task.Run(async () =>
                {
                    var outcome = await table.SubmitAsync(actions);
                    if (!outcome.Succeeded)
                    {
                        throw new InvalidOperationException($"batch failed: {outcome.ErrorCode}");
                    }
                }));
                batch.Clear();
                if (pending.Count >= 8)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }
        }

        await Task.WhenAll(pending);
    }

    // The state ingestion leaves for these signals: its facts folded by the app's own AccountState (the day counters and
    // activity set directly: folding thousands of counted facts per day would measure seeding, not the recompute).
    private static AccountState State(AccountSignals s, DateOnly today, Random random)
    {
        var now = new DateTimeOffset(today.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var state = AccountState.New(s.AccountId, s.CustomerSince ?? now.AddDays(-400));
        void Fold(DateTimeOffset at, params AccountFact[] facts)
        {
            var key = $"seed|{s.AccountId}|{at.ToUnixTimeMilliseconds()}";
            state.Apply(new AccountEvent { Account = new ExternalIdRef("stripe-customer", "cus_" + s.AccountId), OccurredAt = at, Facts = facts }, key, now);
            state.Forget(key);
        }

        Fold(
            now.AddDays(-1),
            new ProfileUpdated("stripe", "Account " + s.AccountId, CsmEmail: "csm" + random.Next(20) + "@vendor.example"),
            new SubscriptionChanged("sub_" + s.AccountId, s.MrrCents, "growth", s.LicensedSeats, s.SubscriptionStatus ?? "active", false, now.AddDays(random.Next(1, 365)), s.CustomerSince, 365));
        for (var u = 0; u < 5; u++)
        {
            Fold(now.AddDays(-2), new UserSeen("u" + u, $"person{u}@{s.AccountId}.example", "Person " + u, null, null, null, u == 0 && s.Relationship.HasChampion, u == 1 && s.Relationship.HasExecutiveSponsor, false));
        }

        foreach (var (name, at) in s.Milestones)
        {
            Fold(at, new MilestoneReached(name));
        }

        foreach (var feature in s.KeyFeaturesUsed30d)
        {
            Fold(now.AddDays(-random.Next(0, 30)), new FeatureUsed(feature));
        }

        foreach (var d in s.Days)
        {
            var noon = new DateTimeOffset(d.Day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
            for (var u = 0; u < d.ActiveUsers; u++)
            {
                Fold(noon, new UserActive("u" + u));
            }

            state.Days.Add(new DayCounts
            {
                Day = d.Day.DayNumber,
                Logins = d.Logins,
                Events = d.Events,
                TicketsOpened = d.TicketsOpened,
                UrgentOrHighTicketsOpened = d.UrgentOrHighTicketsOpened,
                SatisfactionGood = d.SatisfactionGood,
                SatisfactionBad = d.SatisfactionBad,
                PaymentsFailed = d.PaymentsFailed,
                Meetings = d.Meetings,
                EmailReplies = d.EmailReplies,
            });
        }

        return state;
    }

    // The app's table layer on this Azurite, with a long network timeout: in-memory Azurite slows down as a table passes
    // a few hundred thousand rows, and a batch can then take longer than the app's 5 s.
    private static AppTables AppTablesFor(string connection)
    {
        var options = StorageModule.Configure(new Azure.Data.Tables.TableClientOptions(), new Uri("http://127.0.0.1"));
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(120);
        var settings = new TableStorageOptions { ConnectionString = connection };
        TableConnection.TryCreate(settings, out var parsed, out _);
        var service = new Azure.Data.Tables.TableServiceClient(parsed!.Endpoint, new Azure.Data.Tables.TableSharedKeyCredential(parsed.AccountName!, parsed.AccountKey!), options);
        string[] tables = [SignalsTable, .. FloorTables, HealthTables.Scores, HealthTables.History, HealthTables.Transitions, HealthTables.Runs];
        return new AppTables(service, [.. tables.Select(t => new DeclaredTable(t))], NullLogger<AppTables>.Instance);
    }

    // Storage only: the same pages of signal rows, and 3 result rows per account of about the score row's width, in the
    // recompute's partitions: a page's transitions under the shard, then its history and scores under each bucket group.
    private static async Task FloorShardAsync(AppTables tables, int shard, int shards, CancellationToken ct)
    {
        var (first, end) = AccountShard.BucketRange(shard, shards);
        var filter = TableFilter.PartitionRange(AccountShard.BucketKey(first), AccountShard.BucketKey(end));
        string? continuation = null;
        do
        {
            var page = await tables[SignalsTable].QueryPageAsync<TableEntity>(filter, continuation, 100, cancellationToken: ct);
            var accounts = page.Entities.Select(e => e.RowKey).ToList();
            await SubmitInBatchesAsync(tables[FloorTables[0]], accounts.Select(a => FloorRow("floor|" + shard.ToString("D4", CultureInfo.InvariantCulture), a)), ct);
            await SubmitInBatchesAsync(tables[FloorTables[1]], accounts.Select(a => FloorRow(HealthTables.HistoryPartition(a, new DateOnly(2026, 6, 30)), HealthTables.HistoryRow(a, new DateOnly(2026, 6, 30)))), ct);
            await SubmitInBatchesAsync(tables[FloorTables[2]], accounts.Select(a => FloorRow(HealthTables.PartitionOf(a), HealthTables.ScoreRow(a))), ct);
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    private static TableEntity FloorRow(string partition, string row)
    {
        var entity = new TableEntity(partition, row);
        for (var c = 0; c < 20; c++)
        {
            entity["C" + c.ToString(CultureInfo.InvariantCulture)] = c;
        }

        return entity;
    }

    private static async Task SubmitInBatchesAsync(AppTable table, IEnumerable<TableEntity> rows, CancellationToken ct)
    {
        var batch = new List<TableTransactionAction>(100);
        foreach (var row in rows)
        {
            if (batch.Count == 100 || (batch.Count > 0 && batch[0].Entity.PartitionKey != row.PartitionKey))
            {
                await SubmitAsync(table, batch, ct);
            }

            batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, row));
        }

        await SubmitAsync(table, batch, ct);
    }

    private static async Task SubmitAsync(AppTable table, List<TableTransactionAction> batch, CancellationToken ct)
    {
        if (batch.Count > 0 && !(await table.SubmitAsync([.. batch], ct)).Succeeded)
        {
            throw new InvalidOperationException("floor batch failed");
        }

        batch.Clear();
    }

    /// <summary>The process's working set sampled every 50 ms; each phase reads and resets its own peak.</summary>
    private sealed class PeakWorkingSet : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private long _peak;
        private Task? _loop;

        public static PeakWorkingSet Start()
        {
            var sampler = new PeakWorkingSet();
            sampler._loop = sampler.SampleAsync();
            return sampler;
        }

        public long TakePeakMegabytes()
        {
            Sample();
            return Interlocked.Exchange(ref _peak, 0) / (1024 * 1024);
        }

        private async Task SampleAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private void Sample()
        {
            using var self = Process.GetCurrentProcess();
            var now = self.WorkingSet64;
            long seen;
            do
            {
                seen = Interlocked.Read(ref _peak);
            }
            while (now > seen && Interlocked.CompareExchange(ref _peak, now, seen) != seen);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_loop is not null)
            {
                await _loop;
            }

            _stop.Dispose();
        }
    }

    private sealed class NullPublisher : IMessagePublisher
    {
        public Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task SendBatchAsync(string queueName, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
