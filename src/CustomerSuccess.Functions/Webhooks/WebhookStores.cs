using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// WebhookInbox: deliveries acknowledged and not yet applied, one row per copy received (<see cref="InboxKey"/>: by the
/// second of arrival and a part of it, the event's archive key as row key). The acknowledgement is one insert here.
/// Inserts that arrive together (concurrent requests, the events of one Segment batch) share entity-group transactions
/// (<see cref="TableGroupCommit{T}"/>). Rows leave once their event is archived with a final outcome, so the table
/// stays small and the sweep's query over it stays cheap.
/// </summary>
internal sealed class WebhookInbox
{
    public const string Table = "WebhookInbox";

    /// <summary>
    /// Deliveries of one second this process puts in a partition before it opens the next part of that second: more
    /// than a transaction holds, few enough that a lookup in the Table emulator, which scans the partition, stays cheap.
    /// </summary>
    public const int RowsPerPart = 200;

    private readonly AppTables _tables;
    private readonly TableGroupCommit<TableEntity> _inserts;
    private readonly Lock _parts = new();
    private string _second = string.Empty;
    private int _inSecond;

    public WebhookInbox(AppTables tables)
    {
        _tables = tables;
        _inserts = new TableGroupCommit<TableEntity>(tables[Table], TableEntitySize.EstimatedWireBytes);
    }

    private AppTable Inbox => _tables[Table];

    /// <summary>Round trips the inserts have cost so far, and the inserts asked for: how well they were grouped.</summary>
    public (long Requests, long Inserts) InsertTraffic => (_inserts.RequestsSent, _inserts.InsertsRequested);

    /// <summary>
    /// Where a delivery received at <paramref name="receivedAt"/> goes: its second, and the part of it that is filling
    /// (<see cref="RowsPerPart"/>). A delivery dated before the latest second seen goes to that second's current part.
    /// </summary>
    public InboxKey KeyFor(DeliveryKey delivery, DateTimeOffset receivedAt, int partitionsPerSecond)
    {
        var second = InboxKey.SecondOf(receivedAt);
        int part;
        lock (_parts)
        {
            if (string.CompareOrdinal(second, _second) > 0)
            {
                (_second, _inSecond) = (second, 0);
            }

            part = _inSecond++ / RowsPerPart;
        }

        return InboxKey.For(delivery, receivedAt, partitionsPerSecond, part);
    }

    /// <summary>
    /// Stores the row (keyed by its event, as archived) under <paramref name="key"/>;
    /// <see cref="TableWriteStatus.AlreadyExists"/> when a copy of the event is there already (received into the same
    /// part of a second). Not cancellable once called.
    /// </summary>
    public Task<TableWriteStatus> InsertAsync(InboxKey key, WebhookDeliveryRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var entity = row.ToStoredEntity();
        entity.PartitionKey = key.PartitionKey;
        entity.RowKey = key.RowKey;
        return _inserts.InsertAsync(entity);
    }

    /// <summary>
    /// Pending deliveries received before <paramref name="receivedBefore"/> (all when null), oldest first, at most
    /// <paramref name="max"/>: where each waits, and its row keyed by its event as archived. A row whose key names no
    /// event is left out.
    /// </summary>
    public async Task<IReadOnlyList<(InboxKey Key, WebhookDeliveryRow Row)>> PendingAsync(DateTimeOffset? receivedBefore, WebhookProvider? provider, int max, CancellationToken cancellationToken)
    {
        var filter = receivedBefore is { } before ? TableFilter.Of($"ReceivedAt lt {before}") : TableFilter.All;
        if (provider is { } p)
        {
            filter = filter.And(TableFilter.Of($"Provider eq {p.ToString()}"));
        }

        var rows = new List<(InboxKey, WebhookDeliveryRow)>();
        await foreach (var row in Inbox.QueryAsync<WebhookDeliveryRow>(filter, cancellationToken: cancellationToken))
        {
            var key = new InboxKey(row.PartitionKey, row.RowKey);
            if (key.TryGetDelivery(out var delivery))
            {
                (row.PartitionKey, row.RowKey) = (delivery.PartitionKey, delivery.RowKey);
                rows.Add((key, row));
            }

            if (rows.Count == max)
            {
                break;
            }
        }

        return [.. rows.OrderBy(r => r.Item2.ReceivedAt)];
    }

    /// <summary>Whether the inbox still holds this copy of the event (<see cref="WebhookDeliveryRow.CopyId"/>).</summary>
    public async Task<bool> HoldsAsync(InboxKey key, string? copyId, CancellationToken cancellationToken) =>
        (await Inbox.GetAsync<WebhookDeliveryRow>(key.PartitionKey, key.RowKey, [nameof(WebhookDeliveryRow.CopyId)], cancellationToken))?.CopyId is { } held
        && string.Equals(held, copyId, StringComparison.Ordinal);

