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
public sealed class PortfolioTrendStore(AppTables tables, PortfolioIndex index, TimeProvider time)
{
    public const string Table = "DashboardPortfolioTrend";
    public const int Days = 90;
    private const string Partition = "portfolio";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private readonly AppTable _trend = tables[Table];

    /// <summary>
    /// One scan of the score rows: a new <see cref="PortfolioIndex"/> generation, from which every portfolio view
    /// is then counted and ranked in memory, and today's counts per segment and band for the trend.
    /// </summary>
    public async Task<PortfolioTrendDay> SnapshotAsync(CancellationToken cancellationToken)
    {
        var built = await index.BuildAsync(cancellationToken);
        var counts = new PortfolioPageBuilder(new PortfolioQuery(PageSize: 1), built.BuiltAt);
        foreach (var entry in built.Entries)
        {
            counts.Add(entry);
        }

        var day = new PortfolioTrendDay(DateOnly.FromDateTime(built.BuiltAt.UtcDateTime), counts.Build().Bands);
        await RecordAsync(day, cancellationToken);
        return day;
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

    internal sealed class TrendRow : TableRow
    {
        /// <summary>Counts per segment and band as JSON.</summary>
        public string Bands { get; set; } = "{}";
    }
}
