using CustomerSuccess.Functions.Storage;

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
    AccountLifecycleState Lifecycle,
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
public sealed class HealthQueries(AppTables tables, TimeProvider time)
{
    public const int HistoryDays = 90;
    public const int AtRiskLimit = 100;

    private static readonly string[] PortfolioColumns =
    [
        nameof(HealthScoreEntity.AccountId), nameof(HealthScoreEntity.AccountName), nameof(HealthScoreEntity.Segment), nameof(HealthScoreEntity.Score),
        nameof(HealthScoreEntity.ComputedBand), nameof(HealthScoreEntity.RenewalDate), nameof(HealthScoreEntity.OverrideBand), nameof(HealthScoreEntity.OverrideExpiresAt),
        nameof(HealthScoreEntity.Lifecycle),
    ];

    private readonly AppTable _scores = tables[HealthTables.Scores];
    private readonly AppTable _history = tables[HealthTables.History];

    public async Task<AccountHealthView?> GetAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var row = await _scores.GetAsync<HealthScoreEntity>(HealthTables.PartitionOf(accountId), HealthTables.ScoreRow(accountId), cancellationToken: cancellationToken);
        if (row?.ToScore() is not { } score)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var history = new List<HealthHistoryDay>(HistoryDays);
        await foreach (var h in _history.QueryAsync<HealthHistoryEntity>(HealthTables.HistoryOf(accountId, today.AddDays(-HistoryDays + 1), today), cancellationToken: cancellationToken))
        {
            history.Add(new HealthHistoryDay(h.ToDay(), h.Score, h.Band, h.DimensionsByName()));
        }

        // The override in force now (it may have been set or have expired since the last recompute).
        var bandOverride = row.ToOverride();
        var active = bandOverride is not null && bandOverride.IsActiveAt(now) ? bandOverride : null;
        var dims = row.Dimensions();
        return new AccountHealthView(
            accountId,
            row.AccountName,
            score.Score,
            active?.Band ?? score.ComputedBand,
            score.ComputedBand,
            active is null ? null : new HealthOverrideView(active.Band, active.Reason, active.ExpiresAt, active.SetBy, active.SetAt),
            score.Segment,
            score.Onboarding,
            score.Lifecycle,
            Enum.GetValues<HealthDimension>().ToDictionary(d => d, d => dims[(int)d]),
            [.. score.Drivers.Select(d => d.ToDriver())],
            score.Trend,
            score.TrendDelta,
            score.Flags.ToIds(),
            score.DaysInBand,
            score.ScoredAt,
            row.RenewalDate,
            history);
    }

    /// <summary>Band counts per segment of live accounts (churned ones left out) and the at-risk accounts (Red, then Yellow) ranked by score, then days to renewal. Streams the score rows; keeps only the top list.</summary>
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
        await foreach (var row in _scores.QueryAsync<HealthScoreEntity>(TableFilter.All, PortfolioColumns, cancellationToken: cancellationToken))
        {
            if (row is not { AccountId: { } accountId, Score: var score, Segment: var segment })
            {
                continue;
            }

            if (row.Lifecycle == AccountLifecycleState.Churned)
            {
                // Gone: its final score is kept on the account, but it is neither counted live nor at risk.
                continue;
            }

            var band = row.OverrideBand is { } overridden && row.OverrideExpiresAt > now ? overridden : row.ComputedBand;
            counts[segment][band]++;
            if (band == HealthBand.Green)
            {
                continue;
            }

            int? daysToRenewal = row.RenewalDate is { } renewal ? (int)Math.Floor((renewal - now).TotalDays) : null;
            var rank = (score, daysToRenewal ?? int.MaxValue);
            var item = new AtRiskAccount(accountId, row.AccountName, segment, score, band, daysToRenewal);
            if (top.Count < AtRiskLimit)
            {
                top.Enqueue(item, rank);
            }
            else if (top.TryPeek(out _, out var worst) && rank.CompareTo(worst) < 0)
            {
                top.EnqueueDequeue(item, rank);
            }
        }

        var atRisk = new List<AtRiskAccount>(top.Count);
        while (top.TryDequeue(out var item, out _))
        {
            atRisk.Add(item);
        }

        atRisk.Reverse();
        return new PortfolioView(counts.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<HealthBand, int>)c.Value), atRisk);
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

        // Merge: the recompute's score columns and the override columns never overwrite each other.
        await _scores.UpsertAsync(HealthOverrideEntity.For(accountId, new HealthBandOverride(band, request.Reason.Trim(), expires, request.SetBy, now)), cancellationToken: cancellationToken);
        return (OverrideOutcome.Saved, null);
    }

    /// <summary>Removes the override columns (Replace guarded by ETag, so a concurrent recompute write is not lost). False when there was none.</summary>
    public async Task<bool> ClearOverrideAsync(string accountId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await _scores.GetAsync<HealthScoreEntity>(HealthTables.PartitionOf(accountId), HealthTables.ScoreRow(accountId), cancellationToken: cancellationToken);
            if (row?.OverrideBand is null)
            {
                return false;
            }

            // Null columns are not written, so the replacement is the row without its override.
            row.OverrideBand = null;
            row.OverrideReason = null;
            row.OverrideExpiresAt = null;
            row.OverrideSetBy = null;
            row.OverrideSetAt = null;
            var result = await _scores.UpdateAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken);
            if (result.Succeeded)
            {
                return true;
            }
        }

        throw new TableStorageUnavailableException("The health row kept changing while clearing its override.");
    }
}
