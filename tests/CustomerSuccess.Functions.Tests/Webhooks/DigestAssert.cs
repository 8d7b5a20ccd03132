using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>The invariant the recompute relies on: an account's digest projects to exactly what its partition does.</summary>
internal static class DigestAssert
{
    public static async Task MatchesPartitionAsync(ITableStore store, string accountId, DateOnly asOf)
    {
        var reader = new AccountSignalReader(store);
        var stored = await store.GetAsync(AccountDigestStore.Table, AccountDigest.Partition(accountId), accountId);
        Assert.NotNull(stored);
        var digest = AccountDigest.FromEntity(stored);
        Assert.False(digest.Overflow);
        var fromPartition = await reader.ReadPartitionAsync(accountId, asOf, CancellationToken.None) with { ObservedSince = digest.ObservedSince };

        Assert.Equal(Json(fromPartition), Json(digest.ToSignals(asOf)));
    }

    public static string Json(AccountSignals signals) => JsonSerializer.Serialize(signals with
    {
        // Timestamps as UTC instants, so an offset written differently is not a difference.
        RenewalDate = signals.RenewalDate?.ToUniversalTime(),
        CustomerSince = signals.CustomerSince?.ToUniversalTime(),
        ChurnedAt = signals.ChurnedAt?.ToUniversalTime(),
        ObservedSince = signals.ObservedSince?.ToUniversalTime(),
        Milestones = signals.Milestones.ToDictionary(m => m.Key, m => m.Value.ToUniversalTime()),
    });
}
