using System.Globalization;
using System.Text;
using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// Where health lives, and the one place its rows are mapped to and from the domain.
/// <list type="bullet">
/// <item><b>HealthScores</b>: an account's latest score and any CSM override. PK = the account's bucket group
/// (<see cref="BucketsPerGroup"/> of <see cref="AccountShard"/>'s 1,024 fixed buckets, so 64 partitions), RK =
/// "{bucket}|{account}". Keys never depend on <c>Health__ShardCount</c>, so the shard count can change between runs
/// and every previous score is still found; a shard (a contiguous bucket range) reads its previous scores with one
/// forward range scan and writes a page of accounts in entity-group batches of up to 100 per group.</item>
/// <item><b>HealthHistory</b>: one row per account and day. PK = "{group}|{yyyyMM}" (the score's group and the
/// day's month, so a partition holds at most a month of its accounts' days however long the app runs: the Table
/// emulator scans a whole partition for every point write), RK = "{account}|{yyyyMMdd}".</item>
/// <item><b>HealthTransitions</b>: alert-worthy changes not yet taken by alerting. PK = "{runId}|{shard}", RK =
/// account. Only pending rows stay, so the feed reads one small table.</item>
/// <item><b>HealthRuns</b>: partition "run" (a row per run, and "current"), partition "run|{runId}" (a
/// checkpoint row per shard).</item>
/// </list>
/// </summary>
public static class HealthTables
{
    public const string Scores = "HealthScores";
    public const string History = "HealthHistory";
    public const string Transitions = "HealthTransitions";
    public const string Runs = "HealthRuns";

    /// <summary>Buckets per partition of the score and history tables: big partitions for batches, 64 of them to spread load.</summary>
    public const int BucketsPerGroup = 16;

    public const string RunPartition = "run";
    public const string CurrentRunRow = "current";
    public const string LoginBenchmarkRow = "login-benchmark";

    public static string GroupKey(int bucket) => "g" + (bucket / BucketsPerGroup).ToString("D2", CultureInfo.InvariantCulture);

    public static string PartitionOf(string accountId) => GroupKey(AccountShard.BucketOf(accountId));

    /// <summary>"{bucket}|{account}": score rows sort in the order a shard's signal pages arrive (bucket, then account).</summary>
    public static string ScoreRow(string accountId) => AccountShard.BucketKey(AccountShard.BucketOf(accountId)) + "|" + accountId;

    public static string HistoryRow(string accountId, DateOnly day) => accountId + "|" + DayKey(day);

    /// <summary>"{group}|{yyyyMM}": the account's group and the month of the day.</summary>
    public static string HistoryPartition(string accountId, DateOnly day) =>
        PartitionOf(accountId) + "|" + day.ToString("yyyyMM", CultureInfo.InvariantCulture);

    public static string TransitionPartition(string runId, int shard) => runId + "|" + shard.ToString("D4", CultureInfo.InvariantCulture);

    public static string ShardRunPartition(string runId) => "run|" + runId;

    public static string ShardRow(int shard) => "shard|" + shard.ToString("D4", CultureInfo.InvariantCulture);

    public static string DayKey(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Score rows of buckets <paramref name="firstBucket"/> to <paramref name="lastBucket"/> (inclusive), from <paramref name="fromAccountId"/>'s row on when given.</summary>
    public static TableFilter ScoresOfBuckets(int firstBucket, int lastBucket, string? fromAccountId = null)
    {
        // Row keys start with the bucket, and groups are bucket ranges, so one row-key range holds across the partitions.
        var fromBucket = fromAccountId is null ? firstBucket : AccountShard.BucketOf(fromAccountId);
        var fromRowKey = fromAccountId is null ? AccountShard.BucketKey(firstBucket) + "|" : ScoreRow(fromAccountId);
        return TableFilter.Of($"PartitionKey ge {GroupKey(fromBucket)} and PartitionKey le {GroupKey(lastBucket)} and RowKey ge {fromRowKey} and RowKey lt {AccountShard.BucketKey(lastBucket) + "}"}");
    }

