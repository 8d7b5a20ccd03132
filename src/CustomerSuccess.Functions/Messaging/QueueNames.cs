namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// Every Service Bus queue the app sends to or is triggered by, with the broker properties the code relies on.
/// Publishers name queues through these constants and function.json files use the same literal names; the
/// infra tests check both against the queues infra/modules/servicebus.bicep declares, property by property.
/// </summary>
public static class QueueNames
{
    /// <summary>Timer fan-out: one message per account shard to rescore.</summary>
    public const string HealthRecompute = "health-recompute";

    public const string AlertsWatch = "alerts-watch";

    public const string AlertsWarning = "alerts-warning";

    public const string AlertsCritical = "alerts-critical";

    /// <summary>Expansion opportunities, for the account's CSM (never on-call).</summary>
    public const string AlertsOpportunity = "alerts-opportunity";

    /// <summary>One message per due lifecycle email step.</summary>
    public const string LifecycleSend = "lifecycle-send";

    /// <summary>Lifecycle sends the fleet's quota reserved a later token for, each scheduled for its slot: a queue of
    /// their own, so a burst on lifecycle-send never makes them late for it.</summary>
    public const string LifecycleSendReserved = "lifecycle-send-reserved";

    /// <summary>What every queue above must be created with, in the order the names are declared.</summary>
    public static IReadOnlyList<QueueSettings> All { get; } =
    [
        QueueSettings.Default(HealthRecompute),
        QueueSettings.Default(AlertsWatch),
        QueueSettings.Default(AlertsWarning),
        QueueSettings.Default(AlertsCritical),
        QueueSettings.Default(AlertsOpportunity),
        QueueSettings.Default(LifecycleSend),
        QueueSettings.Default(LifecycleSendReserved),
    ];
}

/// <summary>
/// Broker properties a queue needs for the code's assumptions to hold: message ids are derived from what a
/// message is about, so duplicate detection must be on for a resend to be dropped; handlers are idempotent and
/// retried by redelivery, so a poison message stops after <see cref="MaxDeliveryCount"/> and lands in the
/// dead-letter queue, as does a message that expires unprocessed.
/// </summary>
public sealed record QueueSettings(
    string Name,
    bool RequiresDuplicateDetection,
    TimeSpan DuplicateDetectionHistoryTimeWindow,
    int MaxDeliveryCount,
    TimeSpan LockDuration,
    bool DeadLetteringOnMessageExpiration)
{
    /// <summary>Ten deliveries as the local runner's default; a one-minute lock that the host renews for up to
    /// host.json's maxAutoLockRenewalDuration; a ten-minute duplicate window as the local runner's.</summary>
    public static QueueSettings Default(string name) => new(
        name,
        RequiresDuplicateDetection: true,
        DuplicateDetectionHistoryTimeWindow: TimeSpan.FromMinutes(10),
        MaxDeliveryCount: 10,
        LockDuration: TimeSpan.FromMinutes(1),
        DeadLetteringOnMessageExpiration: true);
}