    public Task RemoveAsync(IEnumerable<InboxKey> keys, CancellationToken cancellationToken) =>
        Inbox.SubmitEachAsync([.. keys.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(k.PartitionKey, k.RowKey), ETag.All))], cancellationToken);

    /// <summary>Records failed attempts on deliveries that stay in the inbox for the next sweep.</summary>
    public Task RecordFailuresAsync(IEnumerable<(InboxKey Key, int Attempts, string Error)> failures, DateTimeOffset at, CancellationToken cancellationToken) =>
        Inbox.SubmitEachAsync([.. failures.Select(f => new TableTransactionAction(TableTransactionActionType.UpdateMerge, new DeliveryAttempt
        {
            PartitionKey = f.Key.PartitionKey,
            RowKey = f.Key.RowKey,
            Attempts = f.Attempts,
            LastError = f.Error,
            LastAttemptAt = at,
        }, ETag.All))], cancellationToken);

    private sealed class DeliveryAttempt : TableRow
    {
        public int Attempts { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset? LastAttemptAt { get; set; }
    }
}

/// <summary>
/// WebhookArchive: every event claimed for applying, with its body and what became of it, for as long as the retention
/// keeps it; the durable record that an event is stored once. A claim is an insert (409: claimed before, by an earlier
/// delivery or an earlier try of this one). Beside it: WebhookArchiveExpiry, the retention index (PK = the day events
/// were archived, one row per page listing their keys), and WebhookQuarantine, the index of quarantined events (PK =
/// provider).
/// </summary>
internal sealed class WebhookArchive(AppTables tables)
{
    public const string Table = "WebhookArchive";
    public const string ExpiryTable = "WebhookArchiveExpiry";
    public const string QuarantineTable = "WebhookQuarantine";
    private const string QuarantinedProperty = "Quarantined";
    private const string KeysProperty = "Keys";

    // A string property holds 64 KiB of UTF-16: 32,768 characters; keep a margin.
    private const int MaxKeysChars = 30_000;

    private AppTable Archive => tables[Table];

    private AppTable Expiry => tables[ExpiryTable];

    private AppTable Quarantine => tables[QuarantineTable];

