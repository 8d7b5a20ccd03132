using System.Globalization;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Health;

public sealed record AccountHealthView(
    string AccountId,
    string? AccountName,
    int Score,
    HealthBand Band,
    HealthBand ComputedBand,
    HealthOverrideView? Override,
    AccountSegment Segment,
    bool Onboarding,
    IReadOnlyDictionary<HealthDimension, int> Dimensions,
    IReadOnlyList<HealthDriver> Drivers,
    HealthTrend Trend,
    int TrendDelta,
    IReadOnlySet<string> Flags,
    int DaysInBand,
    DateTimeOffset ScoredAt,
    DateTimeOffset? RenewalDate,
    IReadOnlyList<HealthHistoryDay> History);

public sealed record HealthOverrideView(HealthBand Band, string Reason, DateTimeOffset ExpiresAt, string? SetBy, DateTimeOffset SetAt);

public sealed record HealthHistoryDay(DateOnly Day, int Score, HealthBand Band, IReadOnlyDictionary<HealthDimension, int> Dimensions);

public sealed record PortfolioView(IReadOnlyDictionary<AccountSegment, IReadOnlyDictionary<HealthBand, int>> Bands, IReadOnlyList<AtRiskAccount> AtRisk);

public sealed record AtRiskAccount(string AccountId, string? AccountName, AccountSegment Segment, int Score, HealthBand Band, int? DaysToRenewal);

public sealed record HealthOverrideRequest(HealthBand? Band, string? Reason, DateTimeOffset? ExpiresAt, string? SetBy);

public enum OverrideOutcome
{
    Saved,
    Invalid,
}

/// <summary>Reads for the health API and the CSM override writes.</summary>
public sealed class HealthQueries(ITableStore tables, IOptions<HealthOptions> options, TimeProvider time)
{
    public const int HistoryDays = 90;
    public const int AtRiskLimit = 100;

    private int ShardCount => options.Value.ShardCount;

    public async Task<AccountHealthView?> GetAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var partition = HealthRows.PartitionOf(accountId, ShardCount);
        var row = await tables.GetAsync(HealthRows.Table, partition, HealthRows.ScoreRow(accountId), cancellationToken: cancellationToken);
        if (row is null || HealthRows.ToScore(row) is not { } score)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var history = new List<HealthHistoryDay>(HistoryDays);
        var filter = HealthRows.RangeFilter(partition, $"hist|{accountId}|", Key(today.AddDays(-HistoryDays + 1)), Key(today));
        await foreach (var h in tables.QueryAsync(HealthRows.Table, filter, null, 1000, cancellationToken))
        {
            var day = DateOnly.ParseExact(h.RowKey[^8..], "yyyyMMdd", CultureInfo.InvariantCulture);
            history.Add(new HealthHistoryDay(day, h.GetInt32("Score") ?? 0, Enum.TryParse<HealthBand>(h.GetString("Band"), out var b) ? b : HealthBand.Red, DimensionsOf(h)));
        }

        // The override in force now (it may have been set or have expired since the last recompute).
        var bandOverride = HealthRows.ToOverride(row);
        var active = bandOverride is not null && bandOverride.IsActiveAt(now) ? bandOverride : null;
        var drivers = new List<HealthDriver>(score.Drivers.Count);
        foreach (var d in score.Drivers)
        {
            drivers.Add(d.ToDriver());
        }

