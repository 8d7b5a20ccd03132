using System.Text.Json;
using Azure;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>
/// The open-alerts index: table "alertsopen", one partition, one row per active (open or acknowledged) alert, so the
/// views read the few active alerts instead of scanning every alert row, resolved ones included (about 1 s over
/// 200,000 alert rows: docs/benchmarks.md, "Portfolio view").
/// <para>
/// Kept in step by <see cref="ApplyAsync"/>: after an account's change commits, each changed alert's row is read back
/// and its index row written or deleted, guarded by the index row's ETag and by the source row's timestamp, so two
/// instances writing the same alert cannot leave the older state behind. The two tables cannot share a transaction:
/// a failure between them (logged) leaves the index behind until the alert's next change or the next
/// <see cref="RebuildOpenIndexAsync"/> (the hourly portfolio snapshot), which compares the index with a scan and repairs
/// each difference the same guarded way. Until the first rebuild has marked the index complete, readers scan.
/// </para>
/// </summary>
public sealed partial class AlertStore
{
    public const string OpenIndexTable = "alertsopen";
    internal const string OpenPartition = "open";
    private const string CompleteRow = "~complete";
    private const int RepairsAtOnce = 16;

    // Every alert row of the index; the completion marker sorts after them.
    private static readonly TableFilter OpenRows = TableFilter.Of($"PartitionKey eq {OpenPartition} and RowKey lt {"~"}");

    private AppTable OpenIndex => tables[OpenIndexTable];

    /// <summary>
    /// The active alerts across accounts from the index once it is complete, else by the scan of
    /// <see cref="ListActiveAsync"/>. For the views, and for escalation between its periodic scans.
    /// </summary>
    public async IAsyncEnumerable<Alert> ListActiveIndexedAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (await OpenIndex.GetAsync<OpenIndexMarker>(OpenPartition, CompleteRow, cancellationToken: cancellationToken).ConfigureAwait(false) is null)
        {
            await foreach (var alert in ListActiveAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return alert;
            }

            yield break;
        }

        await foreach (var row in OpenIndex.QueryAsync<OpenAlertRow>(OpenRows, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return row.ToAlert();
        }
    }

