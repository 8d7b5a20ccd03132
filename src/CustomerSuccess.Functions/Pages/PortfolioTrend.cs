using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Pages;

/// <summary>The live accounts of each segment per band on one day.</summary>
public sealed record PortfolioTrendDay(DateOnly Day, IReadOnlyDictionary<AccountSegment, IReadOnlyDictionary<HealthBand, int>> Bands)
{
    /// <summary>The day's counts per band, of one segment or (null) of all.</summary>
    public IReadOnlyDictionary<HealthBand, int> Of(AccountSegment? segment) =>
        Enum.GetValues<HealthBand>().ToDictionary(b => b, b => Bands.Where(s => segment is null || s.Key == segment).Sum(s => s.Value.GetValueOrDefault(b)));
}

/// <summary>
/// The portfolio's band counts per day (table DashboardPortfolioTrend, one row per UTC day), the pages' own read
/// model for the 90-day trend: reading every account's 90 days of history on each view would read 90 rows per
/// account. The hourly <c>DashboardTrendSnapshot</c> timer records today's counts (the last snapshot of a day stands
/// for it); a portfolio view reads at most 90 small rows.
/// </summary>
public sealed class PortfolioTrendStore(AppTables tables, HealthQueries health, TimeProvider time)
{
    public const string Table = "DashboardPortfolioTrend";
    public const int Days = 90;
    private const string Partition = "portfolio";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private readonly AppTable _trend = tables[Table];

    /// <summary>How many of the at-risk ranking the snapshot keeps: the unfiltered view's first pages.</summary>
    public const int SnapshotAtRisk = 2 * PortfolioQuery.DefaultPageSize;

    /// <summary>How old a snapshot may be and still serve the unfiltered view (the timer runs hourly).</summary>
    public static readonly TimeSpan SnapshotServesFor = TimeSpan.FromMinutes(90);

    private const string LatestRow = "latest";

    /// <summary>
    /// One scan of the score rows: today's counts per segment and band for the trend, and the unfiltered view's
    /// first pages (counts, renewals, the top of the at-risk ranking) in one row, so that view is a point read.
    /// </summary>
    public async Task<PortfolioTrendDay> SnapshotAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var portfolio = await health.GetPortfolioPageAsync(new PortfolioQuery(PageSize: SnapshotAtRisk), cancellationToken);
        var day = new PortfolioTrendDay(DateOnly.FromDateTime(now.UtcDateTime), portfolio.Bands);
        await RecordAsync(day, cancellationToken);
        var latest = new SnapshotRow { PartitionKey = Partition, RowKey = LatestRow, TakenAt = now, Page = JsonSerializer.Serialize(portfolio, Json) };
        var outcome = await _trend.UpsertAsync(latest, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken);
        if (!outcome.Succeeded)
        {
            throw new TableStorageUnavailableException($"The portfolio snapshot could not be recorded: {outcome.Status}.");
        }

        return day;
    }

    /// <summary>
    /// The unfiltered view's page from the last snapshot (one point read), or null when the query is filtered, asks
    /// for a page past the kept ranking, or the snapshot is older than <see cref="SnapshotServesFor"/>.
    /// </summary>
    public async Task<(PortfolioPage Page, DateTimeOffset TakenAt)?> TryReadLatestAsync(PortfolioQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query is not { Segment: null, CsmEmail: null, Band: null, PageSize: PortfolioQuery.DefaultPageSize } || (query.Page + 1) * query.PageSize > SnapshotAtRisk || query.Page < 0)
        {
            return null;
        }

        var row = await _trend.GetAsync<SnapshotRow>(Partition, LatestRow, cancellationToken: cancellationToken);
        if (row is null || time.GetUtcNow() - row.TakenAt > SnapshotServesFor || JsonSerializer.Deserialize<PortfolioPage>(row.Page, Json) is not { } kept)
        {
            return null;
        }

        return (kept with { Query = query, AtRisk = [.. kept.AtRisk.Skip(query.Page * query.PageSize).Take(query.PageSize)] }, row.TakenAt);
    }

    public async Task RecordAsync(PortfolioTrendDay day, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(day);
        var row = new TrendRow { PartitionKey = Partition, RowKey = Key(day.Day), Bands = JsonSerializer.Serialize(day.Bands, Json) };
        var outcome = await _trend.UpsertAsync(row, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken);
        if (!outcome.Succeeded)
        {
            throw new TableStorageUnavailableException($"The portfolio trend of {row.RowKey} could not be recorded: {outcome.Status}.");
        }
    }

    /// <summary>The recorded days of the last <see cref="Days"/> days, oldest first (days without a snapshot are absent).</summary>
    public async Task<IReadOnlyList<PortfolioTrendDay>> ReadAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var days = new List<PortfolioTrendDay>(Days);
        await foreach (var row in _trend.QueryAsync<TrendRow>(TableFilter.RowRange(Partition, Key(today.AddDays(-Days + 1)), Key(today.AddDays(1))), cancellationToken: cancellationToken))
        {
            var bands = JsonSerializer.Deserialize<Dictionary<AccountSegment, Dictionary<HealthBand, int>>>(row.Bands, Json) ?? [];
            days.Add(new PortfolioTrendDay(
                DateOnly.ParseExact(row.RowKey, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                bands.ToDictionary(b => b.Key, b => (IReadOnlyDictionary<HealthBand, int>)b.Value)));
        }

        return [.. days.OrderBy(d => d.Day)];
    }

    private static string Key(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal sealed class SnapshotRow : TableRow
    {
        public DateTimeOffset TakenAt { get; set; }

        /// <summary>The unfiltered <see cref="PortfolioPage"/> with the top <see cref="SnapshotAtRisk"/> at risk, as JSON (about 15,000 characters; a string column holds 32,000).</summary>
        public string Page { get; set; } = "{}";
    }

    internal sealed class TrendRow : TableRow
    {
        /// <summary>Counts per segment and band as JSON.</summary>
        public string Bands { get; set; } = "{}";
    }
}
