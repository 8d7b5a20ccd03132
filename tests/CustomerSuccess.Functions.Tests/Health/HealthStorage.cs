using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>Health's tables on the shared Azurite, emptied for each test (tests of the Azurite collection run one at a time).</summary>
internal static class HealthStorage
{
    public static readonly string[] Tables = [HealthTables.Scores, HealthTables.History, HealthTables.Transitions, HealthTables.Runs];

    public static async Task<AppTables> FreshAsync(AzuriteFixture azurite, BatchOutagePolicy? outage = null)
    {
        await AppTablesTestKit.DeleteTablesAsync(azurite.ConnectionString, Tables);
        var tables = AppTablesTestKit.Create(azurite.ConnectionString, outage, Tables);
        foreach (var name in Tables)
        {
            // As the app's start-up provisioner does: the first write of a test is then one request, as in production.
            await tables.EnsureAsync(name, CancellationToken.None);
        }

        return tables;
    }

    public static async Task<List<T>> AllAsync<T>(this AppTables tables, string table)
        where T : class, Azure.Data.Tables.ITableEntity, new()
    {
        var rows = new List<T>();
        await foreach (var row in tables[table].QueryAsync<T>(TableFilter.All))
        {
            rows.Add(row);
        }

        return rows;
    }
}
