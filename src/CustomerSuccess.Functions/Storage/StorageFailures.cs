using System.Net.Sockets;
using Azure;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// Which failures mean "storage is unreachable or overloaded, try later" (the caller answers 503, a timer or
/// queue retries) as opposed to a request the service refused for a reason of its own (a bug to fix). The SDK
/// has already retried the transient ones by the time they arrive here.
/// </summary>
internal static class StorageFailures
{
    public static bool IsUnavailable(Exception exception, CancellationToken callerToken) => exception switch
    {
        TableStorageUnavailableException => false,
        RequestFailedException { Status: 0 or 408 or 429 or >= 500 } => true,
        RequestFailedException => false,
        HttpRequestException or IOException or SocketException or TimeoutException => true,

        // A timeout inside the pipeline surfaces as a cancellation nobody asked for.
        OperationCanceledException => !callerToken.IsCancellationRequested,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsUnavailable(e, callerToken)),
        _ => exception.InnerException is { } inner && IsUnavailable(inner, callerToken),
    };

    public static TableStorageUnavailableException Unavailable(Exception cause, string operation) =>
        new($"Table storage is unavailable ({operation}): {cause.GetType().Name}", cause);
}
