using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Health;

/// <summary>The body of a health-recompute message: score one shard of one run as of an instant.</summary>
public sealed record HealthShardMessage(string RunId, int Shard, int ShardCount, DateTimeOffset AsOf)
{
    public string MessageId => $"{RunId}-{Shard}";
}

public enum HealthRunStartOutcome
{
    Started,

    /// <summary>This tick's run already exists (a retried tick): its shard messages were sent again, deduplicated by id.</summary>
    Resent,

    /// <summary>Another run is still in progress; nothing was started.</summary>
    SkippedInProgress,
}

public sealed record HealthRunSummary(string RunId, long AccountsScored, long BandChanges, long Failures, TimeSpan Duration, bool Completed);

/// <summary>
/// Starts recompute runs (timer) and scores shards (queue). A run is keyed by its scheduled hour, so a retried
/// tick is the same run; a pointer row guarded by ETag keeps a second run from starting while one is in progress.
/// A shard checkpoints the signal source's continuation after each page's batches, so a redelivered shard resumes.
/// </summary>
public sealed class HealthRecompute(
    ITableStore tables,
    IAccountSignalSource signals,
    IMessagePublisher publisher,
    HealthScoreCalculator calculator,
    IOptions<HealthOptions> options,
    TimeProvider time,
    ILogger<HealthRecompute> logger)
{
    public const string QueueName = "health-recompute";

    /// <summary>A run older than this no longer blocks a new one (its shards are presumed dead-lettered).</summary>
    public static readonly TimeSpan StaleRunAfter = TimeSpan.FromHours(6);

    private const int MaxBatch = 100;

    private readonly HealthOptions _options = options.Value;

    public static string RunIdFor(DateTimeOffset tick) => tick.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    public async Task<HealthRunStartOutcome> StartRunAsync(DateTimeOffset tick, CancellationToken cancellationToken)
    {
        var runId = RunIdFor(tick);
        var now = time.GetUtcNow();
        await tables.CreateTableIfNotExistsAsync(HealthRows.RunsTable, cancellationToken);
        await tables.CreateTableIfNotExistsAsync(HealthRows.Table, cancellationToken);

        var current = await tables.GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, HealthRows.CurrentRunRow, cancellationToken: cancellationToken);
        var activeRunId = current?.GetString("RunId");
        if (current is not null && activeRunId != runId && current.GetString("Status") == "Running"
            && current.GetDateTimeOffset("StartedAt") is { } startedAt && now - startedAt < StaleRunAfter)
        {
            HealthLog.RunSkippedInProgress(logger, runId, activeRunId ?? string.Empty);
            return HealthRunStartOutcome.SkippedInProgress;
        }

        var shardCount = _options.ShardCount;
        var run = new TableEntity(HealthRows.RunPartition, runId)
        {
            ["Status"] = "Running",
            ["StartedAt"] = now,
            ["AsOf"] = tick,
            ["ShardCount"] = shardCount,
        };
        var inserted = await tables.InsertAsync(HealthRows.RunsTable, run, cancellationToken);
        if (inserted.Status == TableWriteStatus.AlreadyExists)
        {
            var existing = await tables.GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, runId, cancellationToken: cancellationToken);
            if (existing?.GetString("Status") == "Completed")
            {
                return HealthRunStartOutcome.Resent;
            }

            shardCount = existing?.GetInt32("ShardCount") ?? shardCount;
            tick = existing?.GetDateTimeOffset("AsOf") ?? tick;
        }
        else
        {
            var pointer = new TableEntity(HealthRows.RunPartition, HealthRows.CurrentRunRow) { ["RunId"] = runId, ["Status"] = "Running", ["StartedAt"] = now };
            var claimed = current is null
                ? await tables.InsertAsync(HealthRows.RunsTable, pointer, cancellationToken)
                : await tables.UpdateAsync(HealthRows.RunsTable, pointer, current.ETag ?? "*", TableUpdateMode.Replace, cancellationToken);
            if (!claimed.Succeeded)
            {
                // Another tick claimed the pointer between our read and write: it runs, we stand down.
                await tables.DeleteAsync(HealthRows.RunsTable, HealthRows.RunPartition, runId, cancellationToken: cancellationToken);
                HealthLog.RunSkippedInProgress(logger, runId, "(concurrent)");
                return HealthRunStartOutcome.SkippedInProgress;
            }

            HealthLog.RunStarted(logger, runId, shardCount, tick);
        }

        for (var shard = 0; shard < shardCount; shard++)
        {
            var message = new HealthShardMessage(runId, shard, shardCount, tick);
            await publisher.SendAsync(QueueName, new OutgoingMessage(message.MessageId, JsonSerializer.Serialize(message, HealthRows.Json)), cancellationToken);
        }

        return inserted.Status == TableWriteStatus.AlreadyExists ? HealthRunStartOutcome.Resent : HealthRunStartOutcome.Started;
    }

    /// <summary>Scores one shard from its checkpoint to the end. Throws on storage failure so the message is redelivered and resumes.</summary>
    public async Task<HealthRunSummary?> ScoreShardAsync(HealthShardMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var shardPartition = HealthRows.ShardRunPartition(message.RunId);
        var shardRowKey = HealthRows.ShardRow(message.Shard);
        var row = await tables.GetAsync(HealthRows.RunsTable, shardPartition, shardRowKey, cancellationToken: cancellationToken);
        if (row is null)
        {
            row = new TableEntity(shardPartition, shardRowKey) { ["Done"] = false, ["Accounts"] = 0, ["BandChanges"] = 0, ["Failures"] = 0 };
            var created = await tables.InsertAsync(HealthRows.RunsTable, row, cancellationToken);
            row = await tables.GetAsync(HealthRows.RunsTable, shardPartition, shardRowKey, cancellationToken: cancellationToken)
                ?? throw new InvalidOperationException("Shard checkpoint row vanished after insert.");
            _ = created;
        }

        if (row.GetBoolean("Done") == true)
        {
            HealthLog.ShardAlreadyDone(logger, message.RunId, message.Shard);
            return await TryCompleteRunAsync(message.RunId, cancellationToken);
        }

        var continuation = row.GetString("Continuation");
        var accounts = row.GetInt32("Accounts") ?? 0;
        var bandChanges = row.GetInt32("BandChanges") ?? 0;
        var failures = row.GetInt32("Failures") ?? 0;
        var etag = row.ETag ?? "*";
        if (continuation is not null)
        {
            HealthLog.ShardResumed(logger, message.RunId, message.Shard, accounts);
        }

        var partition = HealthRows.Partition(message.Shard);
        var day = DateOnly.FromDateTime(message.AsOf.UtcDateTime);
        var actions = new List<TableTransactionAction>(MaxBatch);
        var previousById = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        await using var previousScores = new PreviousScoreCursor(tables, partition, cancellationToken);
        do
        {
            var page = await signals.ReadPageAsync(message.Shard, message.ShardCount, day, continuation, _options.PageSize, cancellationToken);
            await previousScores.ReadAsync(page.Accounts, previousById);

            actions.Clear();
            foreach (var account in page.Accounts)
            {
                HealthScore score;
                HealthScore? previous;
                try
                {
                    var previousRow = previousById.GetValueOrDefault(account.AccountId);
                    previous = previousRow is null ? null : HealthRows.ToScore(previousRow);
                    var bandOverride = previousRow is null ? null : HealthRows.ToOverride(previousRow);
                    score = calculator.Score(account, previous, bandOverride, message.AsOf);
                }
#pragma warning disable CA1031 // One account's bad data must not stop its shard; it is counted and logged.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failures++;
                    HealthLog.AccountFailed(logger, ex, message.RunId, message.Shard, account.AccountId);
                    continue;
                }

                var transition = HealthTransitions.For(score, previous, account, message.RunId);
                var needed = transition is null ? 2 : 3;
                if (actions.Count + needed > MaxBatch)
                {
                    await SubmitAsync(actions, cancellationToken);
                    actions.Clear();
                }

                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertMerge, HealthRows.ToScoreEntity(partition, score, account)));
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, HealthRows.ToHistoryEntity(partition, score)));
                if (transition is not null)
                {
                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, HealthRows.ToTransitionEntity(partition, transition)));
                }

                accounts++;
                if (previous is not null && previous.Band != score.Band)
                {
                    bandChanges++;
                }
            }

            if (actions.Count > 0)
            {
                await SubmitAsync(actions, cancellationToken);
            }

            continuation = page.Continuation;

            // Checkpoint after the page's results are durable: a redelivery resumes at the next page.
            var checkpoint = new TableEntity(shardPartition, shardRowKey)
            {
                ["Continuation"] = continuation,
                ["Done"] = continuation is null,
                ["Accounts"] = accounts,
                ["BandChanges"] = bandChanges,
                ["Failures"] = failures,
                ["UpdatedAt"] = time.GetUtcNow(),
            };
            var saved = await tables.UpdateAsync(HealthRows.RunsTable, checkpoint, etag, TableUpdateMode.Replace, cancellationToken);
            if (!saved.Succeeded)
            {
                throw new InvalidOperationException($"Shard {message.Shard} of run {message.RunId} is being scored by another delivery (checkpoint {saved.Status}).");
            }

            etag = saved.ETag ?? "*";
        }
        while (continuation is not null);

        HealthLog.ShardCompleted(logger, message.RunId, message.Shard, accounts, bandChanges, failures);
        return await TryCompleteRunAsync(message.RunId, cancellationToken);
    }

    /// <summary>When every shard is done, stores and logs the run summary (once: the run row's ETag guards it).</summary>
    public async Task<HealthRunSummary?> TryCompleteRunAsync(string runId, CancellationToken cancellationToken)
    {
        var run = await tables.GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, runId, cancellationToken: cancellationToken);
        if (run is null)
        {
            return null;
        }

        if (run.GetString("Status") == "Completed")
        {
            return SummaryOf(run, completed: true);
        }

        var shardCount = run.GetInt32("ShardCount") ?? 0;
        long done = 0, scored = 0, changes = 0, failed = 0;
        var page = await tables.QueryPageAsync(HealthRows.RunsTable, $"PartitionKey eq {HealthRows.Quote(HealthRows.ShardRunPartition(runId))}", null, 1000, null, cancellationToken);
        foreach (var shard in page.Entities)
        {
            if (shard.GetBoolean("Done") == true)
            {
                done++;
            }

            scored += shard.GetInt32("Accounts") ?? 0;
            changes += shard.GetInt32("BandChanges") ?? 0;
            failed += shard.GetInt32("Failures") ?? 0;
        }

        if (done < shardCount)
        {
            return SummaryOf(run, completed: false);
        }

        var now = time.GetUtcNow();
        var startedAt = run.GetDateTimeOffset("StartedAt") ?? now;
        run["Status"] = "Completed";
        run["CompletedAt"] = now;
        run["AccountsScored"] = scored;
        run["BandChanges"] = changes;
        run["Failures"] = failed;
        run["DurationMs"] = (long)(now - startedAt).TotalMilliseconds;
        var updated = await tables.UpdateAsync(HealthRows.RunsTable, run, run.ETag ?? "*", TableUpdateMode.Replace, cancellationToken);
        if (updated.Succeeded)
        {
            HealthLog.RunCompleted(logger, runId, scored, changes, failed, (long)(now - startedAt).TotalMilliseconds);
            var pointer = new TableEntity(HealthRows.RunPartition, HealthRows.CurrentRunRow) { ["RunId"] = runId, ["Status"] = "Completed", ["StartedAt"] = startedAt, ["CompletedAt"] = now };
            var current = await tables.GetAsync(HealthRows.RunsTable, HealthRows.RunPartition, HealthRows.CurrentRunRow, cancellationToken: cancellationToken);
            if (current?.GetString("RunId") == runId)
            {
                await tables.UpdateAsync(HealthRows.RunsTable, pointer, current.ETag ?? "*", TableUpdateMode.Replace, cancellationToken);
            }
        }

        return SummaryOf(run, completed: true);
    }

    private static HealthRunSummary SummaryOf(TableEntity run, bool completed) => new(
        run.RowKey,
        run.GetInt64("AccountsScored") ?? 0,
        run.GetInt64("BandChanges") ?? 0,
        run.GetInt64("Failures") ?? 0,
        TimeSpan.FromMilliseconds(run.GetInt64("DurationMs") ?? 0),
        completed);

    private async Task SubmitAsync(List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        var result = await tables.SubmitTransactionAsync(HealthRows.Table, actions.ToArray(), cancellationToken);
        if (!result.Succeeded)
        {
            throw new TableRequestFailedException(result.FailedStatus ?? 0, result.ErrorCode, $"Health batch refused at action {result.FailedActionIndex}: {result.ErrorCode}");
        }
    }
}

