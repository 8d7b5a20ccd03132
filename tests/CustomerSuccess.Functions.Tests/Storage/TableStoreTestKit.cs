using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Storage;

internal static class TableStoreTestKit
{
    public static RestTableStore CreateStore(string connectionString, RestTableClientOptions? options = null) =>
        new(new TableStorageOptions { ConnectionString = connectionString }, TimeProvider.System, NullLogger<RestTableStore>.Instance, options);

    public static string NewTableName() => "t" + Guid.NewGuid().ToString("N");
}

/// <summary>A clock that stays where the test puts it.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
