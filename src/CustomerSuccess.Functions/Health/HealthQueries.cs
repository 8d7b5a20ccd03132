using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;

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
    IReadOnlyList<HealthHistoryDay> History)
{
    /// <summary>Each dimension's named sub-signals as the account's facts read now (<see cref="HealthScoreCalculator.Explain"/>): which were known and which were missing.</summary>
    public IReadOnlyList<HealthSubSignal> SubSignals { get; init; } = [];
}

public sealed record HealthOverrideView(HealthBand Band, string Reason, DateTimeOffset ExpiresAt, string? SetBy, DateTimeOffset SetAt);

public sealed record HealthHistoryDay(DateOnly Day, int Score, HealthBand Band, IReadOnlyDictionary<HealthDimension, int> Dimensions);

public sealed record PortfolioView(IReadOnlyDictionary<AccountSegment, IReadOnlyDictionary<HealthBand, int>> Bands, IReadOnlyList<AtRiskAccount> AtRisk);

public sealed record AtRiskAccount(string AccountId, string? AccountName, AccountSegment Segment, int Score, HealthBand Band, int? DaysToRenewal, string? CsmEmail = null, IReadOnlyList<HealthDriver>? Drivers = null);

/// <summary>Which live accounts a portfolio read counts and ranks, and which page of the at-risk list it returns.</summary>
public sealed record PortfolioQuery(AccountSegment? Segment = null, string? CsmEmail = null, HealthBand? Band = null, int Page = 0, int PageSize = PortfolioQuery.DefaultPageSize)
{
    public const int DefaultPageSize = 25;
    public const int MaxPageSize = HealthQueries.AtRiskLimit;
}

/// <summary>
/// One read of the portfolio: band counts per segment, renewals in the next <see cref="HealthQueries.RenewalWindowDays"/>
/// days by band, and one page of the at-risk list (ranked by score, then days to renewal) with its total.
/// </summary>
public sealed record PortfolioPage(
    PortfolioQuery Query,
    IReadOnlyDictionary<AccountSegment, IReadOnlyDictionary<HealthBand, int>> Bands,
    IReadOnlyDictionary<HealthBand, int> RenewalsByBand,
    int AtRiskTotal,
    IReadOnlyList<AtRiskAccount> AtRisk)
{
    /// <summary>When the figures were read: null when read live from the score rows, else when the portfolio index was built.</summary>
    public DateTimeOffset? AsOf { get; init; }
}

public sealed record HealthOverrideRequest(HealthBand? Band, string? Reason, DateTimeOffset? ExpiresAt, string? SetBy);

public enum OverrideOutcome
{
    Saved,
    Invalid,
}

/// <summary>Reads for the health API and the CSM override writes.</summary>
public sealed class HealthQueries(AppTables tables, TimeProvider time, PortfolioIndex index)
{
    public const int HistoryDays = 90;
    public const int AtRiskLimit = 100;
    public const int RenewalWindowDays = 90;

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

    /// <summary>Band counts per segment of live accounts (churned ones left out) and the top <see cref="AtRiskLimit"/> at-risk accounts (Red, then Yellow) ranked by score, then days to renewal.</summary>
    public async Task<PortfolioView> GetPortfolioAsync(CancellationToken cancellationToken)
    {
        var page = await GetPortfolioPageAsync(new PortfolioQuery(PageSize: AtRiskLimit), cancellationToken);
        return new PortfolioView(page.Bands, page.AtRisk);
    }

    /// <summary>
    /// The portfolio under a filter (segment, CSM, band), one page of its at-risk list. Counted and ranked in memory
    /// from the <see cref="PortfolioIndex"/> while it is current (any filter, any page: milliseconds at 100,000
    /// accounts; the page says when it was built in <see cref="PortfolioPage.AsOf"/>), else from a scan of the score
    /// rows (<see cref="ScanPortfolioPageAsync"/>).
    /// </summary>
    public async Task<PortfolioPage> GetPortfolioPageAsync(PortfolioQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (await index.TryReadAsync(cancellationToken) is { } current)
        {
            var builder = new PortfolioPageBuilder(query, time.GetUtcNow());
            foreach (var entry in current.Entries)
            {
                builder.Add(entry);
            }

            return builder.Build() with { AsOf = current.BuiltAt };
        }

        return await ScanPortfolioPageAsync(query, cancellationToken);
    }

    /// <summary>
    /// The portfolio page from one scan of the score rows' few columns: memory is bounded by the page, not the
    /// portfolio, but the read is the whole table.
    /// </summary>
    public async Task<PortfolioPage> ScanPortfolioPageAsync(PortfolioQuery query, CancellationToken cancellationToken)
    {
        var builder = new PortfolioPageBuilder(query, time.GetUtcNow());
        await foreach (var entry in index.ScanAsync(cancellationToken))
        {
            builder.Add(entry);
        }

        return builder.Build();
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

/// <summary>Explains one account's score by its sub-signals, from its facts as they read now, against the yardstick the recompute uses.</summary>
public sealed class HealthExplanation(IAccountSignalSource accounts, HealthScoreCalculator calculator, AppTables tables, IOptions<HealthOptions> options, TimeProvider time)
{
    private readonly AppTable _runs = tables[HealthTables.Runs];

    public async Task<IReadOnlyList<HealthSubSignal>> ExplainAsync(string accountId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Both reads at once, both awaited: a failure of either is the request's, none left unobserved.
        var read = accounts.ReadAccountAsync(accountId, DateOnly.FromDateTime(now.UtcDateTime), cancellationToken);
        var peersRead = HealthLoginBenchmarkEntity.ReadAsync(_runs, options.Value, cancellationToken);
        await Task.WhenAll(read, peersRead).ConfigureAwait(false);
        var signals = await read.ConfigureAwait(false);
        var peers = await peersRead.ConfigureAwait(false);
        return signals is null ? [] : calculator.Explain(signals, now, peers);
    }
}
