using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.Options;

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
/// The shard count is the run's own (written on its run row and in each message); the tables are keyed by fixed
/// bucket groups, so a run with another shard count finds every score the last one wrote.
/// </summary>
public sealed class HealthRecompute(
    AppTables tables,
    IAccountSignalSource signals,
    IMessagePublisher publisher,
    HealthScoreCalculator calculator,
    IOptions<HealthOptions> options,
    TimeProvider time,
    ILogger<HealthRecompute> logger,
    AppMetrics? metrics = null,
    PortfolioIndex? portfolioIndex = null)
{
    public const string QueueName = QueueNames.HealthRecompute;

    /// <summary>A run older than this no longer blocks a new one (its shards are presumed dead-lettered).</summary>
    public static readonly TimeSpan StaleRunAfter = TimeSpan.FromHours(6);

    private readonly HealthOptions _options = options.Value;
    private readonly AppTable _runs = tables[HealthTables.Runs];
    private readonly AppTable _scores = tables[HealthTables.Scores];
    private readonly AppTable _history = tables[HealthTables.History];
    private readonly AppTable _transitions = tables[HealthTables.Transitions];

    public static string RunIdFor(DateTimeOffset tick) => tick.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    public async Task<HealthRunStartOutcome> StartRunAsync(DateTimeOffset tick, CancellationToken cancellationToken)
    {
        var runId = RunIdFor(tick);
        var now = time.GetUtcNow();
        var current = await _runs.GetAsync<HealthRunPointerEntity>(HealthTables.RunPartition, HealthTables.CurrentRunRow, cancellationToken: cancellationToken);
        if (current is not null && current.RunId != runId && current.Status == HealthRunStatus.Running && now - current.StartedAt < StaleRunAfter)
        {
            HealthLog.RunSkippedInProgress(logger, runId, current.RunId);
            return HealthRunStartOutcome.SkippedInProgress;
        }

        var shardCount = _options.ShardCount;
        var run = new HealthRunEntity { RowKey = runId, Status = HealthRunStatus.Running, StartedAt = now, AsOf = tick, ShardCount = shardCount };
        var inserted = await _runs.AddAsync(run, cancellationToken);
        if (inserted.Status == TableWriteStatus.AlreadyExists)
        {
            var existing = await _runs.GetAsync<HealthRunEntity>(HealthTables.RunPartition, runId, cancellationToken: cancellationToken);
            if (existing?.Status == HealthRunStatus.Completed)
            {
                return HealthRunStartOutcome.Resent;
            }

            // A retried tick resends the run as it was started: its shard count and instant, not today's settings.
            shardCount = existing?.ShardCount ?? shardCount;
            tick = existing?.AsOf ?? tick;
        }
        else
        {
            var pointer = new HealthRunPointerEntity { RunId = runId, Status = HealthRunStatus.Running, StartedAt = now };
            var claimed = current is null
                ? await _runs.AddAsync(pointer, cancellationToken)
                : await _runs.UpdateAsync(pointer, current.ETag, TableUpdateMode.Replace, cancellationToken);
            if (!claimed.Succeeded)
            {
                // Another tick claimed the pointer between our read and write: it runs, we stand down.
                await _runs.DeleteAsync(HealthTables.RunPartition, runId, cancellationToken: cancellationToken);
                HealthLog.RunSkippedInProgress(logger, runId, "(concurrent)");
                return HealthRunStartOutcome.SkippedInProgress;
            }

            HealthLog.RunStarted(logger, runId, shardCount, tick);
        }

        var messages = new List<OutgoingMessage>(shardCount);
        for (var shard = 0; shard < shardCount; shard++)
        {
            var message = new HealthShardMessage(runId, shard, shardCount, tick);
            messages.Add(new OutgoingMessage(message.MessageId, JsonSerializer.Serialize(message, HealthJson.Options)));
        }

        await publisher.SendBatchAsync(QueueName, messages, cancellationToken);
        return inserted.Status == TableWriteStatus.AlreadyExists ? HealthRunStartOutcome.Resent : HealthRunStartOutcome.Started;
    }

    /// <summary>Scores one shard from its checkpoint to the end. Throws on storage failure so the message is redelivered and resumes.</summary>
    public async Task<HealthRunSummary?> ScoreShardAsync(HealthShardMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var checkpoint = await _runs.GetAsync<HealthShardCheckpointEntity>(HealthTables.ShardRunPartition(message.RunId), HealthTables.ShardRow(message.Shard), cancellationToken: cancellationToken);
        if (checkpoint is null)
        {
            // Inserted, or already inserted by a concurrent delivery; read back either way for its ETag.
            await _runs.AddAsync(new HealthShardCheckpointEntity { PartitionKey = HealthTables.ShardRunPartition(message.RunId), RowKey = HealthTables.ShardRow(message.Shard) }, cancellationToken);
            checkpoint = await _runs.GetAsync<HealthShardCheckpointEntity>(HealthTables.ShardRunPartition(message.RunId), HealthTables.ShardRow(message.Shard), cancellationToken: cancellationToken)
                ?? throw new InvalidOperationException("Shard checkpoint row vanished after insert.");
        }

        if (checkpoint.Done)
        {
            HealthLog.ShardAlreadyDone(logger, message.RunId, message.Shard);
            return await TryCompleteRunAsync(message.RunId, cancellationToken);
        }

        if (checkpoint.Continuation is not null)
        {
            HealthLog.ShardResumed(logger, message.RunId, message.Shard, checkpoint.Accounts);
        }

        var started = time.GetTimestamp();
        var accountsBefore = checkpoint.Accounts;
        var (firstBucket, endBucket) = AccountShard.BucketRange(message.Shard, message.ShardCount);
        var day = DateOnly.FromDateTime(message.AsOf.UtcDateTime);
        var writes = new ShardPageWrites(message.RunId, message.Shard);
        var peers = await HealthLoginBenchmarkEntity.ReadAsync(_runs, _options, cancellationToken);
        var loginRates = LoginRateHistogram.Parse(checkpoint.LoginRates);
        var previousById = new Dictionary<string, HealthScoreEntity>(StringComparer.Ordinal);
        await using var previousScores = new PreviousScoreCursor(_scores, firstBucket, endBucket - 1, cancellationToken);
        var continuation = checkpoint.Continuation;
        do
        {
            var page = await signals.ReadPageAsync(message.Shard, message.ShardCount, day, continuation, _options.PageSize, cancellationToken);
            await previousScores.ReadAsync(page.Accounts, previousById);

            writes.Clear();
            foreach (var account in page.Accounts)
            {
                HealthScore score;
                HealthScore? previous;
                double? loginRate;
                try
                {
                    var previousRow = previousById.GetValueOrDefault(account.AccountId);
                    previous = previousRow?.ToScore();
                    (score, loginRate) = calculator.ScoreAsPeer(account, previous, previousRow?.ToOverride(), message.AsOf, peers);
                }
#pragma warning disable CA1031 // One account's bad data must not stop its shard; it is counted and logged.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    checkpoint.Failures++;
                    HealthLog.AccountFailed(logger, ex, message.RunId, message.Shard, account.AccountId);
                    continue;
                }

                if (score.Lifecycle == AccountLifecycleState.Churned && (previous is null || previous.Lifecycle == AccountLifecycleState.Churned))
                {
                    // Churned and already told (or never scored): out of scoring, nothing to write.
                    continue;
                }

                writes.Add(score, account, HealthTransitions.For(score, previous, account, message.RunId));
                if (loginRate is { } rate)
                {
                    loginRates.Add(score.Segment, rate);
                }

                checkpoint.Accounts++;
                if (previous is not null && previous.Band != score.Band)
                {
                    checkpoint.BandChanges++;
                }
            }

            await writes.SubmitAsync(_transitions, _history, _scores, cancellationToken);
            continuation = page.Continuation;

            // Checkpoint after the page's results are durable: a redelivery resumes at the next page.
            checkpoint.Continuation = continuation;
            checkpoint.LoginRates = loginRates.Serialize();
            checkpoint.Done = continuation is null;
            checkpoint.UpdatedAt = time.GetUtcNow();
            var saved = await _runs.UpdateAsync(checkpoint, checkpoint.ETag, TableUpdateMode.Replace, cancellationToken);
            if (!saved.Succeeded)
            {
                throw new InvalidOperationException($"Shard {message.Shard} of run {message.RunId} is being scored by another delivery (checkpoint {saved.Status}).");
            }

            checkpoint.ETag = saved.ETag;
        }
        while (continuation is not null);

        HealthLog.ShardCompleted(logger, message.RunId, message.Shard, checkpoint.Accounts, checkpoint.BandChanges, checkpoint.Failures);
        metrics?.RecomputeShard(time.GetElapsedTime(started), checkpoint.Accounts - accountsBefore);
        return await TryCompleteRunAsync(message.RunId, cancellationToken);
    }

    /// <summary>When every shard is done, stores and logs the run summary (once: the run row's ETag guards it).</summary>
    public async Task<HealthRunSummary?> TryCompleteRunAsync(string runId, CancellationToken cancellationToken)
    {
        var run = await _runs.GetAsync<HealthRunEntity>(HealthTables.RunPartition, runId, cancellationToken: cancellationToken);
        if (run is null)
        {
            return null;
        }

        if (run.Status == HealthRunStatus.Completed)
        {
            return SummaryOf(run, completed: true);
        }

        long done = 0, scored = 0, changes = 0, failed = 0;
        var loginRates = new LoginRateHistogram();
        await foreach (var shard in _runs.QueryAsync<HealthShardCheckpointEntity>(TableFilter.Partition(HealthTables.ShardRunPartition(runId)), cancellationToken: cancellationToken))
        {
            done += shard.Done ? 1 : 0;
            scored += shard.Accounts;
            changes += shard.BandChanges;
            failed += shard.Failures;
            loginRates.Merge(LoginRateHistogram.Parse(shard.LoginRates));
        }

        if (done < run.ShardCount)
        {
            return SummaryOf(run, completed: false);
        }

        var now = time.GetUtcNow();
        run.Status = HealthRunStatus.Completed;
        run.CompletedAt = now;
        run.AccountsScored = scored;
        run.BandChanges = changes;
        run.Failures = failed;
        run.DurationMs = (long)(now - run.StartedAt).TotalMilliseconds;
        var updated = await _runs.UpdateAsync(run, run.ETag, TableUpdateMode.Replace, cancellationToken);
        if (updated.Succeeded)
        {
            HealthLog.RunCompleted(logger, runId, scored, changes, failed, run.DurationMs);
            var current = await _runs.GetAsync<HealthRunPointerEntity>(HealthTables.RunPartition, HealthTables.CurrentRunRow, cancellationToken: cancellationToken);
            if (current?.RunId == runId)
            {
                current.Status = HealthRunStatus.Completed;
                current.CompletedAt = now;
                await _runs.UpdateAsync(current, current.ETag, TableUpdateMode.Replace, cancellationToken);
            }

            await SaveLoginBenchmarkAsync(loginRates.Benchmark(runId, _options.PeerBenchmarkMinimumAccounts), now, cancellationToken);
            await RebuildPortfolioIndexAsync(runId, cancellationToken);
        }

        return SummaryOf(run, completed: true);
    }

    /// <summary>
    /// Keeps the run's measure of the peers' login cadence for the next run. After the run is complete and the pointer
    /// released, and failing here does not fail the run: the next run reads the previous measure, or the fixed yardstick.
    /// </summary>
    private async Task SaveLoginBenchmarkAsync(PeerLoginBenchmark benchmark, DateTimeOffset measuredAt, CancellationToken cancellationToken)
    {
        try
        {
            await _runs.UpsertAsync(HealthLoginBenchmarkEntity.From(benchmark, measuredAt), TableUpdateMode.Replace, cancellationToken);
            HealthLog.LoginBenchmarkMeasured(logger, benchmark.RunId, benchmark.Peers, benchmark.Smb, benchmark.MidMarket, benchmark.Enterprise);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            HealthLog.LoginBenchmarkNotSaved(logger, e, benchmark.RunId);
        }
    }

    /// <summary>
    /// The portfolio views read the index only when it was built after the last completed run, so the run that
    /// completes builds it again. Failing here does not fail the run: the views scan until the hourly snapshot builds it.
    /// </summary>
    private async Task RebuildPortfolioIndexAsync(string runId, CancellationToken cancellationToken)
    {
        if (portfolioIndex is null)
        {
            return;
        }

        try
        {
            await portfolioIndex.BuildAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            HealthLog.PortfolioIndexNotBuilt(logger, e, runId);
        }
    }

    private static HealthRunSummary SummaryOf(HealthRunEntity run, bool completed) =>
        new(run.RowKey, run.AccountsScored, run.BandChanges, run.Failures, TimeSpan.FromMilliseconds(run.DurationMs), completed);
}

