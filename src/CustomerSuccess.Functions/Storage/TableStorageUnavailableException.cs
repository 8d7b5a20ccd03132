namespace CustomerSuccess.Functions.Storage;

/// <summary>Thrown when storage cannot be reached or keeps failing after retries: callers answer 503 so providers retry.</summary>
public sealed class TableStorageUnavailableException : Exception
{
    public TableStorageUnavailableException()
    {
    }

    public TableStorageUnavailableException(string message)
        : base(message)
    {
    }

    public TableStorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
