namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Told when an external id is linked to an account, so whoever parked events under the id applies them now.
/// Accounts defines it; ingestion, which holds the events, implements it.
/// </summary>
internal interface IAccountLinkListener
{
    /// <summary>Applies what was parked under the id; returns how many events that was.</summary>
    Task<int> LinkedAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken);
}
