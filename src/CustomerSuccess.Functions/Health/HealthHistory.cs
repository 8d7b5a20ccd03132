using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// One account's score and band on one day, as the daily history row recorded it (Green days included). The segment
/// is the one the account's current score row names (history rows do not record one); null if it has none.
/// </summary>
public sealed record HealthHistoryItem(string AccountId, DateOnly Day, int Score, HealthBand Band, HealthBand ComputedBand, AccountSegment? Segment);

/// <summary>A page of the portfolio history; <see cref="Continuation"/> is null on the last page.</summary>
public sealed record HealthHistoryPage(IReadOnlyList<HealthHistoryItem> Items, string? Continuation);

/// <summary>The validated arguments of GET /api/health/history.</summary>
public sealed record HealthHistoryRequest(DateOnly From, DateOnly To, TableContinuation? Continuation, int PageSize)
{
    public const int DefaultPageSize = 1000;
    public const int MaxPageSize = 1000;

    /// <summary>Parses the query string; returns the request, or the error a caller is told (400).</summary>
    public static (HealthHistoryRequest? Request, string? Error) Parse(string? from, string? to, string? continuation, string? pageSize)
    {
        if (!TryDay(from, out var fromDay) || !TryDay(to, out var toDay))
        {
            return (null, "from and to are required, as yyyy-MM-dd.");
        }

        if (fromDay > toDay)
        {
            return (null, "from must not be after to.");
        }

        var size = DefaultPageSize;
        if (!string.IsNullOrEmpty(pageSize) && (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            return (null, $"pageSize must be a whole number from 1 to {MaxPageSize}.");
        }

        TableContinuation? resume = null;
        if (!string.IsNullOrEmpty(continuation) && (resume = DecodeContinuation(continuation)) is null)
        {
            return (null, "continuation is not one this API returned.");
        }

        return (new HealthHistoryRequest(fromDay, toDay, resume, size), null);
    }

    private static bool TryDay(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    // The table's own continuation (next partition and row key), opaque to callers: base64url of "pk\nrk".
    public static string EncodeContinuation(TableContinuation continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(continuation.NextPartitionKey + "\n" + continuation.NextRowKey));
    }

    private static TableContinuation? DecodeContinuation(string token)
    {
        if (token.Length > 2048 || !Base64Url.IsValid(token))
        {
            return null;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return null;
        }

        var parts = text.Split('\n');
        return parts.Length == 2 && parts[0].Length > 0 && !parts.Any(p => p.Any(char.IsControl)) ? new TableContinuation(parts[0], parts[1]) : null;
    }
}

/// <summary>
/// The portfolio's daily history, every account and every day in a range, for reports and exports: read from the
/// health table's "hist|{account}|{yyyyMMdd}" rows in one scan across partitions. A page is one page of that scan
/// filtered to the range, so it may hold fewer items than asked for (even none) while a continuation remains.
/// </summary>
public sealed class HealthHistoryQuery(ITableStore tables, IOptions<HealthOptions> options)
{
    private const string HistoryPrefix = "hist|";

    // Every history row and nothing else: score rows ("score|") and transitions ("tx|") sort outside this range.
    private static readonly string HistoryFilter = $"RowKey ge {HealthRows.Quote(HistoryPrefix)} and RowKey lt {HealthRows.Quote("hist}")}";
    private static readonly string[] HistoryColumns = ["Score", "Band", "ComputedBand"];
    private static readonly string[] SegmentColumn = ["Segment"];

    public async Task<HealthHistoryPage> GetPageAsync(HealthHistoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (rows, segments, next) = await ReadAsync(request, cancellationToken);
        var items = new List<HealthHistoryItem>(rows.Count);
        foreach (var (accountId, day, row) in rows)
        {
            items.Add(new HealthHistoryItem(
                accountId,
                day,
                row.GetInt32("Score") ?? 0,
                BandOf(row.GetString("Band")),
                BandOf(row.GetString("ComputedBand") ?? row.GetString("Band")),
                segments.TryGetValue(accountId, out var segment) ? segment : null));
        }

        return new HealthHistoryPage(items, next is null ? null : HealthHistoryRequest.EncodeContinuation(next));
    }

    /// <summary>
    /// All of this query's storage access: one page of history rows (kept if their day is in range), then the
    /// segment of each account on it from its score row (point reads, a handful per page since an account's days are adjacent).
    /// </summary>
    private async Task<(List<(string AccountId, DateOnly Day, TableEntity Row)> Rows, Dictionary<string, AccountSegment> Segments, TableContinuation? Next)> ReadAsync(
        HealthHistoryRequest request, CancellationToken cancellationToken)
    {
        var page = await tables.QueryPageAsync(HealthRows.Table, HistoryFilter, HistoryColumns, request.PageSize, request.Continuation, cancellationToken);
        var rows = new List<(string, DateOnly, TableEntity)>(page.Entities.Count);
        var accounts = new List<string>();
        foreach (var row in page.Entities)
        {
            if (TryParseHistoryKey(row.RowKey, out var accountId, out var day) && day >= request.From && day <= request.To)
            {
                rows.Add((accountId, day, row));
                if (accounts.Count == 0 || accounts[^1] != accountId)
                {
                    accounts.Add(accountId);
                }
            }
        }

        var shardCount = options.Value.ShardCount;
        var scoreRows = await Task.WhenAll(accounts.Select(a =>
            tables.GetAsync(HealthRows.Table, HealthRows.PartitionOf(a, shardCount), HealthRows.ScoreRow(a), SegmentColumn, cancellationToken)));
        var segments = new Dictionary<string, AccountSegment>(StringComparer.Ordinal);
        for (var i = 0; i < accounts.Count; i++)
        {
            if (Enum.TryParse<AccountSegment>(scoreRows[i]?.GetString("Segment"), out var segment))
            {
                segments[accounts[i]] = segment;
            }
        }

        return (rows, segments, page.Continuation);
    }

    /// <summary>"hist|{account}|{yyyyMMdd}": the account is everything between the prefix and the last separator.</summary>
    internal static bool TryParseHistoryKey(string rowKey, out string accountId, out DateOnly day)
    {
        accountId = string.Empty;
        day = default;
        if (rowKey.Length <= HistoryPrefix.Length + 9 || !rowKey.StartsWith(HistoryPrefix, StringComparison.Ordinal) || rowKey[^9] != '|'
            || !DateOnly.TryParseExact(rowKey.AsSpan(rowKey.Length - 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
        {
            return false;
        }

        accountId = rowKey[HistoryPrefix.Length..^9];
        return true;
    }

    private static HealthBand BandOf(string? text) => Enum.TryParse<HealthBand>(text, out var band) ? band : HealthBand.Red;
}
