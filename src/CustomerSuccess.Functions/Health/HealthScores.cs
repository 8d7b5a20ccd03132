using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// Health's read port for the features that act on it (Lifecycle): the latest score of an account, or of a page of
/// accounts, without knowing how or where health is stored.
/// </summary>
public interface IHealthScores
{
    /// <summary>The account's latest score; null when it has not been scored.</summary>
    Task<HealthScore?> GetLatestAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>
    /// The latest scores of a page of accounts, by account id (accounts never scored are absent). Built for the pages
    /// <see cref="IAccountSignalSource"/> hands out, whose accounts are neighbours in bucket order: one range query.
    /// </summary>
    Task<IReadOnlyDictionary<string, HealthScore>> GetLatestAsync(IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken);
}

/// <summary><see cref="IHealthScores"/> over HealthScores: a point read, or one range query over the page's buckets.</summary>
internal sealed class HealthScoreReader(AppTables tables) : IHealthScores
{
    private readonly AppTable _scores = tables[HealthTables.Scores];

    public async Task<HealthScore?> GetLatestAsync(string accountId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        var row = await _scores.GetAsync<HealthScoreEntity>(HealthTables.PartitionOf(accountId), HealthTables.ScoreRow(accountId), cancellationToken: cancellationToken);
        return row?.ToScore();
    }

    public async Task<IReadOnlyDictionary<string, HealthScore>> GetLatestAsync(IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountIds);
        var scores = new Dictionary<string, HealthScore>(accountIds.Count, StringComparer.Ordinal);
        if (accountIds.Count == 0)
        {
            return scores;
        }

        var wanted = accountIds.ToHashSet(StringComparer.Ordinal);
        var buckets = wanted.Select(AccountShard.BucketOf).ToList();
        await foreach (var row in _scores.QueryAsync<HealthScoreEntity>(HealthTables.ScoresOfBuckets(buckets.Min(), buckets.Max()), cancellationToken: cancellationToken))
        {
            if (row.AccountId is { } id && wanted.Contains(id) && row.ToScore() is { } score)
            {
                scores[id] = score;
            }
        }

        return scores;
    }
}
