using System.Globalization;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Where a stored delivery goes when applying it keeps failing, so nothing behind it waits and nothing stops the
/// app: each failure is recorded on the delivery (exception type and message, attempts), and after
/// <see cref="WebhooksOptions.MaxApplyAttempts"/> (at once for an event its mapper rejects: retrying a pure
/// function changes nothing) the delivery is quarantined. Sweeps pass quarantined deliveries by; the dead-letter API
/// lists them as queue <see cref="QuarantineName"/> and re-drives one after the cause is fixed. Failures of storage itself
/// (unreachable, throttled, a table missing) are not the delivery's fault: they count no attempt, and the next sweep
/// simply tries again.
/// </summary>
internal sealed class WebhookQuarantine(
    WebhookDeliveryStore deliveries,
    WebhookApplyQueue applyQueue,
    IOptionsMonitor<WebhooksOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookQuarantine> logger) : IDeadLetterSource
{
    /// <summary>The quarantine's name as a dead-letter queue: <c>/api/admin/deadletters?queue=webhooks</c>. Not a Service Bus queue.</summary>
    public const string QuarantineName = "webhooks";

    public const string MaxAttemptsReason = "MaxApplyAttemptsExceeded";
    public const string RejectedReason = "EventRejected";
    private const int MaxErrorLength = 1024;

    public string Name => QuarantineName;

    /// <summary>Storage trouble rather than a bad delivery: retried by the next sweep, never counted against the delivery.</summary>
    public static bool IsStorageFailure(Exception ex) => ex switch
    {
        TableStorageUnavailableException or TimeoutException or HttpRequestException => true,
        TableRequestFailedException { Status: 0 or 404 or 408 or 429 or >= 500 } => true,
        _ => false,
    };

    /// <summary>Records one failed attempt; true when the delivery is now quarantined.</summary>
    public async Task<bool> RecordFailureAsync(TableEntity delivery, Exception error, CancellationToken cancellationToken)
    {
        var attempts = (delivery.GetInt32("Attempts") ?? 0) + 1;
        var quarantine = error is WebhookEventRejectedException || attempts >= options.CurrentValue.MaxApplyAttempts;
        var description = Truncate($"{error.GetType().Name}: {error.Message}");
        await deliveries.MarkFailedAsync(delivery, attempts, description, quarantine, timeProvider.GetUtcNow(), cancellationToken);
        var provider = delivery.GetString("Provider") ?? "?";
        var eventId = delivery.GetString("EventId") ?? delivery.RowKey;
        if (quarantine)
        {
            WebhookLog.DeliveryQuarantined(logger, provider, eventId, attempts, error.GetType().Name);
        }
        else
        {
            WebhookLog.DeliveryFailed(logger, provider, eventId, attempts, error.GetType().Name);
        }

        return quarantine;
    }

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int max, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        await foreach (var row in deliveries.QueryQuarantinedAsync(cancellationToken))
        {
            if (row.GetBoolean("Quarantined") != true)
            {
                continue;
            }

            var error = row.GetString("LastError");
            var properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Provider"] = row.GetString("Provider") ?? string.Empty,
                ["EventId"] = row.GetString("EventId") ?? string.Empty,
                ["EventType"] = row.GetString("EventType") ?? string.Empty,
            };
            if (row.GetDateTimeOffset("QuarantinedAt") is { } at)
            {
                properties["QuarantinedAt"] = at.ToString("O", CultureInfo.InvariantCulture);
            }

            letters.Add(new DeadLetter(
                QuarantineName,
                MessageId(row),
                error?.StartsWith(nameof(WebhookEventRejectedException), StringComparison.Ordinal) == true ? RejectedReason : MaxAttemptsReason,
                error,
                row.GetInt32("Attempts") ?? 0,
                row.GetDateTimeOffset("ReceivedAt"),
                properties,
                Body(row)));
            if (letters.Count == max)
            {
                break;
            }
        }

        return letters;
    }

    public async Task<bool> RedriveAsync(string messageId, CancellationToken cancellationToken)
    {
        var dot = messageId.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return false;
        }

        var released = await deliveries.ReleaseAsync(messageId[..dot], messageId[(dot + 1)..], cancellationToken);
        if (released is null)
        {
            return false;
        }

        var providerName = released.GetString("Provider") ?? "?";
        var eventId = released.GetString("EventId") ?? released.RowKey;

        // Applied right away by the in-process workers; a sweep takes it otherwise (it was received long ago).
        if (Enum.TryParse<WebhookProvider>(providerName, out var provider))
        {
            applyQueue.Enqueue(new PendingDelivery(provider, eventId));
        }

        WebhookLog.DeliveryRedriven(logger, providerName, eventId);
        return true;
    }

    /// <summary>
    /// The delivery's address, "{partition}.{row key}": the partition (provider and a hash byte) has no dot, and the
    /// row key is the escaped event id, so the id survives a URL path once URL-encoded as usual.
    /// </summary>
    public static string MessageId(TableEntity delivery) => delivery.PartitionKey + "." + delivery.RowKey;

    private static string Body(TableEntity row)
    {
        try
        {
            return WebhookDeliveryStore.ReadJson(row);
        }
        catch (InvalidDataException)
        {
            return string.Empty;
        }
    }

    private static string Truncate(string value) => value.Length <= MaxErrorLength ? value : value[..MaxErrorLength];
}

/// <summary>A stored event its mapper rejects (stored by an older version, or the mapping's settings changed since).</summary>
internal sealed class WebhookEventRejectedException : Exception
{
    public WebhookEventRejectedException()
    {
    }

    public WebhookEventRejectedException(string message)
        : base(message)
    {
    }

    public WebhookEventRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