/// <summary>
/// One page's results, written in entity-group batches: transitions first (their own partition per run and shard),
/// then history and scores, each grouped by partition in page order (a page's accounts are neighbours, so a page is a
/// batch or two per table). Scores go last: once an account's score is stored, a redelivered page compares against
/// it and would not raise its transition again, so the transition must already be durable.
/// </summary>
internal sealed class ShardPageWrites(string runId, int shard)
{
    private readonly List<TableTransactionAction> _transitions = [];
    private readonly List<TableTransactionAction> _history = [];
    private readonly List<TableTransactionAction> _scores = [];

    public void Clear()
    {
        _transitions.Clear();
        _history.Clear();
        _scores.Clear();
    }

    public void Add(HealthScore score, AccountSignals account, HealthTransition? transition)
    {
        if (transition is not null)
        {
            _transitions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, HealthTransitionEntity.From(transition, shard)));
        }

        if (score.Lifecycle != AccountLifecycleState.Churned)
        {
            // A churned account's history ends with its final score.
            _history.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, HealthHistoryEntity.From(score)));
        }

        _scores.Add(new TableTransactionAction(TableTransactionActionType.UpsertMerge, HealthScoreEntity.From(score, account)));
    }

    public async Task SubmitAsync(AppTable transitions, AppTable history, AppTable scores, CancellationToken cancellationToken)
    {
        await SubmitByPartitionAsync(transitions, _transitions, cancellationToken);
        await SubmitByPartitionAsync(history, _history, cancellationToken);
        await SubmitByPartitionAsync(scores, _scores, cancellationToken);
    }

    private async Task SubmitByPartitionAsync(AppTable table, List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        var batch = new List<TableTransactionAction>(AppTable.MaxTransactionActions);
        foreach (var action in actions)
        {
            if (batch.Count == AppTable.MaxTransactionActions || (batch.Count > 0 && batch[0].Entity.PartitionKey != action.Entity.PartitionKey))
            {
                await SubmitAsync(table, batch, cancellationToken);
                batch.Clear();
            }

            batch.Add(action);
        }

        if (batch.Count > 0)
        {
            await SubmitAsync(table, batch, cancellationToken);
        }
    }

    private async Task SubmitAsync(AppTable table, List<TableTransactionAction> batch, CancellationToken cancellationToken)
    {
        var result = await table.SubmitAsync([.. batch], cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Health batch of run {runId} shard {shard} refused by {table.Name} at action {result.FailedActionIndex}: {result.FailedStatus} {result.ErrorCode}");
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
        if (previous is not null && previous.Band == score.Band && previous.Flags == score.Flags && previous.Day == score.Day && previous.Lifecycle == score.Lifecycle)
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
            CausedBy = signals.LastChangeTrace,
            ScoredAt = score.ScoredAt,
            AccountName = signals.Name,
            Segment = score.Segment,
            CsmEmail = signals.CsmEmail,
            Score = score.Score,
            Band = score.Band,
            PreviousBand = previous?.Band,
            DaysInBand = score.DaysInBand,
            Trend = score.Trend,
            Onboarding = score.Onboarding,
            Lifecycle = score.Lifecycle,
            FirstScoredOn = score.FirstScoredOn == default ? null : score.FirstScoredOn,
            CancelsAt = score.Lifecycle == AccountLifecycleState.Cancelling ? signals.CancelAt ?? signals.RenewalDate : null,
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
            LastNpsScore = signals.LastNpsScore,
            LastNpsAt = signals.LastNpsAt,
            DataExportRequestedAt = signals.DataExportRequestedAt,
            LastRenewalConversationAt = signals.LastRenewalConversationAt,
            MissedMeetingsInRow = signals.MissedMeetingsInRow,
            LastMeetingMissedAt = signals.LastMeetingMissedAt,
        };
    }
}

