using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Accounts;

internal enum LinkOutcome
{
    Linked,
    AlreadyLinked,
    LinkedToAnotherAccount,
}

internal sealed record UnlinkedId(string Kind, string ExternalId, int PendingEvents, DateTimeOffset? FirstSeen, DateTimeOffset? LastSeen);

internal sealed record ParkedEvent(WebhookProvider Provider, string EventId, string PartitionKey, string RowKey);

/// <summary>
/// One account, many external ids. Links live in AccountLinks (PK = id kind, RK = external id); signals for an
/// id nobody linked yet are parked in AccountPendingSignals and applied when the link is made, never dropped.
/// Linked accounts are listed in AccountDirectory, and get an AccountDigest for the health recompute to page through.
/// </summary>
internal sealed class AccountIdentity(ITableStore store, TimeProvider? timeProvider = null)
{
    public const string LinksTable = "AccountLinks";
    public const string PendingTable = "AccountPendingSignals";
    public const string DirectoryTable = "AccountDirectory";
    public const string DirectoryPartition = "accounts";
    // A link never changes once made (insert-and-409, and nothing deletes one), so a resolved link is remembered for
    // the life of the process: most events name an id already seen, and each lookup was a storage round trip.
    // Only links are remembered, never "not linked".
    private readonly RememberedFacts<(string Kind, string ExternalId), string> _links = new(100_000);

    /// <summary>The account an external id is linked to, or null. Linking is <see cref="LinkAsync"/>'s job.</summary>
    public async Task<string?> ResolveAsync(string kind, string externalId, CancellationToken cancellationToken)
    {
        if (_links.TryGet((kind, externalId), out var known))
        {
            return known;
        }

        var link = await store.GetAsync(LinksTable, kind, ProviderIdKeys.Escape(externalId), cancellationToken: cancellationToken);
        var accountId = link?.GetString("AccountId");
        if (accountId is not null)
        {
            _links.Remember((kind, externalId), accountId);
        }

        return accountId;
    }

    /// <summary>Insert-and-409: two admins (or an admin and an auto-link) racing leave exactly one link.</summary>
    public async Task<(LinkOutcome Outcome, string AccountId)> LinkAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(kind, ProviderIdKeys.Escape(externalId))
        {
            ["AccountId"] = accountId,
            ["Kind"] = kind,
            ["ExternalId"] = externalId,
        };
        var result = await store.InsertAsync(LinksTable, entity, cancellationToken);
        if (result.Status == TableWriteStatus.AlreadyExists)
        {
            var existing = await store.GetAsync(LinksTable, kind, ProviderIdKeys.Escape(externalId), cancellationToken: cancellationToken);
            var owner = existing?.GetString("AccountId") ?? accountId;
            _links.Remember((kind, externalId), owner);
            return (owner == accountId ? LinkOutcome.AlreadyLinked : LinkOutcome.LinkedToAnotherAccount, owner);
        }

        // The first link of an account also says since when this app has watched it (what it cannot have seen,
        // such as an onboarding that finished before, is scored as missing rather than as failed).
        // Its digest starts then too (a later link of the same account finds both there; the signal writer starts a
        // digest that is missing).
        var observedSince = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var listed = await store.InsertAsync(DirectoryTable, new TableEntity(DirectoryPartition, accountId) { ["AccountId"] = accountId, ["ObservedSince"] = observedSince }, cancellationToken);
        if (listed.Succeeded)
        {
            await new AccountDigestStore(store).StartAsync(accountId, observedSince, cancellationToken);
        }

        _links.Remember((kind, externalId), accountId);
        return (LinkOutcome.Linked, accountId);
    }

    public async Task<ParkedEvent> ParkAsync(string kind, string externalId, WebhookProvider provider, string eventId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(PendingPartition(kind, externalId), provider + "|" + ProviderIdKeys.Escape(eventId))
        {
            ["Kind"] = kind,
            ["ExternalId"] = externalId,
            ["Provider"] = provider.ToString(),
            ["EventId"] = eventId,
            ["ParkedAt"] = now,
        };
        await store.UpsertAsync(PendingTable, entity, TableUpdateMode.Replace, cancellationToken);
        return new ParkedEvent(provider, eventId, entity.PartitionKey, entity.RowKey);
    }

    public async Task<IReadOnlyList<ParkedEvent>> PendingForAsync(string kind, string externalId, CancellationToken cancellationToken)
    {
        var pk = PendingPartition(kind, externalId);
        var parked = new List<ParkedEvent>();
        await foreach (var row in store.QueryAsync(PendingTable, $"PartitionKey eq '{pk.Replace("'", "''", StringComparison.Ordinal)}'", cancellationToken: cancellationToken))
        {
            if (row.PartitionKey == pk && Enum.TryParse<WebhookProvider>(row.GetString("Provider"), out var provider) && row.GetString("EventId") is { } eventId)
            {
                parked.Add(new ParkedEvent(provider, eventId, row.PartitionKey, row.RowKey));
            }
        }

        return parked;
    }

    public Task RemovePendingAsync(ParkedEvent parked, CancellationToken cancellationToken) =>
        store.DeleteAsync(PendingTable, parked.PartitionKey, parked.RowKey, "*", cancellationToken);

    public async Task<IReadOnlyList<UnlinkedId>> ListUnlinkedAsync(CancellationToken cancellationToken)
    {
        var groups = new Dictionary<(string, string), (int Count, DateTimeOffset? First, DateTimeOffset? Last)>();
        await foreach (var row in store.QueryAsync(PendingTable, cancellationToken: cancellationToken))
        {
            var key = (row.GetString("Kind") ?? "?", row.GetString("ExternalId") ?? "?");
            var at = row.GetDateTimeOffset("ParkedAt");
            groups.TryGetValue(key, out var g);
            groups[key] = (g.Count + 1, Min(g.First, at), Max(g.Last, at));
        }

        return [.. groups.Select(g => new UnlinkedId(g.Key.Item1, g.Key.Item2, g.Value.Count, g.Value.First, g.Value.Last)).OrderBy(u => u.Kind, StringComparer.Ordinal).ThenBy(u => u.ExternalId, StringComparer.Ordinal)];
    }

    public async Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        await store.CreateTableIfNotExistsAsync(LinksTable, cancellationToken);
        await store.CreateTableIfNotExistsAsync(PendingTable, cancellationToken);
        await store.CreateTableIfNotExistsAsync(DirectoryTable, cancellationToken);
        await store.CreateTableIfNotExistsAsync(AccountDigestStore.Table, cancellationToken);
    }

    private static string PendingPartition(string kind, string externalId) => kind + "|" + ProviderIdKeys.Escape(externalId);

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
