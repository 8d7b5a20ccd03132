namespace CustomerSuccess.Functions.Accounts;

/// <summary>An external id an account is known by: its kind (<c>stripe-customer</c>, <c>segment-group</c>, …), the provider, the id and when an event last came under it (null: linked by an admin, no event yet).</summary>
public sealed record LinkedExternalId(string Kind, string Provider, string ExternalId, DateTimeOffset? LastSeen);

/// <summary>One event folded into an account: when it happened, the provider, its kind in words and one line about it.</summary>
public sealed record RecentAccountEvent(DateTimeOffset At, string Provider, string Kind, string Summary);

/// <summary>
/// What an account's own facts say about where it comes from: the external ids its events arrived under (by kind,
/// then most recently seen first) and its latest events, newest first.
/// </summary>
public sealed record AccountActivity(string AccountId, IReadOnlyList<LinkedExternalId> LinkedIds, IReadOnlyList<RecentAccountEvent> RecentEvents);

/// <summary>
/// Accounts' read port for the account page: one account's linked ids and recent events, so other features never read
/// the account states themselves.
/// </summary>
public interface IAccountActivity
{
    /// <summary>Null when the account is not known. At most <paramref name="events"/> recent events.</summary>
    Task<AccountActivity?> ReadAsync(string accountId, int events, CancellationToken cancellationToken);
}

/// <summary><see cref="IAccountActivity"/> over the account states: one point read of the account's state.</summary>
internal sealed class AccountActivityReader(AccountStateStore states) : IAccountActivity
{
    public async Task<AccountActivity?> ReadAsync(string accountId, int events, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentOutOfRangeException.ThrowIfNegative(events);
        return (await states.ReadAsync(accountId, cancellationToken))?.State.ToActivity(events);
    }
}
