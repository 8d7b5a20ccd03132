using System.Diagnostics;
using System.Globalization;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TableClientOptions = Azure.Data.Tables.TableClientOptions;
using TableServiceClient = Azure.Data.Tables.TableServiceClient;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Benchmarks.Health;

/// <summary>
/// `dotnet run -c Release -- health [accounts] [shards] [second-floor-pass]`: starts Azurite (in memory, free port), seeds accounts with
/// 30 days of signals each as ingestion leaves them: one AccountDigest row per account in its bucket (a subscription, a
/// profile, five people, milestones, features and the 30 day rows, packed by the app's own AccountDigest), then
/// measures in the same process (1) the storage floor: read exactly those rows with the shard's range query page by
/// page and write as many result rows as the recompute does (score, history, transition per account) in 100-entity
/// batches laid out as the recompute lays them out (transitions under the run's shard, history and scores under the
/// account's bucket group), through the app's AppTables, nothing else; and (2) the full recompute through the app's
/// AccountSignalReader and AppTables (every shard, shards in parallel as the floor). Prints both, the ratio and peak memory;
/// then, unless the third argument is false, the floor once more (upserting rows that exist, which in-memory Azurite
/// does much more slowly than inserts).
/// </summary>
internal static class HealthRecomputeLoad
{
    private const string SignalsTable = AccountDigestStore.Table;
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
        var clientOptions = new RestTableClientOptions();
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(120);
        var store = new RestTableStore(new TableStorageOptions { ConnectionString = connection }, TimeProvider.System, NullLogger<RestTableStore>.Instance, clientOptions);
        var sdkOptions = StorageModule.Configure(new TableClientOptions(), new Uri($"http://127.0.0.1:{azurite.Port}/devstoreaccount1"));
        sdkOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(120);
        var tables = new AppTables(new TableServiceClient(connection, sdkOptions), [.. FloorTables.Concat([HealthTables.Scores, HealthTables.History, HealthTables.Transitions, HealthTables.Runs]).Select(t => new DeclaredTable(t))], NullLogger<AppTables>.Instance);
        foreach (var table in tables.Declared)
        {
            await tables.EnsureAsync(table, default);
        }