/// <summary>When a score is handed to alerting, and what the record carries.</summary>
public static class HealthTransitions
{
    /// <summary>On a band change, a change of flags, and the first score of each day; otherwise null.</summary>
    public static HealthTransition? For(HealthScore score, HealthScore? previous, AccountSignals signals, string runId)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(signals);
        if (previous is not null && previous.Band == score.Band && previous.Flags == score.Flags && previous.Day == score.Day)
        {
            return null;
        }

        var dims = new Dictionary<HealthDimension, int>(6);
        for (var d = 0; d < score.Dimensions.Count; d++)
        {
            dims[(HealthDimension)d] = score.Dimensions[d];
        }

        var drivers = new HealthDriver[score.Drivers.Count];
        for (var i = 0; i < drivers.Length; i++)
        {
            drivers[i] = score.Drivers[i].ToDriver();
        }

        DateTimeOffset? lastFailed = null, lastDispute = null;
        foreach (var day in signals.Days)
        {
            var at = new DateTimeOffset(day.Day, TimeOnly.MinValue, TimeSpan.Zero);
            if (day.PaymentsFailed > 0)
            {
                lastFailed = at;
            }

            if (day.DisputesOpened > 0)
            {
                lastDispute = at;
            }
        }

        return new HealthTransition
        {
            AccountId = score.AccountId,
            RunId = runId,
            ScoredAt = score.ScoredAt,
            AccountName = signals.Name,
            Segment = score.Segment,
            CsmEmail = signals.CsmEmail,
            Score = score.Score,
            Band = score.Band,
            PreviousBand = previous?.Band,
            DaysInBand = score.DaysInBand,
            Onboarding = score.Onboarding,
            Dimensions = dims,
            Flags = score.Flags.ToIds(),
            Drivers = drivers,
            RenewalDate = signals.RenewalDate,
            ChampionLeftAt = signals.Relationship.ChampionLeftAt,
            ExecutiveSponsorLeftAt = signals.Relationship.ExecutiveSponsorLeftAt,
            OpenUrgentTickets = signals.OpenUrgentTickets,
            OpenComplaints = signals.OpenComplaints,
            LastPaymentFailedAt = lastFailed,
            LastDisputeOpenedAt = lastDispute,
        };
    }
}