    /// <summary>
    /// Compares the index with a scan of the active alerts and repairs each difference (missing, stale, or no longer
    /// active), then marks the index complete. Returns the rows repaired.
    /// </summary>
    public async Task<int> RebuildOpenIndexAsync(CancellationToken cancellationToken)
    {
        var active = new Dictionary<(string, string), DateTimeOffset?>();
        await foreach (var e in _alerts.QueryAsync<AlertEntity>(ActiveAlerts, [nameof(TableRow.PartitionKey), nameof(TableRow.RowKey), nameof(TableRow.Timestamp)], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            active[(e.PartitionKey, e.RowKey)] = e.Timestamp;
        }

        var indexed = new Dictionary<(string, string), DateTimeOffset?>();
        await foreach (var row in OpenIndex.QueryAsync<OpenAlertRow>(OpenRows, [nameof(OpenAlertRow.AccountId), nameof(OpenAlertRow.RuleId), nameof(OpenAlertRow.SourceTimestamp)], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            indexed[(row.AccountId, row.RuleId)] = row.SourceTimestamp;
        }

        var differing = active.Where(a => !indexed.TryGetValue(a.Key, out var at) || at != a.Value).Select(a => a.Key)
            .Concat(indexed.Keys.Where(k => !active.ContainsKey(k)))
            .ToList();
        // Each repair is two point reads and a write; several at once, as a first build over existing alerts repairs every row.
        await Parallel.ForEachAsync(differing, new ParallelOptions { MaxDegreeOfParallelism = RepairsAtOnce, CancellationToken = cancellationToken }, async (key, ct) =>
            await SyncOpenIndexAsync(key.Item1, key.Item2, ct).ConfigureAwait(false)).ConfigureAwait(false);

        var marked = await OpenIndex.UpsertAsync(new OpenIndexMarker { PartitionKey = OpenPartition, RowKey = CompleteRow }, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        if (!marked.Succeeded)
        {
            throw new TableStorageUnavailableException($"The open-alerts index could not be marked complete: {marked.Status}.");
        }

        return differing.Count;
    }

    /// <summary>After a committed change: each changed alert's index row follows its source row. Never throws: the rebuild repairs what fails.</summary>
    private async Task SyncOpenIndexAsync(string accountId, IEnumerable<string> ruleIds, CancellationToken cancellationToken)
    {
        foreach (var ruleId in ruleIds)
        {
            try
            {
                await SyncOpenIndexAsync(accountId, ruleId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TableStorageUnavailableException or RequestFailedException or IOException)
            {
                Log.OpenIndexBehind(_log, accountId, ruleId, ex);
            }
        }
    }

    /// <summary>
    /// Makes the index row of one alert what its source row says now: written while the alert is active, deleted
    /// otherwise. Guarded twice: an index row that came from a newer source row than the one read here is left alone
    /// (another instance got there first), and every write or delete is conditional on the index row's ETag, so a
    /// concurrent change makes this read again.
    /// </summary>
    private async Task SyncOpenIndexAsync(string accountId, string ruleId, CancellationToken cancellationToken)
    {
        var key = OpenRowKey(accountId, ruleId);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var source = await _alerts.GetAsync<AlertEntity>(accountId, ruleId, cancellationToken: cancellationToken).ConfigureAwait(false);
            var row = await OpenIndex.GetAsync<OpenAlertRow>(OpenPartition, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (row is not null && source is not null && row.SourceTimestamp > source.Timestamp)
            {
                return;
            }

            TableWriteOutcome outcome;
            if (source is { Status: not AlertStatus.Resolved })
            {
                if (row is not null && row.SourceTimestamp == source.Timestamp)
                {
                    return;
                }

                var entity = OpenAlertRow.From(source, key);
                outcome = row is null
                    ? await OpenIndex.AddAsync(entity, cancellationToken).ConfigureAwait(false)
                    : await OpenIndex.UpdateAsync(entity, row.ETag, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (row is null)
                {
                    return;
                }

                outcome = await OpenIndex.DeleteAsync(OpenPartition, key, row.ETag, cancellationToken).ConfigureAwait(false);
                if (outcome.Status == TableWriteStatus.NotFound)
                {
                    return;
                }
            }

            if (outcome.Succeeded)
            {
                return;
            }
        }

        Log.OpenIndexContended(_log, accountId, ruleId);
    }

    // Account ids hold no '|' in practice, and the row's own AccountId and RuleId columns are what is read back.
    private static string OpenRowKey(string accountId, string ruleId) => accountId + "|" + ruleId;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4210, Level = LogLevel.Warning, Message = "The open-alerts index is behind for {AccountId}/{RuleId}; the next change or the hourly rebuild repairs it")]
        public static partial void OpenIndexBehind(ILogger logger, string accountId, string ruleId, Exception exception);

        [LoggerMessage(EventId = 4211, Level = LogLevel.Warning, Message = "The open-alerts index row of {AccountId}/{RuleId} kept changing under three attempts; the next change or the hourly rebuild repairs it")]
        public static partial void OpenIndexContended(ILogger logger, string accountId, string ruleId);
    }
}

/// <summary>One active alert in the open-alerts index (table "alertsopen"): the alert as JSON, and the timestamp of the source row it came from.</summary>
public sealed class OpenAlertRow : TableRow
{
    public string AccountId { get; set; } = string.Empty;

    public string RuleId { get; set; } = string.Empty;

    /// <summary>The source row's Timestamp when this copy was taken: a copy from an older source never replaces a newer one.</summary>
    public DateTimeOffset? SourceTimestamp { get; set; }

    public string Alert { get; set; } = string.Empty;

    public static OpenAlertRow From(AlertEntity source, string rowKey)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new OpenAlertRow
        {
            PartitionKey = AlertStore.OpenPartition,
            RowKey = rowKey,
            AccountId = source.PartitionKey,
            RuleId = source.RowKey,
            SourceTimestamp = source.Timestamp,
            Alert = JsonSerializer.Serialize(source.ToAlert() with { ETag = null }, AlertStore.Json),
        };
    }

    public Alert ToAlert() => JsonSerializer.Deserialize<Alert>(Alert, AlertStore.Json)!;
}

/// <summary>The row that marks the open-alerts index complete (written by each rebuild).</summary>
public sealed class OpenIndexMarker : TableRow
{
}