        await using var memory = PeakWorkingSet.Start();
        var seed = Stopwatch.StartNew();
        await SeedAsync(store, accounts, today);
        Console.WriteLine($"seeded {accounts:N0} accounts x 30 days in {seed.Elapsed.TotalSeconds:F1} s (peak working set while seeding {memory.TakePeakMegabytes()} MB)");
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true); // hand seeding's memory back to the OS
        memory.TakePeakMegabytes();

        var floor = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) => await FloorShardAsync(store, tables, shard, shards, ct));
        floor.Stop();
        Console.WriteLine($"storage floor (first pass): {floor.Elapsed.TotalSeconds:F1} s (peak working set {memory.TakePeakMegabytes()} MB)");

        var options = new HealthOptions { ShardCount = shards, PageSize = 100 };
        var recompute = new HealthRecompute(tables, new AccountSignalReader(store), new NullPublisher(), new HealthScoreCalculator(options), Options.Create(options), TimeProvider.System, NullLogger<HealthRecompute>.Instance);
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
        await Parallel.ForEachAsync(Enumerable.Range(0, shards), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (shard, ct) => await FloorShardAsync(store, tables, shard, shards, ct));
        floorAgain.Stop();
        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"storage floor (second pass, upserting rows that exist): {floorAgain.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"peak working set: {self.PeakWorkingSet64 / (1024 * 1024)} MB; GC heap now {GC.GetTotalMemory(false) / (1024 * 1024)} MB; max GC heap seen {GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)} MB");
        return 0;
    }

    private static async Task SeedAsync(RestTableStore store, int accounts, DateOnly today)
    {
        await store.CreateTableIfNotExistsAsync(SignalsTable);
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
            var entity = Digest(signals, today, random).ToEntity();
            packedBytes += entity.Properties.Values.OfType<byte[]>().Sum(b => (long)b.Length);
            byBucket[bucket].Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
            if (byBucket[bucket].Count == 100 || (i + 1) % 20_000 == 0)
            {
                await FlushAsync(store, byBucket);
            }
        }

        await FlushAsync(store, byBucket);
        Console.WriteLine($"digests: {packedBytes / Math.Max(1, accounts):N0} packed bytes per account on average");
    }

    private static async Task FlushAsync(RestTableStore store, List<TableTransactionAction>[] byBucket)
    {
        var pending = new List<Task>();
        foreach (var batch in byBucket)
        {
            if (batch.Count > 0)
            {
                pending.Add(Submit(store, SignalsTable, batch.ToArray()));
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

    // The rows the signal writer would have left for these signals, folded into a digest the way it folds them.
    private static AccountDigest Digest(AccountSignals s, DateOnly today, Random random)
    {
        var now = new DateTimeOffset(today.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var digest = new AccountDigest(s.AccountId) { ObservedSince = s.CustomerSince };
        TableEntity Row(string key) => new(s.AccountId, key) { [AccountDigest.RevProperty] = 1L, ["Version"] = now.ToUnixTimeSeconds() };
        var sub = Row("sub|sub_" + s.AccountId);
        sub["SubscriptionId"] = "sub_" + s.AccountId;
        sub["MrrCents"] = s.MrrCents;
        sub["Plan"] = "growth";
        sub["Seats"] = s.LicensedSeats;
        sub["Status"] = s.SubscriptionStatus;
        sub["CancelAtPeriodEnd"] = false;
        sub["CurrentPeriodEnd"] = now.AddDays(random.Next(1, 365));
        sub["StartedAt"] = s.CustomerSince;
        sub["BillingPeriodDays"] = 365;
        digest.Merge(sub);
        var profile = Row("profile|stripe");
        profile["Name"] = "Account " + s.AccountId;
        profile["CsmEmail"] = "csm" + random.Next(20) + "@vendor.example";
        digest.Merge(profile);
        for (var u = 0; u < 5; u++)
        {
            var user = Row("user|u" + u);
            user["UserId"] = "u" + u;
            user["Email"] = $"person{u}@{s.AccountId}.example";
            user["FirstName"] = "Person " + u;
            user["Champion"] = u == 0 && s.Relationship.HasChampion;
            user["ExecutiveSponsor"] = u == 1 && s.Relationship.HasExecutiveSponsor;
            digest.Merge(user);
            var seen = Row("seen|u" + u);
            seen["UserId"] = "u" + u;
            seen["LastSeen"] = now.AddDays(-random.Next(0, 45));
            digest.Merge(seen);
        }

        foreach (var (name, at) in s.Milestones)
        {
            var milestone = Row("milestone|" + name);
            milestone["Name"] = name;
            milestone["ReachedAt"] = at;
            digest.Merge(milestone);
        }

        foreach (var feature in s.KeyFeaturesUsed30d)
        {
            var row = Row("feature|" + feature);
            row["Name"] = feature;
            row["LastUsed"] = now.AddDays(-random.Next(0, 30));
            digest.Merge(row);
        }

        foreach (var d in s.Days)
        {
            var day = Row(AccountSignalWriter.DayKey(d.Day));
            day["ActiveUsers"] = (long)d.ActiveUsers;
            day["Logins"] = (long)d.Logins;
            day["Events"] = (long)d.Events;
            day["TicketsOpened"] = (long)d.TicketsOpened;
            day["UrgentOrHighTicketsOpened"] = (long)d.UrgentOrHighTicketsOpened;
            day["SatisfactionGood"] = (long)d.SatisfactionGood;
            day["SatisfactionBad"] = (long)d.SatisfactionBad;
            day["PaymentsFailed"] = (long)d.PaymentsFailed;
            day["Meetings"] = (long)d.Meetings;
            day["EmailReplies"] = (long)d.EmailReplies;
            digest.Merge(day);
        }

        return digest;
    }

    // Storage only: the same pages of signal rows, and 3 result rows per account of about the score row's width, in the
    // recompute's partitions: a page's transitions under the shard, then its history and scores under each bucket group.
    private static async Task FloorShardAsync(RestTableStore store, AppTables tables, int shard, int shards, CancellationToken ct)
    {
        TableContinuation? continuation = null;
        var (first, end) = AccountShard.BucketRange(shard, shards);
        do
        {
            var page = await store.QueryPageAsync(SignalsTable, $"PartitionKey ge '{AccountShard.BucketKey(first)}' and PartitionKey lt '{AccountShard.BucketKey(end)}'", null, 100, continuation, ct);
            var accounts = page.Entities.Select(e => e.RowKey).ToList();
            await SubmitInBatchesAsync(tables[FloorTables[0]], accounts.Select(a => FloorRow("floor|" + shard.ToString("D4", CultureInfo.InvariantCulture), a)), ct);
            await SubmitInBatchesAsync(tables[FloorTables[1]], accounts.Select(a => FloorRow(HealthTables.PartitionOf(a), HealthTables.HistoryRow(a, new DateOnly(2026, 6, 30)))), ct);
            await SubmitInBatchesAsync(tables[FloorTables[2]], accounts.Select(a => FloorRow(HealthTables.PartitionOf(a), HealthTables.ScoreRow(a))), ct);
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    private static Azure.Data.Tables.TableEntity FloorRow(string partition, string row)
    {
        var entity = new Azure.Data.Tables.TableEntity(partition, row);
        for (var c = 0; c < 20; c++)
        {
            entity["C" + c.ToString(CultureInfo.InvariantCulture)] = c;
        }

        return entity;
    }

    private static async Task SubmitInBatchesAsync(AppTable table, IEnumerable<Azure.Data.Tables.TableEntity> rows, CancellationToken ct)
    {
        var batch = new List<Azure.Data.Tables.TableTransactionAction>(100);
        foreach (var row in rows)
        {
            if (batch.Count == 100 || (batch.Count > 0 && batch[0].Entity.PartitionKey != row.PartitionKey))
            {
                await SubmitAsync(table, batch, ct);
            }

            batch.Add(new Azure.Data.Tables.TableTransactionAction(Azure.Data.Tables.TableTransactionActionType.UpsertReplace, row));
        }

        await SubmitAsync(table, batch, ct);
    }

    private static async Task SubmitAsync(AppTable table, List<Azure.Data.Tables.TableTransactionAction> batch, CancellationToken ct)
    {
        if (batch.Count > 0 && !(await table.SubmitAsync([.. batch], ct)).Succeeded)
        {
            throw new InvalidOperationException("floor batch failed");
        }

        batch.Clear();
    }

    private static async Task Submit(RestTableStore store, string table, TableTransactionAction[] actions)
    {
        var result = await store.SubmitTransactionAsync(table, actions);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"batch failed: {result.ErrorCode}");
        }
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
