using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>Health's tables on the shared Azurite, emptied for each test (tests of the Azurite collection run one at a time).</summary>
internal static class HealthStorage
{
    public static readonly string[] Tables = [HealthTables.Scores, HealthTables.History, HealthTables.Transitions, HealthTables.Runs, PortfolioIndex.Table];

    public static Task<AppTables> FreshAsync(AzuriteFixture azurite, BatchOutagePolicy? outage = null) =>
        AppTablesTestKit.FreshAsync(azurite.ConnectionString, outage, Tables);
}
