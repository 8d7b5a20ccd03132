namespace CustomerSuccess.Functions.Health;

internal static partial class HealthLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Health run {RunId} started: {ShardCount} shards as of {AsOf}")]
    public static partial void RunStarted(ILogger logger, string runId, int shardCount, DateTimeOffset asOf);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Health run {RunId} not started: run {ActiveRunId} is still in progress")]
    public static partial void RunSkippedInProgress(ILogger logger, string runId, string activeRunId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Health shard {Shard} of run {RunId} resumed from its checkpoint after {AccountsScored} accounts")]
    public static partial void ShardResumed(ILogger logger, string runId, int shard, int accountsScored);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Health shard {Shard} of run {RunId} done: {AccountsScored} scored, {BandChanges} band changes, {Failures} failures")]
    public static partial void ShardCompleted(ILogger logger, string runId, int shard, int accountsScored, int bandChanges, int failures);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Health run {RunId} complete: {AccountsScored} accounts scored, {BandChanges} band changes, {Failures} failures, {DurationMs} ms")]
    public static partial void RunCompleted(ILogger logger, string runId, long accountsScored, long bandChanges, long failures, long durationMs);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Health shard {Shard} of run {RunId}: account {AccountId} could not be scored")]
    public static partial void AccountFailed(ILogger logger, Exception exception, string runId, int shard, string accountId);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Health shard message rejected: {Reason}")]
    public static partial void ShardMessageRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Health shard {Shard} of run {RunId} already done; delivery acknowledged")]
    public static partial void ShardAlreadyDone(ILogger logger, string runId, int shard);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Health run {RunId} complete, but the portfolio index was not rebuilt; portfolio views scan the score rows until the next snapshot")]
    public static partial void PortfolioIndexNotBuilt(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Health run {RunId} measured the peers' login yardstick over {Peers} established accounts: SMB {Smb}, Mid-Market {MidMarket}, Enterprise {Enterprise} logins per active user-week")]
    public static partial void LoginBenchmarkMeasured(ILogger logger, string runId, int peers, double? smb, double? midMarket, double? enterprise);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Health run {RunId} complete, but its measure of the peers' login yardstick was not saved; the next run reads the previous one")]
    public static partial void LoginBenchmarkNotSaved(ILogger logger, Exception exception, string runId);
}