    /// <summary>An account's history rows from <paramref name="from"/> to <paramref name="to"/> (inclusive).</summary>
    public static TableFilter HistoryOf(string accountId, DateOnly from, DateOnly to) =>
        TableFilter.Of($"PartitionKey ge {HistoryPartition(accountId, from)} and PartitionKey le {HistoryPartition(accountId, to)} and RowKey ge {HistoryRow(accountId, from)} and RowKey le {HistoryRow(accountId, to)}");
}

/// <summary>
/// What a score row and a day's history row both record: the account, the day, the score, its bands and the six
/// sub-scores, mapped from a <see cref="HealthScore"/> in one place.
/// </summary>
public abstract class HealthScoreColumns : TableRow
{
    public string? AccountId { get; set; }

    /// <summary>The scored day, as <see cref="DateOnly.DayNumber"/>.</summary>
    public int Day { get; set; }

    public int Score { get; set; }

    public HealthBand Band { get; set; }

    public HealthBand ComputedBand { get; set; }

    public bool Onboarding { get; set; }

    public int ProductUsage { get; set; }

    public int Engagement { get; set; }

    public int Outcomes { get; set; }

    public int Support { get; set; }

    public int Relationship { get; set; }

    public int Payment { get; set; }

    /// <summary>Sub-scores indexed by <see cref="HealthDimension"/>.</summary>
    public int[] Dimensions() => [ProductUsage, Engagement, Outcomes, Support, Relationship, Payment];

    protected void Record(HealthScore score)
    {
        ArgumentNullException.ThrowIfNull(score);
        AccountId = score.AccountId;
        Day = score.Day.DayNumber;
        Score = score.Score;
        Band = score.Band;
        ComputedBand = score.ComputedBand;
        Onboarding = score.Onboarding;
        ProductUsage = score.Dimension(HealthDimension.ProductUsage);
        Engagement = score.Dimension(HealthDimension.Engagement);
        Outcomes = score.Dimension(HealthDimension.Outcomes);
        Support = score.Dimension(HealthDimension.Support);
        Relationship = score.Dimension(HealthDimension.Relationship);
        Payment = score.Dimension(HealthDimension.Payment);
    }
}

/// <summary>
/// An account's latest score and the CSM override beside it (HealthScores). The recompute merges the score columns
/// (the override ones are null, which the Table service leaves as stored); <see cref="HealthOverrideEntity"/> merges
/// the override columns. A row holding only an override has no <see cref="HealthScoreColumns.AccountId"/>.
/// </summary>
public sealed class HealthScoreEntity : HealthScoreColumns
{
    public string? AccountName { get; set; }

    public string? CsmEmail { get; set; }

    public DateTimeOffset? RenewalDate { get; set; }

    public DateTimeOffset ScoredAt { get; set; }

    public AccountSegment Segment { get; set; }

    public long Flags { get; set; }

    /// <summary>"{dimension}:{points}:{from}:{to}" per driver, ';'-separated.</summary>
    public string? Drivers { get; set; }

    public HealthTrend Trend { get; set; }

    public int TrendDelta { get; set; }

    public int BandSince { get; set; }

    public int HistoryLastDay { get; set; }

    public byte[]? History { get; set; }

    public AccountLifecycleState Lifecycle { get; set; }

    /// <summary>The first day of the account's scores, as <see cref="DateOnly.DayNumber"/> (0 = scored before it was kept).</summary>
    public int FirstScored { get; set; }

    public HealthBand? OverrideBand { get; set; }

    public string? OverrideReason { get; set; }

    public DateTimeOffset? OverrideExpiresAt { get; set; }

    public string? OverrideSetBy { get; set; }

    public DateTimeOffset? OverrideSetAt { get; set; }