    /// <summary>Inserts the rows as given (their <c>Outcome</c> set); per row, <see cref="TableWriteStatus.AlreadyExists"/> when archived before.</summary>
    public Task<TableWriteStatus[]> ClaimAsync(IReadOnlyList<WebhookDeliveryRow> rows, CancellationToken cancellationToken) =>
        Archive.SubmitEachAsync([.. rows.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r.ToStoredEntity()))], cancellationToken);

    public Task<WebhookDeliveryRow?> GetAsync(DeliveryKey key, CancellationToken cancellationToken) =>
        Archive.GetAsync<WebhookDeliveryRow>(key.PartitionKey, key.RowKey, cancellationToken: cancellationToken);

    /// <summary>The archived outcome and which inbox copy claimed it.</summary>
    public async Task<(string? Outcome, string? CopyId)> ClaimOfAsync(DeliveryKey key, CancellationToken cancellationToken) =>
        await Archive.GetAsync<WebhookDeliveryRow>(key.PartitionKey, key.RowKey, [nameof(WebhookDeliveryRow.Outcome), nameof(WebhookDeliveryRow.CopyId)], cancellationToken) is { } row
            ? (row.Outcome, row.CopyId)
            : (null, null);

    /// <summary>Records outcomes, merged into the archived rows.</summary>
    public Task RecordAsync(IReadOnlyList<ArchiveOutcome> outcomes, CancellationToken cancellationToken) =>
        Archive.SubmitEachAsync([.. outcomes.Select(o => new TableTransactionAction(TableTransactionActionType.UpsertMerge, o))], cancellationToken);

    /// <summary>Indexes events for retention on <paramref name="day"/>.</summary>
    /// <remarks>
    /// One index row per page (not per event): its events' keys, newline-separated, in a string property of up to
    /// <see cref="MaxKeysChars"/> characters, more rows when they do not fit.
    /// </remarks>
    public async Task IndexAsync(IEnumerable<DeliveryKey> keys, DateOnly day, bool quarantined, CancellationToken cancellationToken)
    {
        var dayKey = day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var rows = new List<TableTransactionAction>();
        var batch = new System.Text.StringBuilder();
        void Flush()
        {
            if (batch.Length > 0)
            {
                rows.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(dayKey, Guid.NewGuid().ToString("N"))
                {
                    [KeysProperty] = batch.ToString(),
                    [QuarantinedProperty] = quarantined,
                }));
                batch.Clear();
            }
        }

        foreach (var key in keys)
        {
            if (batch.Length + key.EventKey.Length + 1 > MaxKeysChars)
            {
                Flush();
            }

            batch.Append(key.EventKey).Append('\n');
        }

        Flush();
        await Expiry.SubmitEachAsync(rows, cancellationToken);
    }

    /// <summary>Adds events to the quarantine index and to the retention index as quarantined.</summary>
    public async Task QuarantinedAsync(IReadOnlyList<DeliveryKey> keys, DateOnly day, CancellationToken cancellationToken)
    {
        await Quarantine.SubmitEachAsync([.. keys.Select(k => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(ProviderOf(k), k.EventKey)))], cancellationToken);
        await IndexAsync(keys, day, quarantined: true, cancellationToken);
    }

    /// <summary>Quarantined events, each once: the small index, then the archive rows it names.</summary>
    public async IAsyncEnumerable<WebhookDeliveryRow> QuarantinedAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in Quarantine.QueryAsync<TableEntity>(TableFilter.All, cancellationToken: cancellationToken))
        {
            if (DeliveryKey.TryParse(entry.RowKey, out var key) && await GetAsync(key, cancellationToken) is { Outcome: DeliveryOutcomes.Quarantined } row)
            {
                yield return row;
            }
        }
    }

    /// <summary>Takes an event out of the quarantine index (a re-drive applies it from the archive).</summary>
    public async Task ReleaseAsync(DeliveryKey key, CancellationToken cancellationToken) =>
        await Quarantine.DeleteAsync(ProviderOf(key), key.EventKey, cancellationToken: cancellationToken);

    /// <summary>Every archived event (of one provider), a page at a time: what a replay reads.</summary>
    public IAsyncEnumerable<WebhookDeliveryRow> AllAsync(WebhookProvider? provider, CancellationToken cancellationToken)
    {
        var filter = TableFilter.All;
        if (provider is { } p)
        {
            var prefix = DeliveryKey.ProviderPartitionPrefix(p);
            filter = TableFilter.PartitionRange(prefix, TableFilter.PrefixEnd(prefix));
        }

        return Archive.QueryAsync<WebhookDeliveryRow>(filter, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Removes archived events indexed on a day before <paramref name="keepFrom"/>, then their index rows; returns how
    /// many events went. Reads only the (small) expired part of the index.
    /// </summary>
    public async Task<int> RemoveExpiredAsync(DateOnly keepFrom, CancellationToken cancellationToken)
    {
        var removed = 0;
        var filter = TableFilter.PartitionRange("0", keepFrom.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        while (true)
        {
            var page = await Expiry.QueryPageAsync<TableEntity>(filter, null, 100, cancellationToken: cancellationToken);
            if (page.Entities.Count == 0)
            {
                return removed;
            }

            var keys = new List<DeliveryKey>();
            var quarantined = new List<DeliveryKey>();
            foreach (var entry in page.Entities)
            {
                foreach (var eventKey in (entry.GetString(KeysProperty) ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (DeliveryKey.TryParse(eventKey, out var key))
                    {
                        keys.Add(key);
                        if (entry.GetBoolean(QuarantinedProperty) == true)
                        {
                            quarantined.Add(key);
                        }
                    }
                }
            }

            await Archive.SubmitEachAsync([.. keys.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(k.PartitionKey, k.RowKey), ETag.All))], cancellationToken);
            await Quarantine.SubmitEachAsync([.. quarantined.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(ProviderOf(k), k.EventKey), ETag.All))], cancellationToken);
            var index = await Expiry.SubmitEachAsync([.. page.Entities.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(e.PartitionKey, e.RowKey), ETag.All))], cancellationToken);
            if (!index.Any(s => s is TableWriteStatus.Success or TableWriteStatus.NotFound))
            {
                throw new InvalidOperationException("The archive's retention index could not be trimmed.");
            }

            removed += keys.Count;
        }
    }

    private static string ProviderOf(DeliveryKey key) => key.PartitionKey[..key.PartitionKey.IndexOf('|', StringComparison.Ordinal)];
}

/// <summary>What became of an archived event, merged into its row.</summary>
internal sealed class ArchiveOutcome : TableRow
{
    public string? Outcome { get; set; }

    public DateTimeOffset? AppliedAt { get; set; }

    public string? AccountId { get; set; }

    public string? LastError { get; set; }

    public int? Attempts { get; set; }

    public string? QuarantineReason { get; set; }
}
