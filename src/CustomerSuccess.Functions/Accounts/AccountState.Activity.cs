namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// What the account page shows of the account's own facts: the external ids its events arrived under and a bounded
/// log of the latest events folded in. Kept in the state the applier writes anyway, so neither costs a storage round
/// trip of its own.
/// </summary>
internal sealed partial class AccountState
{
    /// <summary>Entries of the recent-event log kept: the account page shows the newest 20.</summary>
    public const int RecentEventsKept = 50;

    /// <summary>
    /// Ids kept per kind: a Segment account can be reached through many user ids, and the page shows the ones seen
    /// most recently, not all of them.
    /// </summary>
    public const int KnownIdsPerKindKept = 10;

    /// <summary>The latest events that folded something into the account, oldest first, at most <see cref="RecentEventsKept"/>.</summary>
    public List<RecentEventEntry> RecentEvents { get; set; } = [];

    /// <summary>
    /// External ids events for this account arrived under, with when each was last seen. Every one is linked to this
    /// account (the applier folds an event only into the account its id resolves to, and a link never changes).
    /// </summary>
    public List<KnownIdEntry> KnownIds { get; set; } = [];

    /// <summary>
    /// Notes an event that folded something: its id among the known ids and an entry in the recent-event log, placed by
    /// the event's time (a late event lands where it happened). The same event key is logged once, however often it is
    /// delivered or replayed.
    /// </summary>
    private void Remember(AccountEvent e, long key)
    {
        NoteKnownId(e.Account, e.Version);
        if (RecentEvents.Exists(r => r.Key == key))
        {
            return;
        }

        var (kind, summary) = AccountEventSummary.Of(e);
        var entry = new RecentEventEntry { At = e.Version, Key = key, Provider = ExternalIdKinds.ProviderOf(e.Account.Kind), Kind = kind, Summary = summary };
        var at = RecentEvents.FindLastIndex(r => r.At <= entry.At) + 1;
        RecentEvents.Insert(at, entry);
        if (RecentEvents.Count > RecentEventsKept)
        {
            RecentEvents.RemoveRange(0, RecentEvents.Count - RecentEventsKept);
        }
    }

    private void NoteKnownId(ExternalIdRef id, long seenAt)
    {
        var held = KnownIds.Find(k => k.Kind == id.Kind && k.ExternalId == id.ExternalId);
        if (held is not null)
        {
            held.LastSeen = Math.Max(held.LastSeen, seenAt);
            return;
        }

        KnownIds.Add(new KnownIdEntry { Kind = id.Kind, ExternalId = id.ExternalId, LastSeen = seenAt });
        var ofKind = KnownIds.Where(k => k.Kind == id.Kind).ToList();
        if (ofKind.Count > KnownIdsPerKindKept)
        {
            // The least recently seen of the kind goes; ties go by id so every replica drops the same one.
            var dropped = ofKind.OrderBy(k => k.LastSeen).ThenBy(k => k.ExternalId, StringComparer.Ordinal).First();
            KnownIds.Remove(dropped);
        }
    }

    /// <summary>
    /// Notes an id an admin linked to this account, not seen in an event yet (last seen 0). False when the account
    /// knows it already, so nothing needs writing.
    /// </summary>
    public bool NoteLinkedId(string kind, string externalId)
    {
        if (KnownIds.Exists(k => k.Kind == kind && k.ExternalId == externalId))
        {
            return false;
        }

        NoteKnownId(new ExternalIdRef(kind, externalId), 0);
        return true;
    }

    /// <summary>The log, newest first, at most <paramref name="count"/> entries.</summary>
    public IEnumerable<RecentEventEntry> NewestEvents(int count) => Enumerable.Reverse(RecentEvents).Take(count);

    /// <summary>The account page's view of the known ids and the newest <paramref name="events"/> events.</summary>
    public AccountActivity ToActivity(int events) => new(
        AccountId,
        [.. KnownIds
            .OrderBy(k => Array.IndexOf(ExternalIdKinds.All, k.Kind))
            .ThenByDescending(k => k.LastSeen)
            .ThenBy(k => k.ExternalId, StringComparer.Ordinal)
            .Select(k => new LinkedExternalId(k.Kind, ExternalIdKinds.ProviderOf(k.Kind), k.ExternalId, k.LastSeen > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(k.LastSeen) : null))],
        [.. NewestEvents(events).Select(r => new RecentAccountEvent(DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Provider, r.Kind, r.Summary))]);
}

/// <summary>One event in the recent-event log: when it happened (Unix ms), its key's hash, its provider and a line about it.</summary>
internal sealed class RecentEventEntry
{
    public long At { get; set; }

    public long Key { get; set; }

    public string Provider { get; set; } = string.Empty;

    public string Kind { get; set; } = string.Empty;

    public string Summary { get; set; } = string.Empty;
}

/// <summary>An external id the account's events arrived under, and when it was last seen (the event's time, Unix ms).</summary>
internal sealed class KnownIdEntry
{
    public string Kind { get; set; } = string.Empty;

    public string ExternalId { get; set; } = string.Empty;

    public long LastSeen { get; set; }
}