    /// <summary>The score columns of a new score (no override columns: a merge leaves a CSM's override as it is).</summary>
    public static HealthScoreEntity From(HealthScore score, AccountSignals signals)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(signals);
        var row = new HealthScoreEntity
        {
            PartitionKey = HealthTables.PartitionOf(score.AccountId),
            RowKey = HealthTables.ScoreRow(score.AccountId),
            AccountName = signals.Name,
            CsmEmail = signals.CsmEmail,
            RenewalDate = signals.RenewalDate,
            ScoredAt = score.ScoredAt,
            Segment = score.Segment,
            Flags = score.Flags.Bits,
            Drivers = FormatDrivers(score.Drivers),
            Trend = score.Trend,
            TrendDelta = score.TrendDelta,
            BandSince = score.BandSince.DayNumber,
            Lifecycle = score.Lifecycle,
            FirstScored = score.FirstScoredOn.DayNumber,
            HistoryLastDay = score.History.LastDay.DayNumber,
            History = score.History.ToBytes(),
        };
        row.Record(score);
        return row;
    }

    /// <summary>The stored score, or null when the row holds none yet (only an override).</summary>
    public HealthScore? ToScore() => AccountId is null ? null : new HealthScore
    {
        AccountId = AccountId,
        Day = DateOnly.FromDayNumber(Day),
        ScoredAt = ScoredAt,
        Segment = Segment,
        Score = Score,
        ComputedBand = ComputedBand,
        Band = Band,
        Override = ToOverride(),
        Onboarding = Onboarding,
        Lifecycle = Lifecycle,
        FirstScoredOn = DateOnly.FromDayNumber(FirstScored),
        Dimensions = Dimensions(),
        Flags = new HealthFlagMask((uint)Flags),
        Drivers = ParseDrivers(Drivers),
        Trend = Trend,
        TrendDelta = TrendDelta,
        BandSince = DateOnly.FromDayNumber(BandSince),
        History = History is { } h ? HealthScoreHistory.FromBytes(DateOnly.FromDayNumber(HistoryLastDay), h) : HealthScoreHistory.Empty,
    };

    public HealthBandOverride? ToOverride() =>
        OverrideBand is { } band && OverrideExpiresAt is { } expires
            ? new HealthBandOverride(band, OverrideReason ?? string.Empty, expires, OverrideSetBy, OverrideSetAt ?? expires)
            : null;

    private static string FormatDrivers(IReadOnlyList<HealthDriverDelta> drivers)
    {
        var sb = new StringBuilder();
        foreach (var d in drivers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(sb.Length > 0 ? ";" : string.Empty)}{(int)d.Dimension}:{d.Points:R}:{d.From}:{d.To}");
        }

        return sb.ToString();
    }

    internal static HealthDriverDelta[] ParseDrivers(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var parts = text.Split(';');
        var drivers = new HealthDriverDelta[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var f = parts[i].Split(':');
            drivers[i] = new HealthDriverDelta(
                (HealthDimension)int.Parse(f[0], CultureInfo.InvariantCulture),
                double.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture),
                int.Parse(f[3], CultureInfo.InvariantCulture));
        }

        return drivers;
    }
}

/// <summary>The override columns of a score row, merged on their own so a recompute's columns are never overwritten.</summary>
public sealed class HealthOverrideEntity : TableRow
{
    public HealthBand OverrideBand { get; set; }

    public string OverrideReason { get; set; } = string.Empty;

    public DateTimeOffset OverrideExpiresAt { get; set; }

    public string? OverrideSetBy { get; set; }

    public DateTimeOffset OverrideSetAt { get; set; }

    public static HealthOverrideEntity For(string accountId, HealthBandOverride bandOverride)
    {
        ArgumentNullException.ThrowIfNull(bandOverride);
        return new HealthOverrideEntity
        {
            PartitionKey = HealthTables.PartitionOf(accountId),
            RowKey = HealthTables.ScoreRow(accountId),
            OverrideBand = bandOverride.Band,
            OverrideReason = bandOverride.Reason,
            OverrideExpiresAt = bandOverride.ExpiresAt,
            OverrideSetBy = bandOverride.SetBy,
            OverrideSetAt = bandOverride.SetAt,
        };
    }
}

/// <summary>One account's score on one day (HealthHistory).</summary>
public sealed class HealthHistoryEntity : HealthScoreColumns
{
    public static HealthHistoryEntity From(HealthScore score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var row = new HealthHistoryEntity
        {
            PartitionKey = HealthTables.HistoryPartition(score.AccountId, score.Day),
            RowKey = HealthTables.HistoryRow(score.AccountId, score.Day),
        };
        row.Record(score);
        return row;
    }

    public DateOnly ToDay() => DateOnly.FromDayNumber(Day);

