using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;
using Microsoft.Extensions.Options;

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
/// The synchronous path of a delivery: verify the signature over the raw bytes, parse the envelope, map each event
/// with the rules applying uses (an event that cannot be applied is refused here, and nothing is stored), store each
/// event (one insert into the inbox; none for a copy of an event this process stored lately, <see cref="StoredLately"/>;
/// 409 = a copy received into the same part of this second; any other copy waits beside the first and its claim in the
/// archive makes it a duplicate). Acknowledged only after the store: applying happens
/// after, from the stored row (handed to the applier in memory as a hint), so nothing acknowledged depends on this
/// process staying alive.
/// </summary>
internal sealed class WebhookIngestion(
    WebhookInbox inbox,
    StoredLately storedLately,
    WebhookHints hints,
    TimeProvider timeProvider,
    IOptionsMonitor<WebhooksOptions> options,
    IOptionsMonitor<ProductOptions> product,
    ILogger<WebhookIngestion> logger,
    AppMetrics metrics,
    ApplierBacklog backlog)
{
    public async Task<IngestionOutcome> IngestAsync(WebhookProvider provider, Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var activity = AppTracing.Source.StartActivity("webhook received");
        var providerName = WebhookProviderNames.Of(provider);
        activity?.SetTag("webhook.provider", providerName);
        var outcome = await IngestCoreAsync(provider, header, body, cancellationToken);
        activity?.SetTag("webhook.outcome", outcome.Status.ToString());
        switch (outcome.Status)
        {
            case IngestionStatus.Stored or IngestionStatus.Duplicate:
                metrics.WebhookEvents(providerName, "stored", null, outcome.Stored);
                metrics.WebhookEvents(providerName, "duplicate", null, outcome.Duplicates);
                break;
            default:
                activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, outcome.Reason);
                metrics.WebhookEvents(providerName, "rejected", RejectionReason(outcome.Status), 1);
                break;
        }

        return outcome;
    }

    /// <summary>Why a delivery was turned away, as a tag value: few and fixed (the detailed reason goes to the log).</summary>
    internal static string RejectionReason(IngestionStatus status) => status switch
    {
        IngestionStatus.Unauthorized => "invalid_signature",
        IngestionStatus.BadRequest => "invalid_payload",
        IngestionStatus.TooLarge => "too_large",
        IngestionStatus.StorageUnavailable => "storage_unavailable",
        _ => "other",
    };

    private async Task<IngestionOutcome> IngestCoreAsync(WebhookProvider provider, Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
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
        if (parsed.Error is not null)
        {
            WebhookLog.BodyRejected(logger, provider, parsed.Error);
            return new IngestionOutcome(IngestionStatus.BadRequest, Reason: parsed.Error);
        }

        var vocabulary = product.CurrentValue;
        var mappings = new EventMapping[parsed.Events.Count];
        for (var i = 0; i < mappings.Length; i++)
        {
            var e = parsed.Events[i];
            mappings[i] = WebhookEventMapper.Map(provider, e.EventType, e.Json, vocabulary);
            if (mappings[i].Rejection is { } rejection)
            {
                // A batch is all or nothing: the provider resends it whole.
                var reason = mappings.Length == 1 ? rejection : $"message {i}: {rejection}";
                WebhookLog.BodyRejected(logger, provider, reason);
                return new IngestionOutcome(IngestionStatus.BadRequest, Reason: reason);
            }
        }

        WebhookDeliveryRow[] rows;
        try
        {
            rows = [.. parsed.Events.Select(e => Row(provider, e, header, now))];
        }
        catch (WebhookEventTooLargeException)
        {
            return new IngestionOutcome(IngestionStatus.TooLarge, Reason: "event too large");
        }

        try
        {
            // Not cancelled when the caller hangs up: a stored event gets its hint either way (the provider, not having
            // seen the 200, sends it again and finds it stored).
            var events = Array.ConvertAll(rows, r => new DeliveryKey(r.PartitionKey, r.RowKey));
            var keys = Array.ConvertAll(events, d => inbox.KeyFor(d, now, settings.InboxPartitionsPerSecond));
            var within = SettledEvents.WindowFor(settings);
            var results = await Task.WhenAll(rows.Select((r, i) => storedLately.StoreOnceAsync(events[i].EventKey, within, () => inbox.InsertAsync(keys[i], r))));
            var stored = 0;
            var duplicates = 0;
            for (var i = 0; i < results.Length; i++)
            {
                var e = parsed.Events[i];
                if (results[i] == CopyStored.StoredBefore)
                {
                    // The first copy is in the inbox, or applied: it needs no hint from this one.
                    duplicates++;
                    WebhookLog.EventDuplicate(logger, provider, e.EventId);
                    continue;
                }

                if (results[i] == CopyStored.InInbox)
                {
                    duplicates++;
                    WebhookLog.EventDuplicate(logger, provider, e.EventId);
                }
                else
                {
                    stored++;
                    WebhookLog.EventStored(logger, provider, e.EventId, e.EventType);
                }

                // Hinted on 409 too: the inbox row is there (a copy received into the same part of this second), so the
                // event is not applied yet, and the row may be this request's own (an insert the SDK retried after a
                // timeout finds what its first try stored), which nothing else would apply before the sweep's grace. A
                // page already on it leaves it; the claim drops it if it was archived meanwhile.
                if (settings.ApplyInProcess)
                {
                    // Held before the hand-off, so a page that finishes first releases it rather than leaving it held.
                    var hint = PendingDelivery.Received(provider, keys[i], rows[i], e.Json, mappings[i]);
                    backlog.Holding(hint.Key, rows[i].ReceivedAt);
                    if (!hints.Add(hint))
                    {
                        backlog.Released(hint.Key);
                    }
                }
            }

            return new IngestionOutcome(stored == 0 ? IngestionStatus.Duplicate : IngestionStatus.Stored, stored, duplicates);
        }
        catch (Exception ex) when (ex is TableStorageUnavailableException or OperationCanceledException)
        {
            WebhookLog.StorageUnavailable(logger, provider, ex.GetType().Name);
            return new IngestionOutcome(IngestionStatus.StorageUnavailable, Reason: "storage unavailable, retry later");
        }
    }

    /// <summary>The inbox row: the event, when it was received, and the headers worth keeping (none of them secret).</summary>
    private static WebhookDeliveryRow Row(WebhookProvider provider, WebhookEvent e, Func<string, string?> header, DateTimeOffset receivedAt)
    {
        string? Kept(string name) => header(name) is { Length: > 0 and <= 512 } value ? value : null;
        var row = WebhookDeliveryRow.Create(provider, e, receivedAt);
        row.ContentType = Kept("Content-Type");
        row.UserAgent = Kept("User-Agent");
        if (provider == WebhookProvider.Zendesk)
        {
            row.ZendeskWebhookId = Kept("X-Zendesk-Webhook-Id");
            row.ZendeskInvocationId = Kept("X-Zendesk-Webhook-Invocation-Id");
            row.ZendeskSignatureTimestamp = Kept(ZendeskSignatureVerifier.TimestampHeader);
        }

        return row;
    }
}
