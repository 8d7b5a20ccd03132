using System.Text.Json;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>
/// Consumes the tier queues. Critical and Warning notify at once; Watch is parked for the recipient's daily digest. An
/// Opportunity emails the account's CSM when raised and tells them in the digest when it ended; without a CSM it is
/// recorded and nobody else is told.
/// A ledger row keyed by notification (alert, tier, version) and recipient makes a redelivered message notify
/// nobody twice; the email's operation id is derived the same way, so even a crash between send and ledger
/// write is caught by the email service. Any failure throws, so the queue redelivers and finally dead-letters.
/// </summary>
public sealed partial class AlertNotifier(
    AppTables tables,
    IEmailSender email,
    IOptions<AlertsOptions> options,
    TimeProvider clock,
    ILogger<AlertNotifier> logger,
    AppMetrics? metrics = null)
{
    public const string LedgerTable = "alertledger";
    public const string DigestTable = "alertdigest";

    private readonly AppTable _ledger = tables[LedgerTable];
    private readonly AppTable _digest = tables[DigestTable];

    /// <summary>The notification a tier queue's message carries, or null when the body is not one (not JSON, no alert).</summary>
    public static AlertNotification? TryParse(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<AlertNotification>(body, AlertStore.Json) is { Alert: { AccountId: not null, RuleId: not null } } notification ? notification : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task HandleAsync(ServiceBusDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var notification = TryParse(delivery.Body) ?? throw new InvalidOperationException("The message is not an alert notification.");
        var alert = notification.Alert;
        var now = clock.GetUtcNow();
        if (AlertRecipientSelector.Select(alert, notification.Kind, options.Value, now) is not { } recipients)
        {
            // Only an Opportunity has no recipient: the account has no CSM, and nobody on call is told of it.
            Log.NoOwner(logger, alert.MessageId);
            return;
        }

        if ((alert.Tier == AlertTier.Watch && notification.Kind != AlertChangeKind.EscalateToContact) || notification.Kind is AlertChangeKind.StepDown or AlertChangeKind.Clear)
        {
            var row = new AlertDigestEntity { PartitionKey = Key(recipients.To), RowKey = alert.MessageId, Body = delivery.Body };
            var parked = await _digest.AddAsync(row, cancellationToken).ConfigureAwait(false);
            Log.Parked(logger, alert.MessageId, parked.Status);
            return;
        }

        await NotifyOnceAsync(alert.MessageId, AlertEmailComposer.Compose(notification, recipients, options.Value), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the daily Watch digest: one email per recipient, then clears what it covered.</summary>
    public async Task<int> SendDigestsAsync(CancellationToken cancellationToken)
    {
        var byRecipient = new Dictionary<string, List<AlertDigestEntity>>(StringComparer.Ordinal);
        await foreach (var row in _digest.QueryAsync<AlertDigestEntity>(TableFilter.All, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!byRecipient.TryGetValue(row.PartitionKey, out var list))
            {
                byRecipient[row.PartitionKey] = list = [];
            }

            list.Add(row);
        }

        var day = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var failed = 0;
        foreach (var (recipient, rows) in byRecipient)
        {
            try
            {
                await SendDigestAsync(recipient, rows, day, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One recipient's failure (a bad address, the email service refusing one send) must not hold back
                // everyone else's digest; this recipient's alerts stay parked for the next run.
                failed++;
                Log.DigestFailed(logger, rows.Count, ex);
            }
        }

        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} of {byRecipient.Count} Watch digests could not be sent; their alerts stay parked for the next run.");
        }

        return byRecipient.Count;
    }

    private async Task SendDigestAsync(string recipient, List<AlertDigestEntity> rows, DateOnly day, CancellationToken cancellationToken)
    {
        var items = rows.Select(r => JsonSerializer.Deserialize<AlertNotification>(r.Body, AlertStore.Json)!).ToList();
        // Keyed by what the digest covers, so a second run the same day with new items is a new digest,
        // while a retry of the same digest is recognised.
        var about = "digest-" + day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "-"
            + AlertEmailComposer.OperationId(string.Join(",", rows.Select(r => r.RowKey).Order(StringComparer.Ordinal)), recipient)[..8];
        var message = AlertEmailComposer.ComposeDigest(recipient, day, items, options.Value) with { OperationId = AlertEmailComposer.OperationId(about, recipient) };
        await NotifyOnceAsync(about, message, cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            await _digest.DeleteAsync(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task NotifyOnceAsync(string about, EmailMessage message, CancellationToken cancellationToken)
    {
        if (await _ledger.GetAsync<AlertLedgerEntity>(about, Key(message.To), cancellationToken: cancellationToken).ConfigureAwait(false) is not null)
        {
            Log.AlreadyNotified(logger, about);
            return;
        }

        var result = await email.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (result.Status == EmailSendStatus.Throttled)
        {
            throw new InvalidOperationException($"Email for {about} throttled; the queue will redeliver.");
        }

        var entry = new AlertLedgerEntity
        {
            PartitionKey = about,
            RowKey = Key(message.To),
            Status = result.Status,
            OperationId = message.OperationId,
            SentAt = clock.GetUtcNow(),
            Error = result.Error,
        };
        await _ledger.AddAsync(entry, cancellationToken).ConfigureAwait(false);
        Log.Notified(logger, about, result.Status);
        metrics?.NotificationSent(result.Status.ToString().ToLowerInvariant());
    }

    /// <summary>Row/partition keys may not hold / \ # ? or control characters; emails rarely do, but be sure.</summary>
    private static string Key(string value)
    {
        var lower = value.Trim().ToLowerInvariant();
        return lower.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            ? Uri.EscapeDataString(lower).Replace("%", "~", StringComparison.Ordinal)
            : lower;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Alert notification {About}: {Status}")]
        public static partial void Notified(ILogger logger, string about, EmailSendStatus status);

        [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Alert notification {About} was already sent; redelivery ignored")]
        public static partial void AlreadyNotified(ILogger logger, string about);

        [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "Watch alert {MessageId} parked for the daily digest: {Status}")]
        public static partial void Parked(ILogger logger, string messageId, TableWriteStatus status);

        [LoggerMessage(EventId = 4305, Level = LogLevel.Information, Message = "Opportunity {MessageId} has no account CSM to tell; it stays on the account")]
        public static partial void NoOwner(ILogger logger, string messageId);

        [LoggerMessage(EventId = 4304, Level = LogLevel.Error, Message = "A Watch digest of {Count} alert(s) could not be sent; its alerts stay parked for the next run")]
        public static partial void DigestFailed(ILogger logger, int count, Exception exception);
    }
}

/// <summary>A Watch alert parked for its recipient's daily digest (table "alertdigest", partition = recipient, row = message id).</summary>
public sealed class AlertDigestEntity : TableRow
{
    /// <summary>The alert message's body as it arrived.</summary>
    public string Body { get; set; } = string.Empty;
}

/// <summary>A notification sent to one recipient (table "alertledger", partition = what it was about, row = recipient).</summary>
public sealed class AlertLedgerEntity : TableRow
{
    public EmailSendStatus Status { get; set; }

    public string? OperationId { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public string? Error { get; set; }
}
