using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

internal enum LinkOutcome
{
    Linked,
    AlreadyLinked,
    LinkedToAnotherAccount,
}

internal sealed record UnlinkedId(string Kind, string ExternalId, int PendingEvents, DateTimeOffset? FirstSeen, DateTimeOffset? LastSeen);

/// <summary>
/// An event waiting for its account: the id it names, the key of the event in the ingestion side's archive (opaque
/// here) and which source it came from.
/// </summary>
internal sealed record ParkedEvent(string Kind, string ExternalId, string EventKey, string Source);

/// <summary>
/// One account, many external ids. Links live in AccountLinks (PK = <c>{kind}|{xx}</c>, one of
/// <see cref="LinkBuckets"/> buckets of a stable hash of the external id, so no partition holds every id of a kind;
/// RK = the external id as a key); a link never changes once made (insert-and-409, nothing deletes one). Events
/// naming an id nobody linked yet are parked in AccountParked (PK = kind|id, RK = the event's key) and applied when the link is made, never dropped. The first
/// link of an account creates its state, which records since when this app has watched it.
/// </summary>
internal sealed class AccountIdentity(AppTables tables, AccountStateStore states, TimeProvider timeProvider)
{
    public const string LinksTable = "AccountLinks";
    public const string ParkedTable = "AccountParked";
    public const int LinkBuckets = 256;

    // Links never change, so a resolved one is remembered for the life of the process: most events name an id seen
    // before, and each lookup was a round trip. Only links are remembered, never "not linked".
    private readonly RememberedFacts<(string Kind, string ExternalId), string> _links = new(100_000);

    // Accounts whose state is known to exist: a later link of the same account skips creating it.
    private readonly RememberedFacts<string, bool> _started = new(100_000);

    private AppTable Links => tables[LinksTable];

    private AppTable Parked => tables[ParkedTable];

    /// <summary>The account an external id is linked to, or null. Linking is <see cref="LinkAsync"/>'s job.</summary>
    public async Task<string?> ResolveAsync(string kind, string externalId, CancellationToken cancellationToken)
    {
        if (_links.TryGet((kind, externalId), out var known))
        {
            return known;
        }

        var link = await Links.GetAsync<AccountLinkRow>(LinkPartition(kind, externalId), ProviderIdKeys.Escape(externalId), cancellationToken: cancellationToken);
        if (link?.AccountId is { } accountId)
        {
            _links.Remember((kind, externalId), accountId);
        }

        return link?.AccountId;
    }

    /// <summary>Insert-and-409: two admins (or an admin and an auto-link) racing leave exactly one link.</summary>
    public async Task<(LinkOutcome Outcome, string AccountId)> LinkAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken)
    {
        var row = new AccountLinkRow { PartitionKey = LinkPartition(kind, externalId), RowKey = ProviderIdKeys.Escape(externalId), AccountId = accountId, Kind = kind, ExternalId = externalId };
        var inserted = await Links.AddAsync(row, cancellationToken);
        if (inserted.Status == TableWriteStatus.AlreadyExists)
        {
            var existing = await Links.GetAsync<AccountLinkRow>(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken);
            var owner = existing?.AccountId ?? accountId;
            _links.Remember((kind, externalId), owner);
            return (owner == accountId ? LinkOutcome.AlreadyLinked : LinkOutcome.LinkedToAnotherAccount, owner);
        }

        // The first link starts the account's state, so it is scored before any event arrives; a later link finds it.
        if (!_started.TryGet(accountId, out _))
        {
            await states.TryCreateAsync(accountId, timeProvider.GetUtcNow(), cancellationToken);
            _started.Remember(accountId, true);
        }

        _links.Remember((kind, externalId), accountId);
        return (LinkOutcome.Linked, accountId);
    }

    /// <summary>Parks events under the ids they name (one request per partition of up to 100).</summary>
    public async Task ParkAsync(IReadOnlyList<ParkedEvent> events, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var actions = events.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new ParkedEventRow
        {
            PartitionKey = ParkedPartition(e.Kind, e.ExternalId),
            RowKey = e.EventKey,
            Kind = e.Kind,
            ExternalId = e.ExternalId,
            Source = e.Source,
            ParkedAt = now,
        })).ToList();
        await Parked.SubmitEachAsync(actions, cancellationToken);
    }

    public async Task<IReadOnlyList<ParkedEvent>> ParkedUnderAsync(string kind, string externalId, CancellationToken cancellationToken)
    {
        var parked = new List<ParkedEvent>();
        await foreach (var row in Parked.QueryAsync<ParkedEventRow>(TableFilter.Partition(ParkedPartition(kind, externalId)), cancellationToken: cancellationToken))
        {
            parked.Add(new ParkedEvent(kind, externalId, row.RowKey, row.Source ?? string.Empty));
        }

        return parked;
    }

    /// <summary>Removes parked events once they are applied (already gone is fine).</summary>
    public async Task RemoveParkedAsync(IEnumerable<ParkedEvent> events, CancellationToken cancellationToken)
    {
        var actions = events.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(ParkedPartition(e.Kind, e.ExternalId), e.EventKey), ETag.All)).ToList();
        await Parked.SubmitEachAsync(actions, cancellationToken);
    }

    public async Task<IReadOnlyList<UnlinkedId>> ListUnlinkedAsync(CancellationToken cancellationToken)
    {
        var groups = new Dictionary<(string, string), (int Count, DateTimeOffset? First, DateTimeOffset? Last)>();
        await foreach (var row in Parked.QueryAsync<ParkedEventRow>(TableFilter.All, cancellationToken: cancellationToken))
        {
            var key = (row.Kind ?? "?", row.ExternalId ?? "?");
            groups.TryGetValue(key, out var g);
            groups[key] = (g.Count + 1, Min(g.First, row.ParkedAt), Max(g.Last, row.ParkedAt));
        }

        return [.. groups.Select(g => new UnlinkedId(g.Key.Item1, g.Key.Item2, g.Value.Count, g.Value.First, g.Value.Last)).OrderBy(u => u.Kind, StringComparer.Ordinal).ThenBy(u => u.ExternalId, StringComparer.Ordinal)];
    }

    /// <summary>The partition of a link: the id kind and two hex digits of a stable hash of the external id.</summary>
    public static string LinkPartition(string kind, string externalId) =>
        kind + "|" + StableBucket.Of(externalId, LinkBuckets).ToString("x2", System.Globalization.CultureInfo.InvariantCulture);

    private static string ParkedPartition(string kind, string externalId) => kind + "|" + ProviderIdKeys.Escape(externalId);

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}

internal sealed class AccountLinkRow : TableRow
{
    public string? AccountId { get; set; }

    public string? Kind { get; set; }

    public string? ExternalId { get; set; }
}

internal sealed class ParkedEventRow : TableRow
{
    public string? Kind { get; set; }

    public string? ExternalId { get; set; }

    public string? Source { get; set; }

    public DateTimeOffset? ParkedAt { get; set; }
}
