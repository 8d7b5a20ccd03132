namespace CustomerSuccess.Functions.Webhooks;

/// <summary>Webhook log events. Event ids and types only: never bodies, signatures or secrets.</summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "{Provider} delivery rejected: signature check {Check}")]
    public static partial void SignatureRejected(ILogger logger, WebhookProvider provider, SignatureCheck check);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "{Provider} delivery rejected: {Reason}")]
    public static partial void BodyRejected(ILogger logger, WebhookProvider provider, string reason);

    // One line per delivery: Debug, so a production log (exported to Application Insights) is not one record per
    // webhook; the webhooks counter counts them and a sampled trace follows one.
    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "{Provider} event {EventId} ({EventType}) stored")]
    public static partial void EventStored(ILogger logger, WebhookProvider provider, string eventId, string eventType);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "{Provider} event {EventId} already stored; acknowledged as duplicate")]
    public static partial void EventDuplicate(ILogger logger, WebhookProvider provider, string eventId);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "{Provider} delivery not stored: storage unavailable ({ErrorType}); answered 503 so the provider retries")]
    public static partial void StorageUnavailable(ILogger logger, WebhookProvider provider, string errorType);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "No signing secret configured for {Provider}: every delivery will be rejected")]
    public static partial void NoSecretConfigured(ILogger logger, WebhookProvider provider);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Information, Message = "Sweep: {Seen} pending, {Applied} applied, {Parked} parked, {Quarantined} quarantined, {Failed} failed")]
    public static partial void SweepApplied(ILogger logger, int seen, int applied, int parked, int quarantined, int failed);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Information, Message = "Applier: {Applied} events applied in {Pages} pages, {BusySeconds:F1} s busy, {Rate:F0} events/s while busy; app day {AppDay:yyyy-MM-dd}")]
    public static partial void ApplierRate(ILogger logger, int applied, int pages, double busySeconds, double rate, DateOnly appDay);

    [LoggerMessage(EventId = 4118, Level = LogLevel.Debug, Message = "Page of {Deliveries} deliveries, {Accounts} accounts: claim {ClaimMs} ms, resolve {ResolveMs} ms, accounts {AccountsMs} ms, finish {FinishMs} ms")]
    public static partial void PageApplied(ILogger logger, int deliveries, int accounts, long claimMs, long resolveMs, long accountsMs, long finishMs);

    [LoggerMessage(EventId = 4114, Level = LogLevel.Warning, Message = "{Count} events of account {AccountId} not applied ({ErrorType}); each counts a failed attempt")]
    public static partial void AccountApplyFailed(ILogger logger, string accountId, int count, string errorType);

    [LoggerMessage(EventId = 4115, Level = LogLevel.Warning, Message = "{Provider} event {EventId} failed to apply (attempt {Attempts}); the next sweep retries it")]
    public static partial void DeliveryFailed(ILogger logger, WebhookProvider provider, string eventId, int attempts);

    [LoggerMessage(EventId = 4116, Level = LogLevel.Error, Message = "{Provider} event {EventId} quarantined after {Attempts} attempts ({ErrorType}); see /api/admin/deadletters?queue=webhooks")]
    public static partial void DeliveryQuarantined(ILogger logger, WebhookProvider provider, string eventId, int attempts, string errorType);

    [LoggerMessage(EventId = 4117, Level = LogLevel.Information, Message = "Archive retention: {Removed} events archived before {KeepFrom:yyyy-MM-dd} removed")]
    public static partial void RetentionRemoved(ILogger logger, int removed, DateOnly keepFrom);

    [LoggerMessage(EventId = 4119, Level = LogLevel.Information, Message = "{Provider} event {EventId} re-driven out of quarantine")]
    public static partial void DeliveryRedriven(ILogger logger, WebhookProvider provider, string eventId);

    [LoggerMessage(EventId = 4120, Level = LogLevel.Debug, Message = "{Provider} delivery rejected: the request body could not be read ({Reason})")]
    public static partial void BodyUnreadable(ILogger logger, WebhookProvider provider, string reason);
}
