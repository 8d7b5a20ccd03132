using System.Globalization;
using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// One provider event as stored: a row of WebhookInbox while it waits to be applied (under an <see cref="InboxKey"/>),
/// and of WebhookArchive once claimed (under its <see cref="DeliveryKey"/>, the keys it carries in memory). Keeps the
/// event's JSON (gzip, in up to <see cref="MaxChunks"/> binary properties of <see cref="ChunkBytes"/>) and the headers
/// worth keeping, never a signature, so it can be applied later, replayed, or re-driven from quarantine.
/// </summary>
internal sealed class WebhookDeliveryRow : TableRow
{
    public const int ChunkBytes = 60 * 1024;
    public const int MaxChunks = 15;

    // The names of Body0 … Body14, for writing the chunks that are set.
    private static readonly string[] ChunkNames = [.. Enumerable.Range(0, MaxChunks).Select(i => string.Create(CultureInfo.InvariantCulture, $"Body{i}"))];

    public string? Provider { get; set; }

    public string? EventId { get; set; }

    public string? EventType { get; set; }

    public DateTimeOffset? OccurredAt { get; set; }

    public DateTimeOffset? ReceivedAt { get; set; }

    public string? ContentType { get; set; }

    public string? UserAgent { get; set; }

    public string? ZendeskWebhookId { get; set; }

    public string? ZendeskInvocationId { get; set; }

    public string? ZendeskSignatureTimestamp { get; set; }

    /// <summary>The W3C traceparent of the request that stored it, when traces are recorded: applying it continues that trace.</summary>
    public string? TraceParent { get; set; }

    /// <summary>
    /// This copy of the event: set when a delivery is received, kept by the archive row its claim writes. A retry of the
    /// same inbox copy finds its own claim; a later delivery of the event (a new copy) finds another's.
    /// </summary>
    public string? CopyId { get; set; }

    /// <summary>Failed attempts to apply it (inbox), and at the last, why.</summary>
    public int Attempts { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    /// <summary>Archive: applying, applied, ignored, parked or quarantined (<see cref="DeliveryOutcomes"/>).</summary>
    public string? Outcome { get; set; }

    public DateTimeOffset? AppliedAt { get; set; }

    public string? AccountId { get; set; }

    /// <summary>Quarantined: EventRejected (its mapper refuses it) or MaxApplyAttemptsExceeded.</summary>
    public string? QuarantineReason { get; set; }

    public int BodyChunks { get; set; }

    public byte[]? Body0 { get; set; }

    public byte[]? Body1 { get; set; }

    public byte[]? Body2 { get; set; }

    public byte[]? Body3 { get; set; }

    public byte[]? Body4 { get; set; }

    public byte[]? Body5 { get; set; }

    public byte[]? Body6 { get; set; }

    public byte[]? Body7 { get; set; }

    public byte[]? Body8 { get; set; }

    public byte[]? Body9 { get; set; }

    public byte[]? Body10 { get; set; }

    public byte[]? Body11 { get; set; }

    public byte[]? Body12 { get; set; }

    public byte[]? Body13 { get; set; }

    public byte[]? Body14 { get; set; }

    /// <summary>The row of a just received event, keyed by <see cref="DeliveryKey"/>, its body compressed.</summary>
    public static WebhookDeliveryRow Create(WebhookProvider provider, WebhookEvent e, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(e);
        var key = DeliveryKey.Of(provider, e);
        var row = new WebhookDeliveryRow
        {
            PartitionKey = key.PartitionKey,
            RowKey = key.RowKey,
            Provider = provider.ToString(),
            EventId = e.EventId,
            EventType = e.EventType,
            OccurredAt = e.OccurredAt,
            ReceivedAt = receivedAt,
            CopyId = Guid.NewGuid().ToString("N"),
            TraceParent = TraceContext.Sampled(),
        };
        row.SetBody(e.Json);
        return row;
    }

    public void SetBody(string json)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        var compressed = output.GetBuffer().AsSpan(0, (int)output.Length);
        var chunks = (compressed.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks)
        {
            throw new WebhookEventTooLargeException();
        }

        BodyChunks = chunks;
        for (var i = 0; i < chunks; i++)
        {
            SetChunk(i, compressed.Slice(i * ChunkBytes, Math.Min(ChunkBytes, compressed.Length - (i * ChunkBytes))).ToArray());
        }
    }

