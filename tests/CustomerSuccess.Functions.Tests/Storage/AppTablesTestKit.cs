using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>The app's own table layer over a real Table endpoint (Azurite in tests), as the app builds it.</summary>
internal static class AppTablesTestKit
{
    public static AppTables Create(string connectionString, params string[] declared) =>
        new(ServiceClient(connectionString), declared.Select(n => new DeclaredTable(n)), NullLogger<AppTables>.Instance);

    public static TableServiceClient ServiceClient(string connectionString) =>
        StorageModule.CreateServiceClient(new TableStorageOptions { ConnectionString = connectionString });
}