        return new AccountHealthView(
            accountId,
            row.GetString("AccountName"),
            score.Score,
            active?.Band ?? score.ComputedBand,
            score.ComputedBand,
            active is null ? null : new HealthOverrideView(active.Band, active.Reason, active.ExpiresAt, active.SetBy, active.SetAt),
            score.Segment,
            score.Onboarding,
            DimensionsOf(row),
            drivers,
            score.Trend,
            score.TrendDelta,
            score.Flags.ToIds(),
            score.DaysInBand,
            score.ScoredAt,
            row.GetDateTimeOffset("RenewalDate"),
            history);
    }

    /// <summary>Band counts per segment and the at-risk accounts (Red, then Yellow) ranked by score, then days to renewal. Streams the score rows; keeps only the top list.</summary>
    public async Task<PortfolioView> GetPortfolioAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<AccountSegment, Dictionary<HealthBand, int>>();
        foreach (var s in Enum.GetValues<AccountSegment>())
        {
            counts[s] = Enum.GetValues<HealthBand>().ToDictionary(b => b, _ => 0);
        }

        var now = time.GetUtcNow();
        // Max-heap on rank (worst kept = highest score / farthest renewal at the top, evicted first).
        var top = new PriorityQueue<AtRiskAccount, (int Score, int Renewal)>(Comparer<(int Score, int Renewal)>.Create((a, b) => b.CompareTo(a)));
        for (var shard = 0; shard < ShardCount; shard++)
        {
            var filter = HealthRows.PrefixFilter(HealthRows.Partition(shard), "score|");
            await foreach (var row in tables.QueryAsync(HealthRows.Table, filter, null, 1000, cancellationToken))
            {
                if (HealthRows.ToScore(row) is not { } score)
                {
                    continue;
                }

                var bandOverride = HealthRows.ToOverride(row);
                var band = bandOverride is not null && bandOverride.IsActiveAt(now) ? bandOverride.Band : score.ComputedBand;
                counts[score.Segment][band]++;
                if (band == HealthBand.Green)
                {
                    continue;
                }

                int? daysToRenewal = row.GetDateTimeOffset("RenewalDate") is { } renewal ? (int)Math.Floor((renewal - now).TotalDays) : null;
                var rank = (score.Score, daysToRenewal ?? int.MaxValue);
                var item = new AtRiskAccount(score.AccountId, row.GetString("AccountName"), score.Segment, score.Score, band, daysToRenewal);
                if (top.Count < AtRiskLimit)
                {
                    top.Enqueue(item, rank);
                }
                else if (top.TryPeek(out _, out var worst) && rank.CompareTo(worst) < 0)
                {
                    top.EnqueueDequeue(item, rank);
                }
            }
        }

        var atRisk = new List<(AtRiskAccount Item, (int, int) Rank)>(top.Count);
        while (top.TryDequeue(out var item, out var rank))
        {
            atRisk.Add((item, rank));
        }

        atRisk.Reverse();
        var bands = new Dictionary<AccountSegment, IReadOnlyDictionary<HealthBand, int>>();
        foreach (var (segment, byBand) in counts)
        {
            bands[segment] = byBand;
        }

        return new PortfolioView(bands, atRisk.ConvertAll(x => x.Item));
    }

    public async Task<(OverrideOutcome Outcome, string? Error)> SetOverrideAsync(string accountId, HealthOverrideRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        if (request.Band is not { } band || !Enum.IsDefined(band))
        {
            return (OverrideOutcome.Invalid, "band is required: Red, Yellow or Green.");
        }

        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            return (OverrideOutcome.Invalid, "reason is required.");
        }

        if (request.ExpiresAt is not { } expires || expires <= now)
        {
            return (OverrideOutcome.Invalid, "expiresAt is required and must be in the future.");
        }

        var entity = new TableEntity(HealthRows.PartitionOf(accountId, ShardCount), HealthRows.ScoreRow(accountId));
        HealthRows.WriteOverride(entity, new HealthBandOverride(band, request.Reason.Trim(), expires, request.SetBy, now));
        await tables.CreateTableIfNotExistsAsync(HealthRows.Table, cancellationToken);

        // Merge: the recompute's score columns and the override columns never overwrite each other.
        await tables.UpsertAsync(HealthRows.Table, entity, TableUpdateMode.Merge, cancellationToken);
        return (OverrideOutcome.Saved, null);
    }

    /// <summary>Removes the override columns (Replace guarded by ETag, so a concurrent recompute write is not lost). False when there was none.</summary>
    public async Task<bool> ClearOverrideAsync(string accountId, CancellationToken cancellationToken)
    {
        var partition = HealthRows.PartitionOf(accountId, ShardCount);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await tables.GetAsync(HealthRows.Table, partition, HealthRows.ScoreRow(accountId), cancellationToken: cancellationToken);
            if (row is null || row.GetString("OverrideBand") is null)
            {
                return false;
            }

            var replacement = new TableEntity(row.PartitionKey, row.RowKey);
            foreach (var (name, value) in row.Properties)
            {
                if (!name.StartsWith("Override", StringComparison.Ordinal))
                {
                    replacement[name] = value;
                }
            }

            var result = await tables.UpdateAsync(HealthRows.Table, replacement, row.ETag ?? "*", TableUpdateMode.Replace, cancellationToken);
            if (result.Succeeded)
            {
                return true;
            }
        }

        throw new TableStorageUnavailableException("The health row kept changing while clearing its override.");
    }

    private static string Key(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static Dictionary<HealthDimension, int> DimensionsOf(Storage.Rest.TableEntity row)
    {
        var dims = new Dictionary<HealthDimension, int>(6);
        foreach (var d in Enum.GetValues<HealthDimension>())
        {
            dims[d] = row.GetInt32(d.ToString()) ?? 0;
        }

        return dims;
    }
}