    /// <summary>
    /// The row as it is written: only the properties that have a value. The SDK writes every property of a typed
    /// entity, nulls included (21-24 of them for a just received event: one body chunk, no outcome yet), and the
    /// service parses and keeps each one: Azurite spent 8-13% less CPU per insert without them (docs/benchmarks.md).
    /// Read back as a <see cref="WebhookDeliveryRow"/>, a property that was left out is null, as before.
    /// </summary>
    public TableEntity ToStoredEntity()
    {
        var entity = new TableEntity(PartitionKey, RowKey)
        {
            [nameof(Attempts)] = Attempts,
            [nameof(BodyChunks)] = BodyChunks,
        };
        Put(entity, nameof(Provider), Provider);
        Put(entity, nameof(EventId), EventId);
        Put(entity, nameof(EventType), EventType);
        Put(entity, nameof(OccurredAt), OccurredAt);
        Put(entity, nameof(ReceivedAt), ReceivedAt);
        Put(entity, nameof(ContentType), ContentType);
        Put(entity, nameof(UserAgent), UserAgent);
        Put(entity, nameof(ZendeskWebhookId), ZendeskWebhookId);
        Put(entity, nameof(ZendeskInvocationId), ZendeskInvocationId);
        Put(entity, nameof(ZendeskSignatureTimestamp), ZendeskSignatureTimestamp);
        Put(entity, nameof(TraceParent), TraceParent);
        Put(entity, nameof(CopyId), CopyId);
        Put(entity, nameof(LastError), LastError);
        Put(entity, nameof(LastAttemptAt), LastAttemptAt);
        Put(entity, nameof(Outcome), Outcome);
        Put(entity, nameof(AppliedAt), AppliedAt);
        Put(entity, nameof(AccountId), AccountId);
        Put(entity, nameof(QuarantineReason), QuarantineReason);
        for (var i = 0; i < MaxChunks; i++)
        {
            Put(entity, ChunkNames[i], Chunk(i));
        }

        return entity;
    }

    private static void Put(TableEntity entity, string name, object? value)
    {
        if (value is not null)
        {
            entity[name] = value;
        }
    }

    public string ReadBody()
    {
        using var compressed = new MemoryStream();
        for (var i = 0; i < Math.Min(BodyChunks, MaxChunks); i++)
        {
            compressed.Write(Chunk(i) ?? []);
        }

        compressed.Position = 0;
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private byte[]? Chunk(int index) => index switch
    {
        0 => Body0,
        1 => Body1,
        2 => Body2,
        3 => Body3,
        4 => Body4,
        5 => Body5,
        6 => Body6,
        7 => Body7,
        8 => Body8,
        9 => Body9,
        10 => Body10,
        11 => Body11,
        12 => Body12,
        13 => Body13,
        14 => Body14,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    private void SetChunk(int index, byte[] value)
    {
        switch (index)
        {
            case 0:
                Body0 = value;
                break;
            case 1:
                Body1 = value;
                break;
            case 2:
                Body2 = value;
                break;
            case 3:
                Body3 = value;
                break;
            case 4:
                Body4 = value;
                break;
            case 5:
                Body5 = value;
                break;
            case 6:
                Body6 = value;
                break;
            case 7:
                Body7 = value;
                break;
            case 8:
                Body8 = value;
                break;
            case 9:
                Body9 = value;
                break;
            case 10:
                Body10 = value;
                break;
            case 11:
                Body11 = value;
                break;
            case 12:
                Body12 = value;
                break;
            case 13:
                Body13 = value;
                break;
            case 14:
                Body14 = value;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(index));
        }
    }
}

/// <summary>What became of an archived event.</summary>
internal static class DeliveryOutcomes
{
    /// <summary>
    /// An attempt failed after the claim: its effect may or may not be in the account yet (a retry finds it and goes on).
    /// A claim itself writes <see cref="Applied"/> for an event to apply, so the common case needs no second write; a
    /// retry of the same inbox copy tells its own claim by <see cref="WebhookDeliveryRow.CopyId"/>.
    /// </summary>
    public const string Applying = "applying";
    public const string Applied = "applied";

    /// <summary>An event type, or a shape of one, this product does not use.</summary>
    public const string Ignored = "ignored";

    /// <summary>Waiting for its id to be linked to an account.</summary>
    public const string Parked = "parked";
    public const string Quarantined = "quarantined";

    /// <summary>Not an outcome of the archived event: the outcome of a second delivery of one archived already.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Whether an archived event with this outcome is done with, so a new delivery of it is a duplicate.</summary>
    public static bool IsFinal(string? outcome) => outcome is Applied or Ignored or Parked or Quarantined;
}

/// <summary>An event whose compressed JSON does not fit one table row.</summary>
internal sealed class WebhookEventTooLargeException : Exception
{
    public WebhookEventTooLargeException()
        : base("Event too large to archive.")
    {
    }

    public WebhookEventTooLargeException(string message)
        : base(message)
    {
    }

    public WebhookEventTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
