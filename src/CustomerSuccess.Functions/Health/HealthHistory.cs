using System.Buffers.Text;
using System.Globalization;
using System.Text;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// One account's score and band on one day, as the daily history row recorded it (Green days included). The segment
/// is the one the account's current score row names (history rows do not record one); null if it has none.
/// </summary>
public sealed record HealthHistoryItem(string AccountId, DateOnly Day, int Score, HealthBand Band, HealthBand ComputedBand, AccountSegment? Segment);

/// <summary>A page of the portfolio history; <see cref="Continuation"/> is null on the last page.</summary>
public sealed record HealthHistoryPage(IReadOnlyList<HealthHistoryItem> Items, string? Continuation);

/// <summary>The validated arguments of GET /api/health/history.</summary>
public sealed record HealthHistoryRequest(DateOnly From, DateOnly To, string? Continuation, int PageSize)
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

        string? resume = null;
        if (!string.IsNullOrEmpty(continuation) && (resume = DecodeContinuation(continuation)) is null)
        {
            return (null, "continuation is not one this API returned.");
        }

        return (new HealthHistoryRequest(fromDay, toDay, resume, size), null);
    }

    private static bool TryDay(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    // The table's own continuation token, opaque to callers: base64url of its UTF-8 text.
    public static string EncodeContinuation(string continuation)
    {
        ArgumentException.ThrowIfNullOrEmpty(continuation);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(continuation));
    }

    private static string? DecodeContinuation(string token)
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

        return text.Length > 0 && !text.Any(char.IsControl) ? text : null;
    }
}

/// <summary>
/// The portfolio's daily history, every account and every day in a range, for reports and exports: one scan of the
/// HealthHistory table filtered to the range. A page is one page of that scan, so it may hold fewer items than asked
/// for (even none) while a continuation remains.
/// </summary>
public sealed class HealthHistoryQuery(AppTables tables)
{
    private static readonly string[] HistoryColumns = [nameof(HealthScoreColumns.AccountId), nameof(HealthScoreColumns.Day), nameof(HealthScoreColumns.Score), nameof(HealthScoreColumns.Band), nameof(HealthScoreColumns.ComputedBand)];
    private static readonly string[] SegmentColumns = [nameof(HealthScoreEntity.Segment)];

    private readonly AppTable _history = tables[HealthTables.History];
    private readonly AppTable _scores = tables[HealthTables.Scores];

    public async Task<HealthHistoryPage> GetPageAsync(HealthHistoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var filter = TableFilter.Of($"Day ge {request.From.DayNumber} and Day le {request.To.DayNumber}");
        var page = await _history.QueryPageAsync<HealthHistoryEntity>(filter, request.Continuation, request.PageSize, HistoryColumns, cancellationToken);

        // Rows sort by account within a partition, so an account's days are adjacent: a handful of point reads per page.
        var accounts = page.Entities.Select(r => r.AccountId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var scoreRows = await Task.WhenAll(accounts.Select(a =>
            _scores.GetAsync<HealthScoreEntity>(HealthTables.PartitionOf(a), HealthTables.ScoreRow(a), SegmentColumns, cancellationToken)));
        var segments = new Dictionary<string, AccountSegment>(StringComparer.Ordinal);
        for (var i = 0; i < accounts.Count; i++)
        {
            if (scoreRows[i] is { } row)
            {
                segments[accounts[i]] = row.Segment;
            }
        }

        var items = new List<HealthHistoryItem>(page.Entities.Count);
        foreach (var row in page.Entities)
        {
            if (row.AccountId is { } accountId)
            {
                items.Add(new HealthHistoryItem(accountId, row.ToDay(), row.Score, row.Band, row.ComputedBand, segments.TryGetValue(accountId, out var segment) ? segment : null));
            }
        }

        return new HealthHistoryPage(items, page.Continuation is null ? null : HealthHistoryRequest.EncodeContinuation(page.Continuation));
    }
}