    public Dictionary<HealthDimension, int> DimensionsByName()
    {
        var dims = Dimensions();
        return Enum.GetValues<HealthDimension>().ToDictionary(d => d, d => dims[(int)d]);
    }
}

/// <summary>A transition waiting for alerting (HealthTransitions); the payload is the whole <see cref="HealthTransition"/>.</summary>
public sealed class HealthTransitionEntity : TableRow
{
    public string Payload { get; set; } = string.Empty;

    public static HealthTransitionEntity From(HealthTransition transition, int shard)
    {
        ArgumentNullException.ThrowIfNull(transition);
        return new HealthTransitionEntity
        {
            PartitionKey = HealthTables.TransitionPartition(transition.RunId, shard),
            RowKey = transition.AccountId,
            Payload = JsonSerializer.Serialize(transition, HealthJson.Options),
        };
    }

    public HealthTransition? ToTransition() => JsonSerializer.Deserialize<HealthTransition>(Payload, HealthJson.Options);
}

public enum HealthRunStatus
{
    Running,
    Completed,
}

/// <summary>One recompute run (HealthRuns, partition "run", row = run id), with its summary once complete.</summary>
public sealed class HealthRunEntity : TableRow
{
    public HealthRunEntity()
    {
        PartitionKey = HealthTables.RunPartition;
    }

    public HealthRunStatus Status { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset AsOf { get; set; }

    public int ShardCount { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public long AccountsScored { get; set; }

    public long BandChanges { get; set; }

    public long Failures { get; set; }

    public long DurationMs { get; set; }
}

/// <summary>Which run is in progress or last completed (HealthRuns, partition "run", row "current"): guarded by ETag so two ticks cannot both start one.</summary>
public sealed class HealthRunPointerEntity : TableRow
{
    public HealthRunPointerEntity()
    {
        PartitionKey = HealthTables.RunPartition;
        RowKey = HealthTables.CurrentRunRow;
    }

    public string RunId { get; set; } = string.Empty;

    public HealthRunStatus Status { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>A shard's progress in a run (HealthRuns, partition "run|{runId}", row "shard|{n}"): the signal source's continuation after the last durable page.</summary>
public sealed class HealthShardCheckpointEntity : TableRow
{
    public string? Continuation { get; set; }

    public bool Done { get; set; }

    public int Accounts { get; set; }

    public int BandChanges { get; set; }

    public int Failures { get; set; }

    /// <summary>The shard's established accounts' login rates so far (<see cref="LoginRateHistogram.Serialize"/>), for the run's peer benchmark.</summary>
    public string? LoginRates { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>
/// The login yardstick the last completed run measured across the portfolio (HealthRuns, partition "run", row
/// "login-benchmark"): each segment's median logins per active user per week, null where it had too few peers.
/// </summary>
public sealed class HealthLoginBenchmarkEntity : TableRow
{
    public HealthLoginBenchmarkEntity()
    {
        PartitionKey = HealthTables.RunPartition;
        RowKey = HealthTables.LoginBenchmarkRow;
    }

    public string RunId { get; set; } = string.Empty;

    public double? Smb { get; set; }

    public double? MidMarket { get; set; }

    public double? Enterprise { get; set; }

    public int Peers { get; set; }

    public DateTimeOffset MeasuredAt { get; set; }

    public PeerLoginBenchmark ToBenchmark() => new(RunId, Smb, MidMarket, Enterprise, Peers);

    /// <summary>The measure the recompute and the account page score against: null while the setting is off or before a run measured one.</summary>
    public static async Task<PeerLoginBenchmark?> ReadAsync(AppTable runs, HealthOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.LoginsAgainstPeers)
        {
            return null;
        }

        var row = await runs.GetAsync<HealthLoginBenchmarkEntity>(HealthTables.RunPartition, HealthTables.LoginBenchmarkRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row?.ToBenchmark();
    }

    public static HealthLoginBenchmarkEntity From(PeerLoginBenchmark benchmark, DateTimeOffset measuredAt) => new()
    {
        RunId = benchmark.RunId,
        Smb = benchmark.Smb,
        MidMarket = benchmark.MidMarket,
        Enterprise = benchmark.Enterprise,
        Peers = benchmark.Peers,
        MeasuredAt = measuredAt,
    };
}
