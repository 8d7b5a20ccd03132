using System.Globalization;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>Accounts in memory, paged per shard in bucket then account-id order (as AccountSignalReader pages); the continuation is the next index. Records each call's continuation.</summary>
internal sealed class FakeSignalSource(IEnumerable<AccountSignals> accounts) : IAccountSignalSource
{
    private readonly List<AccountSignals> _accounts = [.. accounts.OrderBy(a => AccountShard.BucketOf(a.AccountId)).ThenBy(a => a.AccountId, StringComparer.Ordinal)];

    public List<(int Shard, string? Continuation)> Calls { get; } = [];

    public Task<AccountSignalPage> ReadPageAsync(int shard, int shardCount, DateOnly asOf, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add((shard, continuation));
        }

        var inShard = _accounts.Where(a => AccountShard.Of(a.AccountId, shardCount) == shard).ToList();
        var start = continuation is null ? 0 : int.Parse(continuation, CultureInfo.InvariantCulture);
        var page = inShard.Skip(start).Take(pageSize).ToList();
        var next = start + page.Count < inShard.Count ? (start + page.Count).ToString(CultureInfo.InvariantCulture) : null;
        return Task.FromResult(new AccountSignalPage(page, next));
    }

    public Task<AccountSignals?> ReadAccountAsync(string accountId, DateOnly asOf, CancellationToken cancellationToken) =>
        Task.FromResult(_accounts.FirstOrDefault(a => a.AccountId == accountId));
}
