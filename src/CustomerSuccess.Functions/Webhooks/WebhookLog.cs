namespace CustomerSuccess.Functions.Webhooks;

/// <summary>Webhook log events. Event ids and types only: never bodies, signatures or secrets.</summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "{Provider} delivery rejected: signature check {Check}")]
    public static partial void SignatureRejected(ILogger logger, WebhookProvider provider, SignatureCheck check);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "{Provider} delivery rejected: {Reason}")]
    public static partial void BodyRejected(ILogger logger, WebhookProvider provider, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "{Provider} event {EventId} ({EventType}) stored")]
    public static partial void EventStored(ILogger logger, WebhookProvider provider, string eventId, string eventType);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "{Provider} event {EventId} already stored; acknowledged as duplicate")]
    public static partial void EventDuplicate(ILogger logger, WebhookProvider provider, string eventId);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "{Provider} delivery not stored: storage unavailable ({ErrorType}); answered 503 so the provider retries")]
    public static partial void StorageUnavailable(ILogger logger, WebhookProvider provider, string errorType);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "No signing secret configured for {Provider}: every delivery will be rejected")]
    public static partial void NoSecretConfigured(ILogger logger, WebhookProvider provider);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "{Provider} event {EventId} ({EventType}) applied: {Outcome}")]
    public static partial void EventApplied(ILogger logger, string provider, string eventId, string eventType, string outcome);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "{Provider} event {EventId} not applied yet ({ErrorType}); the sweeper retries")]
    public static partial void ApplyFailed(ILogger logger, string provider, string eventId, string errorType);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Information, Message = "Sweep applied {Count} pending events")]
    public static partial void SweepApplied(ILogger logger, int count);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Warning, Message = "{Provider} event {EventId} failed to apply (attempt {Attempts}, {ErrorType}); the sweeper retries")]
    public static partial void DeliveryFailed(ILogger logger, string provider, string eventId, int attempts, string errorType);

    [LoggerMessage(EventId = 4114, Level = LogLevel.Error, Message = "{Provider} event {EventId} quarantined after {Attempts} attempts ({ErrorType}); see /api/admin/deadletters?queue=webhooks")]
    public static partial void DeliveryQuarantined(ILogger logger, string provider, string eventId, int attempts, string errorType);

    [LoggerMessage(EventId = 4115, Level = LogLevel.Information, Message = "{Provider} event {EventId} re-driven out of quarantine")]
    public static partial void DeliveryRedriven(ILogger logger, string provider, string eventId);

    [LoggerMessage(EventId = 4116, Level = LogLevel.Debug, Message = "{Provider} delivery rejected: the request body could not be read ({Reason})")]
    public static partial void BodyUnreadable(ILogger logger, WebhookProvider provider, string reason);
}
