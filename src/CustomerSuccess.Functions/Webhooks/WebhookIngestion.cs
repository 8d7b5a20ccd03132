using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Webhooks;

internal enum IngestionStatus
{
    Stored,
    Duplicate,
    Unauthorized,
    BadRequest,
    TooLarge,
    StorageUnavailable,
}

internal sealed record IngestionOutcome(IngestionStatus Status, int Stored = 0, int Duplicates = 0, string? Reason = null);

/// <summary>
/// The synchronous path of a delivery: verify the signature over the raw bytes, parse the envelope, map each
/// event with the very mapper the applier uses (so an event that could not be applied is refused now, with the
/// reason, instead of acknowledged and stuck), store each event once (insert-and-409). Acknowledged only after the
/// store: applying events to account state happens after, from the stored row, so nothing acknowledged depends on
/// this process staying alive.
/// </summary>
internal sealed class WebhookIngestion(
    WebhookDeliveryStore deliveries,
    WebhookApplyQueue applyQueue,
    TimeProvider timeProvider,
    IOptionsMonitor<WebhooksOptions> options,
    IOptionsMonitor<SignalsOptions> signals,
    ILogger<WebhookIngestion> logger)
{
    /// <summary>Headers archived with each event: useful for diagnosis and replay, none of them secret.</summary>
    private static readonly Dictionary<WebhookProvider, string[]> ArchivedHeaders = new()
    {
        [WebhookProvider.Stripe] = ["Content-Type", "User-Agent"],
        [WebhookProvider.Segment] = ["Content-Type", "User-Agent"],
        [WebhookProvider.Zendesk] = ["Content-Type", "User-Agent", "X-Zendesk-Webhook-Id", "X-Zendesk-Webhook-Invocation-Id", ZendeskSignatureVerifier.TimestampHeader],
    };

    public async Task<IngestionOutcome> IngestAsync(WebhookProvider provider, Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var now = timeProvider.GetUtcNow();
        var check = provider switch
        {
            WebhookProvider.Stripe => StripeSignatureVerifier.Verify(body.Span, header(StripeSignatureVerifier.HeaderName), settings.Stripe.SigningSecrets, now, TimeSpan.FromSeconds(settings.Stripe.ToleranceSeconds)),
            WebhookProvider.Segment => SegmentSignatureVerifier.Verify(body.Span, header(SegmentSignatureVerifier.HeaderName), settings.Segment.SharedSecrets),
            WebhookProvider.Zendesk => ZendeskSignatureVerifier.Verify(body.Span, header(ZendeskSignatureVerifier.SignatureHeader), header(ZendeskSignatureVerifier.TimestampHeader), settings.Zendesk.SigningSecrets, now, TimeSpan.FromSeconds(settings.Zendesk.ToleranceSeconds)),
            _ => throw new ArgumentOutOfRangeException(nameof(provider)),
        };
        if (check != SignatureCheck.Valid)
        {
            if (check == SignatureCheck.NoSecretConfigured)
            {
                WebhookLog.NoSecretConfigured(logger, provider);
            }

            WebhookLog.SignatureRejected(logger, provider, check);
            return new IngestionOutcome(IngestionStatus.Unauthorized, Reason: "invalid signature");
        }

        var parsed = provider switch
        {
            WebhookProvider.Stripe => StripeEventParser.Parse(body),
            WebhookProvider.Segment => SegmentEventParser.Parse(body),
            _ => ZendeskEventParser.Parse(body),
        };
        var problem = parsed.Error ?? Unappliable(provider, parsed.Events);
        if (problem is not null)
        {
            WebhookLog.BodyRejected(logger, provider, problem);
            return new IngestionOutcome(IngestionStatus.BadRequest, Reason: problem);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in ArchivedHeaders[provider])
        {
            if (header(name) is { Length: > 0 and <= 512 } value)
            {
                headers[name] = value;
            }
        }

        try
        {
            var results = await Task.WhenAll(parsed.Events.Select(e => deliveries.InsertAsync(provider, e, headers, now, cancellationToken)));
            var stored = 0;
            var duplicates = 0;
            for (var i = 0; i < results.Length; i++)
            {
                var e = parsed.Events[i];
                if (results[i] == TableWriteStatus.AlreadyExists)
                {
                    duplicates++;
                    WebhookLog.EventDuplicate(logger, provider, e.EventId);
                }
                else
                {
                    stored++;
                    WebhookLog.EventStored(logger, provider, e.EventId, e.EventType);
                    if (settings.ApplyInProcess)
                    {
                        applyQueue.Enqueue(new PendingDelivery(provider, e.EventId));
                    }
                }
            }

            return new IngestionOutcome(stored == 0 ? IngestionStatus.Duplicate : IngestionStatus.Stored, stored, duplicates);
        }
        catch (Exception ex) when (ex is TableStorageUnavailableException or TableRequestFailedException or TimeoutException or HttpRequestException ||
                                   (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            WebhookLog.StorageUnavailable(logger, provider, ex.GetType().Name);
            return new IngestionOutcome(IngestionStatus.StorageUnavailable, Reason: "storage unavailable, retry later");
        }
        catch (WebhookEventTooLargeException)
        {
            return new IngestionOutcome(IngestionStatus.TooLarge, Reason: "event too large");
        }
    }

    /// <summary>Why one of the events could not be applied as sent, or null when all of them can (a batch is all or nothing).</summary>
    private string? Unappliable(WebhookProvider provider, IReadOnlyList<WebhookEvent> events)
    {
        var settings = signals.CurrentValue;
        for (var i = 0; i < events.Count; i++)
        {
            if (WebhookEventMapper.Map(provider, events[i].EventType, events[i].Json, settings).Rejection is { } rejection)
            {
                return events.Count == 1 ? rejection : $"message {i}: {rejection}";
            }
        }

        return null;
    }
}
