namespace CustomerSuccess.Functions.Hosting;

/// <summary>
/// The one shape of every background loop: run an iteration, report it, and go on. An iteration that throws is
/// logged once (type and message, never a payload), reported to the loop's heartbeat, and followed by a wait that
/// doubles with each failure in a row (0.1 s up to 30 s), so a broken dependency is retried without flooding the
/// log. Only stopping the app ends the loop.
/// </summary>
public static partial class WorkerLoop
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(WorkerHeartbeat heartbeat, Func<CancellationToken, Task> iteration, ILogger logger, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        ArgumentNullException.ThrowIfNull(iteration);
        var failuresInARow = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await iteration(stoppingToken);
                    heartbeat.Succeeded();
                    failuresInARow = 0;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // The point of the loop: no failure of one iteration ends it.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failuresInARow++;
                    heartbeat.Failed(ex);
                    var errorType = ex.GetType().Name;
                    var message = ex.Message;
                    LogIterationFailed(logger, heartbeat.Name, failuresInARow, errorType, message);
                    try
                    {
                        await Task.Delay(Backoff(failuresInARow), stoppingToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            heartbeat.Ended(stoppingToken.IsCancellationRequested);
        }
    }

    internal static TimeSpan Backoff(int failuresInARow) =>
        failuresInARow >= 10 ? MaxBackoff : TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, FirstBackoff.Ticks << (failuresInARow - 1)));

    [LoggerMessage(EventId = 1900, Level = LogLevel.Error, Message = "Background loop {Worker} failed ({FailuresInARow} in a row, {ErrorType}: {ErrorMessage}); it goes on after a pause")]
    private static partial void LogIterationFailed(ILogger logger, string worker, int failuresInARow, string errorType, string errorMessage);
}
