using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>Where a delivery on its way to the applier comes from.</summary>
internal enum DeliveryOrigin
{
    /// <summary>The inbox (a hint from the receiving request, or a sweep): claimed in the archive first.</summary>
    Inbox,

    /// <summary>The archive (a replay, a drain of parked events, a re-drive from quarantine): claimed long ago.</summary>
    Archive,
}

/// <summary>One delivery going through the applier: the stored row, its JSON, and what became of it.</summary>
internal sealed class PendingDelivery
{
    private PendingDelivery(WebhookProvider provider, WebhookDeliveryRow row, string? json, DeliveryOrigin origin, InboxKey? inboxKey)
    {
        Provider = provider;
        Row = row;
        Json = json ?? string.Empty;
        Origin = origin;
        Key = new DeliveryKey(row.PartitionKey, row.RowKey);
        InboxKey = inboxKey;

        // A damaged row: every attempt fails the same way, so it counts attempts and is quarantined in the end.
        Error = json is null ? "InvalidDataException: the stored body cannot be read" : null;
    }

    public WebhookProvider Provider { get; }

    public WebhookDeliveryRow Row { get; }

    public string Json { get; }

    public DeliveryOrigin Origin { get; }

    /// <summary>The event's key in the archive.</summary>
    public DeliveryKey Key { get; }

    /// <summary>Where this copy waits in the inbox: set for an inbox delivery, and for an archived event replayed in place of one.</summary>
    public InboxKey? InboxKey { get; }

    /// <summary>The archived outcome before this pass (archive origin only).</summary>
    public string? PreviousOutcome { get; private init; }

    /// <summary>The parked entry this delivery was drained from, removed once it is applied.</summary>
    public ParkedEvent? DrainedFrom { get; private init; }

    public EventMapping? Mapping { get; set; }

    public string? AccountId { get; set; }

    /// <summary>Set once the applier is done with it (<see cref="DeliveryOutcomes"/>).</summary>
    public string? Outcome { get; set; }

    /// <summary>Why this pass failed (the exception's type and message), if it did.</summary>
    public string? Error { get; set; }

    /// <summary>
    /// The outcome the claim of this inbox copy left in the archive (this page's claim, or the copy's own claim by an
    /// earlier try): an end that differs from it is recorded over it, one that matches costs no write.
    /// </summary>
    public string? ClaimedOutcome { get; set; }

    public bool Counted { get; set; }

    /// <summary>An event recorded as applied before re-applies only its versioned state, never its counters.</summary>
    public bool CountersAllowed => PreviousOutcome != DeliveryOutcomes.Applied;

    public AccountEvent? Event => Mapping?.Event;

    /// <summary>A delivery just stored by the receiving request under <paramref name="inboxKey"/> (already mapped at the edge).</summary>
    public static PendingDelivery Received(WebhookProvider provider, InboxKey inboxKey, WebhookDeliveryRow row, string json, EventMapping mapping) =>
        new(provider, row, json, DeliveryOrigin.Inbox, inboxKey) { Mapping = mapping };

    /// <summary>An inbox row found by a sweep (keyed by its event, as archived), or null when its provider is unknown.</summary>
    public static PendingDelivery? FromInbox(InboxKey inboxKey, WebhookDeliveryRow row) =>
        Enum.TryParse<WebhookProvider>(row.Provider, out var provider) ? new(provider, row, BodyOf(row), DeliveryOrigin.Inbox, inboxKey) : null;

    /// <summary>
    /// An archived event, or null when its provider is unknown; <paramref name="inboxCopy"/> when it is replayed in place
    /// of a copy waiting in the inbox.
    /// </summary>
    public static PendingDelivery? FromArchive(WebhookDeliveryRow row, ParkedEvent? drainedFrom = null, InboxKey? inboxCopy = null) =>
        Enum.TryParse<WebhookProvider>(row.Provider, out var provider)
            ? new(provider, row, BodyOf(row), DeliveryOrigin.Archive, inboxCopy) { PreviousOutcome = row.Outcome, DrainedFrom = drainedFrom }
            : null;

    private static string? BodyOf(WebhookDeliveryRow row)
    {
        try
        {
            return row.ReadBody();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
