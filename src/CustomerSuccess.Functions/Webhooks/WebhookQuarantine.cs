using System.Globalization;
using CustomerSuccess.Functions.Messaging;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Deliveries the applier gave up on (a rejected event at once, any other after
/// <see cref="WebhooksOptions.MaxApplyAttempts"/> failed attempts), archived as quarantined with the reason. Listed like
/// a dead-letter queue named <see cref="QuarantineName"/>; a re-drive applies one again from the archive (and quarantines
/// it again, with the new reason, if it still fails).
/// </summary>
internal sealed class WebhookQuarantine(WebhookArchive archive, WebhookApplier applier, ILogger<WebhookQuarantine> logger) : IDeadLetterSource
{
    /// <summary>The quarantine's name as a dead-letter queue: <c>/api/admin/deadletters?queue=webhooks</c>. Not a Service Bus queue.</summary>
    public const string QuarantineName = "webhooks";

    public const string RejectedReason = "EventRejected";
    public const string MaxAttemptsReason = "MaxApplyAttemptsExceeded";

    public string Name => QuarantineName;

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int max, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        await foreach (var row in archive.QuarantinedAsync(cancellationToken))
        {
            var properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Provider"] = row.Provider ?? string.Empty,
                ["EventId"] = row.EventId ?? string.Empty,
                ["EventType"] = row.EventType ?? string.Empty,
            };
            if (row.AppliedAt is { } at)
            {
                properties["QuarantinedAt"] = at.ToString("O", CultureInfo.InvariantCulture);
            }

            letters.Add(new DeadLetter(QuarantineName, MessageId(new DeliveryKey(row.PartitionKey, row.RowKey)), Reason(row), row.LastError, row.Attempts, row.ReceivedAt, properties, SafeBody(row)));
            if (letters.Count == max)
            {
                break;
            }
        }

        return letters;
    }

    /// <summary>Applies a quarantined delivery again; false when there is none with that id.</summary>
    public async Task<bool> RedriveAsync(string messageId, CancellationToken cancellationToken)
    {
        if (!TryParseMessageId(messageId, out var key) || await archive.GetAsync(key, cancellationToken) is not { Outcome: DeliveryOutcomes.Quarantined } row
            || PendingDelivery.FromArchive(row) is not { } delivery)
        {
            return false;
        }

        await archive.ReleaseAsync(key, cancellationToken);
        WebhookLog.DeliveryRedriven(logger, delivery.Provider, row.EventId ?? key.RowKey);
        await applier.ApplyAsync([delivery], cancellationToken);
        return true;
    }

    /// <summary>"{partition}.{row key}": the partition (provider and a bucket) has no dot.</summary>
    public static string MessageId(DeliveryKey key) => key.PartitionKey + "." + key.RowKey;

    public static bool TryParseMessageId(string messageId, out DeliveryKey key)
    {
        var dot = messageId.IndexOf('.', StringComparison.Ordinal);
        key = dot > 0 && dot < messageId.Length - 1 ? new DeliveryKey(messageId[..dot], messageId[(dot + 1)..]) : default;
        return dot > 0 && dot < messageId.Length - 1;
    }

    private static string Reason(WebhookDeliveryRow row) => row.QuarantineReason ?? MaxAttemptsReason;

    private static string SafeBody(WebhookDeliveryRow row)
    {
        try
        {
            return row.ReadBody();
        }
        catch (InvalidDataException)
        {
            return string.Empty;
        }
    }
}
