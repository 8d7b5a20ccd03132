namespace CustomerSuccess.Functions.Storage;

internal static partial class TableStorageLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Table storage at {Host} is unavailable ({Operation})")]
    public static partial void StorageUnavailable(ILogger logger, string host, string operation, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Table storage refused {Operation} on {Table}: {Status} {ErrorCode}")]
    public static partial void RequestRefused(ILogger logger, string operation, string table, int status, string? errorCode);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Created table {Table}")]
    public static partial void TableCreated(ILogger logger, string table);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Table storage client for {Endpoint} using {Credential} authorization")]
    public static partial void ClientCreated(ILogger logger, string endpoint, string credential);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "AzureWebJobsStorage is not set; using the local development storage (Azurite) because the environment is Development")]
    public static partial void UsingDevelopmentStorage(ILogger logger);
}
