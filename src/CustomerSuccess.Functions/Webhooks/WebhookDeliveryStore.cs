using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// The inbox and archive of provider events in one table: one row per event, keyed by the provider's event id
/// so a second insert of the same event answers 409 (already stored) whatever the race. The row keeps the
/// event's JSON (gzip, in 64 KiB binary chunks to fit Table property limits) and the headers worth keeping,
/// never a signature, so an event can be applied later and replayed after a mapping fix.
/// </summary>
internal sealed class WebhookDeliveryStore(ITableStore store)
{
    public const string Table = "WebhookDeliveries";
    private const int ChunkBytes = 60 * 1024;
    private const int MaxChunks = 15;

    private readonly ITableStore _store = store;
    private Task? _ensured;

    public async Task<TableWriteStatus> InsertAsync(WebhookProvider provider, WebhookEvent webhookEvent, IReadOnlyDictionary<string, string> headers, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken);
        var (pk, rk) = Keys(provider, webhookEvent.EventId);
        var entity = new TableEntity(pk, rk)
        {
            ["Provider"] = provider.ToString(),
            ["EventId"] = webhookEvent.EventId,
            ["EventType"] = webhookEvent.EventType,
            ["OccurredAt"] = webhookEvent.OccurredAt,
            ["ReceivedAt"] = receivedAt,
            ["Applied"] = false,
        };
        foreach (var (name, value) in headers)
        {
            entity["Header_" + name.Replace('-', '_')] = value;
        }

        var compressed = Compress(webhookEvent.Json);
        var chunks = (compressed.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks)
        {
            throw new WebhookEventTooLargeException();
        }

        entity["BodyChunks"] = chunks;
        for (var i = 0; i < chunks; i++)
        {
            entity["Body" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = compressed.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, compressed.Length - (i * ChunkBytes))).ToArray();
        }

        try
        {
            return (await _store.InsertAsync(Table, entity, cancellationToken)).Status;
        }
        catch (TableRequestFailedException ex) when (ex.Status == 404)
        {
            // The table went away (a storage account reset, a fresh emulator): recreate it and insert once more.
            _ensured = null;
            await EnsureTableAsync(cancellationToken);
            return (await _store.InsertAsync(Table, entity, cancellationToken)).Status;
        }
    }

    public Task<TableEntity?> GetAsync(WebhookProvider provider, string eventId, CancellationToken cancellationToken)
    {
        var (pk, rk) = Keys(provider, eventId);
        return _store.GetAsync(Table, pk, rk, cancellationToken: cancellationToken);
    }

    public async Task MarkAppliedAsync(TableEntity delivery, string outcome, DateTimeOffset appliedAt, CancellationToken cancellationToken)
    {
        var marker = new TableEntity(delivery.PartitionKey, delivery.RowKey)
        {
            ["Applied"] = true,
            ["AppliedAt"] = appliedAt,
            ["Outcome"] = outcome,
            ["Quarantined"] = false,
        };
        await _store.UpsertAsync(Table, marker, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>
    /// Records a failed attempt to apply: unapplied again (a parked event re-applied by a link was marked applied
    /// when it was parked), the attempt count, the error, and whether it is now quarantined (sweeps pass it by).
    /// </summary>
    public Task MarkFailedAsync(TableEntity delivery, int attempts, string error, bool quarantine, DateTimeOffset failedAt, CancellationToken cancellationToken)
    {
        var marker = new TableEntity(delivery.PartitionKey, delivery.RowKey)
        {
            ["Applied"] = false,
            ["Attempts"] = attempts,
            ["LastError"] = error,
            ["LastFailedAt"] = failedAt,
            ["Quarantined"] = quarantine,
        };
        if (quarantine)
        {
            marker["QuarantinedAt"] = failedAt;
        }

        return _store.UpsertAsync(Table, marker, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Takes a delivery out of quarantine with its attempts reset, for the next apply; false if there is no such quarantined delivery.</summary>
    public async Task<TableEntity?> ReleaseAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var delivery = await _store.GetAsync(Table, partitionKey, rowKey, cancellationToken: cancellationToken);
        if (delivery?.GetBoolean("Quarantined") != true)
        {
            return null;
        }

        var marker = new TableEntity(partitionKey, rowKey) { ["Quarantined"] = false, ["Attempts"] = 0, ["Applied"] = false };
        var result = await _store.UpdateAsync(Table, marker, delivery.ETag ?? "*", TableUpdateMode.Merge, cancellationToken);
        return result.Succeeded ? delivery : null;
    }

    /// <summary>Quarantined deliveries, oldest first as the table returns them.</summary>
    public IAsyncEnumerable<TableEntity> QueryQuarantinedAsync(CancellationToken cancellationToken) =>
        _store.QueryAsync(Table, "Quarantined eq true", cancellationToken: cancellationToken);

    /// <summary>
    /// Rows stored but not yet applied (the sweeper's work list; with <paramref name="receivedBefore"/>, only those
    /// received before it) or, for a replay, every row of a provider.
    /// </summary>
    public IAsyncEnumerable<TableEntity> QueryAsync(bool unappliedOnly, WebhookProvider? provider, CancellationToken cancellationToken, DateTimeOffset? receivedBefore = null)
    {
        var filters = new List<string>();
        if (unappliedOnly)
        {
            filters.Add("Applied eq false");
        }

        if (receivedBefore is { } before)
        {
            filters.Add(string.Create(CultureInfo.InvariantCulture, $"ReceivedAt lt datetime'{before.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}'"));
        }

        if (provider is { } p)
        {
            filters.Add($"Provider eq '{p}'");
        }

        return _store.QueryAsync(Table, filters.Count == 0 ? null : string.Join(" and ", filters), cancellationToken: cancellationToken);
    }

    public static string ReadJson(TableEntity delivery)
    {
        var chunks = delivery.GetInt32("BodyChunks") ?? 0;
        using var compressed = new MemoryStream();
        for (var i = 0; i < chunks; i++)
        {
            var part = delivery.GetBinary("Body" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)) ?? [];
            compressed.Write(part);
        }

        compressed.Position = 0;
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Partition = provider plus a 2-hex-digit bucket of the event id: spreads load over 256 partitions per
    /// provider while the key depends on the event id alone, so a redelivery days later still collides.
    /// </summary>
    public static (string PartitionKey, string RowKey) Keys(WebhookProvider provider, string eventId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(eventId), hash);
        return ($"{provider.ToString().ToLowerInvariant()}-{hash[0]:x2}", ProviderIdKeys.Escape(eventId));
    }

    private static byte[] Compress(string json)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        return output.ToArray();
    }

    private Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        var ensured = _ensured;
        if (ensured is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        if (ensured is null || ensured.IsFaulted || ensured.IsCanceled)
        {
            ensured = _store.CreateTableIfNotExistsAsync(Table, cancellationToken);
            _ensured = ensured;
        }

        return ensured;
    }
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
