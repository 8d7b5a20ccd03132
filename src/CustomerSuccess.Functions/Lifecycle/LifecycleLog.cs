namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>Source-generated log messages of the lifecycle feature (no addresses, tokens or bodies).</summary>
internal static partial class LifecycleLog
{
    [LoggerMessage(200, LogLevel.Information, "Lifecycle scan: {Accounts} accounts, {Queued} sends queued, {Exits} exits, {Deferred} deferred")]
    public static partial void ScanCompleted(ILogger logger, int accounts, int queued, int exits, int deferred);

    [LoggerMessage(201, LogLevel.Information, "Lifecycle contact {ContactId} suppressed ({Reason})")]
    public static partial void Suppressed(ILogger logger, string contactId, string reason);

    [LoggerMessage(202, LogLevel.Warning, "Lifecycle unsubscribe refused: {Problem}")]
    public static partial void UnsubscribeRefused(ILogger logger, string problem);

    [LoggerMessage(203, LogLevel.Warning, "Lifecycle send message rejected: {Problem}")]
    public static partial void SendMessageRejected(ILogger logger, string problem);

}