/// <summary>
/// The previous score rows of a shard's accounts, read as one forward scan of the shard's "score|" rows in pages of
/// 1,000 alongside the signal pages (a merge by score row key: bucket, then account id, the order the shard's pages
/// arrive in), instead of one range query per page of accounts: ten times fewer requests. A page whose keys come
/// before the scan's position (a source that pages in another order) restarts the scan there.
/// </summary>
internal sealed class PreviousScoreCursor(ITableStore tables, string partition, CancellationToken cancellationToken, int scanPageSize = 1000) : IAsyncDisposable
{
    private const string Prefix = "score|";

    private IAsyncEnumerator<TableEntity>? _scan;
    private TableEntity? _ahead;
    private string? _position;

    /// <summary>Fills <paramref name="byId"/> with the score rows of <paramref name="page"/>'s accounts that exist.</summary>
    public async Task ReadAsync(IReadOnlyList<AccountSignals> page, Dictionary<string, TableEntity> byId)
    {
        byId.Clear();
        if (page.Count == 0)
        {
            return;
        }

        // Keys, not ids: score rows sort by bucket, then account, the order the shard's signal pages arrive in.
        var wanted = new Dictionary<string, string>(page.Count, StringComparer.Ordinal);
        string? min = null;
        string? max = null;
        foreach (var account in page)
        {
            var key = HealthRows.ScoreRow(account.AccountId);
            wanted[key] = account.AccountId;
            if (min is null || string.CompareOrdinal(key, min) < 0)
            {
                min = key;
            }

            if (max is null || string.CompareOrdinal(key, max) > 0)
            {
                max = key;
            }
        }

        if (_scan is null || _position is null || string.CompareOrdinal(min, _position) <= 0)
        {
            await RestartAtAsync(min!);
        }

        while (true)
        {
            if (_ahead is null)
            {
                if (!await _scan!.MoveNextAsync())
                {
                    break;
                }

                _ahead = _scan.Current;
            }

            if (string.CompareOrdinal(_ahead.RowKey, max) > 0)
            {
                break;
            }

            if (wanted.TryGetValue(_ahead.RowKey, out var id))
            {
                byId[id] = _ahead;
            }

            _ahead = null;
        }

        _position = max;
    }

    private async Task RestartAtAsync(string fromKey)
    {
        await DisposeAsync();
        var filter = HealthRows.PrefixFilter(partition, Prefix) + " and RowKey ge " + HealthRows.Quote(fromKey);
        _scan = tables.QueryAsync(HealthRows.Table, filter, null, scanPageSize, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_scan is not null)
        {
            await _scan.DisposeAsync();
            _scan = null;
        }

        _ahead = null;
        _position = null;
    }
}