/// <summary>
/// The previous score rows of a shard's accounts, read as one forward scan of the shard's bucket range in pages of
/// 1,000 alongside the signal pages (a merge by score row key: bucket, then account id, the order the shard's pages
/// arrive in), instead of one range query per page of accounts: ten times fewer requests. A page whose keys come
/// before the scan's position (a source that pages in another order) restarts the scan there.
/// </summary>
internal sealed class PreviousScoreCursor(AppTable scores, int firstBucket, int lastBucket, CancellationToken cancellationToken, int scanPageSize = 1000) : IAsyncDisposable
{
    private IAsyncEnumerator<HealthScoreEntity>? _scan;
    private HealthScoreEntity? _ahead;
    private string? _position;

    /// <summary>Fills <paramref name="byId"/> with the score rows of <paramref name="page"/>'s accounts that exist.</summary>
    public async Task ReadAsync(IReadOnlyList<AccountSignals> page, Dictionary<string, HealthScoreEntity> byId)
    {
        byId.Clear();
        if (page.Count == 0)
        {
            return;
        }

        // Keys, not ids: score rows sort by bucket, then account, the order the shard's signal pages arrive in.
        var wanted = new Dictionary<string, string>(page.Count, StringComparer.Ordinal);
        string? min = null, minId = null, max = null;
        foreach (var account in page)
        {
            var key = HealthTables.ScoreRow(account.AccountId);
            wanted[key] = account.AccountId;
            if (min is null || string.CompareOrdinal(key, min) < 0)
            {
                (min, minId) = (key, account.AccountId);
            }

            if (max is null || string.CompareOrdinal(key, max) > 0)
            {
                max = key;
            }
        }

        if (_scan is null || _position is null || string.CompareOrdinal(min, _position) <= 0)
        {
            await RestartAtAsync(minId!);
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

    private async Task RestartAtAsync(string fromAccountId)
    {
        await DisposeAsync();
        var bucket = AccountShard.BucketOf(fromAccountId);
        var filter = HealthTables.ScoresOfBuckets(Math.Min(firstBucket, bucket), Math.Max(lastBucket, bucket), fromAccountId);
        _scan = scores.QueryAsync<HealthScoreEntity>(filter, pageSize: scanPageSize, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
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
