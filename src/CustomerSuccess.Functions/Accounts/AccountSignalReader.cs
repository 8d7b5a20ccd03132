namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// <see cref="IAccountSignalSource"/> over the account states: a shard's page is one range query over the shard's
/// buckets of AccountStates, each state projected to the scoring contract.
/// </summary>
internal sealed class AccountSignalReader(AccountStateStore states) : IAccountSignalSource
{
    public async Task<AccountSignalPage> ReadPageAsync(int shard, int shardCount, DateOnly asOf, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        var page = await states.ReadPageAsync(shard, shardCount, continuation, pageSize, cancellationToken);
        return new AccountSignalPage([.. page.States.Select(s => s.ToSignals(asOf))], page.Continuation);
    }

    public async Task<AccountSignals?> ReadAccountAsync(string accountId, DateOnly asOf, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        return (await states.ReadAsync(accountId, cancellationToken))?.State.ToSignals(asOf);
    }
}
