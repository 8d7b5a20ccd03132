using System.Diagnostics.Metrics;

namespace CustomerSuccess.Functions.Telemetry;

/// <summary>
/// The app's instruments, one meter. Names are dotted lowercase with UCUM units, as the OpenTelemetry semantic
/// conventions write them; tags are low-cardinality (provider, outcome, reason, tier, queue), never an id.
/// Without a listener (Telemetry__Exporter=none) a measurement is a null check.
/// </summary>
public sealed class AppMetrics
{
    public const string MeterName = "CustomerSuccess.Functions";

    private readonly Counter<long> _webhookEvents;
    private readonly Counter<long> _deliveriesQuarantined;
    private readonly Histogram<double> _recomputeDuration;
    private readonly Counter<long> _accountsScored;
    private readonly Counter<long> _alertsRaised;
    private readonly Counter<long> _slaBreaches;
    private readonly Counter<long> _notificationsSent;
    private readonly Counter<long> _emailsSent;
    private readonly Counter<long> _emailsDeferred;
    private readonly Counter<long> _emailsThrottled;
    private readonly Meter _meter;

    public AppMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = _meter = meterFactory.Create(MeterName);
        _webhookEvents = meter.CreateCounter<long>("customer_success.webhook.events", "{event}", "Webhook events received, by provider and outcome (stored, duplicate, rejected with its reason).");
        _deliveriesQuarantined = meter.CreateCounter<long>("customer_success.webhook.deliveries.quarantined", "{delivery}", "Deliveries the applier gave up on and quarantined.");
        _recomputeDuration = meter.CreateHistogram<double>("customer_success.health.recompute.duration", "s", "Duration of one recompute shard.");
        _accountsScored = meter.CreateCounter<long>("customer_success.health.accounts.scored", "{account}", "Accounts scored by recompute.");
        _alertsRaised = meter.CreateCounter<long>("customer_success.alerts.raised", "{alert}", "Alerts raised or escalated to a tier, by tier.");
        _slaBreaches = meter.CreateCounter<long>("customer_success.alerts.sla.breaches", "{alert}", "Alerts that passed their due time unacknowledged (the escalation contact is told), by tier.");
        _notificationsSent = meter.CreateCounter<long>("customer_success.alerts.notifications.sent", "{notification}", "Alert notifications handed to the email provider, by the provider's answer.");
        _emailsSent = meter.CreateCounter<long>("customer_success.lifecycle.emails.sent", "{email}", "Lifecycle emails sent.");
        _emailsDeferred = meter.CreateCounter<long>("customer_success.lifecycle.emails.deferred", "{email}", "Lifecycle emails deferred, by reason (cap, quiet_hours, quota, throttled).");
        _emailsThrottled = meter.CreateCounter<long>("customer_success.lifecycle.emails.throttled", "{email}", "Lifecycle emails the email provider refused with 429 (every instance then holds off until its Retry-After).");
    }

    /// <summary>
    /// The applier's backlog as the code that holds it knows it (read when a reader collects, no storage call): the
    /// acknowledged deliveries it holds and not applied yet, and how long the oldest of them has waited since it was received.
    /// </summary>
    public void ObserveWebhookBacklog(Func<long> deliveries, Func<double> oldestAgeSeconds)
    {
        _meter.CreateObservableUpDownCounter("customer_success.webhook.applier.backlog", deliveries, "{delivery}", "Acknowledged webhook deliveries this instance holds and has not applied yet.");
        _meter.CreateObservableGauge("customer_success.webhook.applier.lag", oldestAgeSeconds, "s", "Age of the oldest acknowledged delivery this instance holds unapplied (0 when none).");
    }

    /// <summary>Messages in each queue's dead letters, by queue, from whoever holds the queues in this process.</summary>
    public void ObserveDeadLetters(Func<IEnumerable<Measurement<long>>> perQueue) =>
        _meter.CreateObservableUpDownCounter("customer_success.queue.dead_letters", perQueue, "{message}", "Messages in a queue's dead letters, by queue.");

    /// <summary>The lifecycle send quota used, as a share of its limit, per window (minute, hour).</summary>
    public void ObserveLifecycleQuota(Func<(double Minute, double Hour)> utilization)
    {
        ArgumentNullException.ThrowIfNull(utilization);
        _meter.CreateObservableGauge(
            "customer_success.lifecycle.quota.utilization",
            () =>
            {
                var (minute, hour) = utilization();
                return (Measurement<double>[])[new(minute, new KeyValuePair<string, object?>("window", "minute")), new(hour, new KeyValuePair<string, object?>("window", "hour"))];
            },
            "1",
            "Lifecycle emails this instance sent in the trailing minute or hour as a share of the fleet's limit for it (summed over instances: the fleet's).");
    }

    /// <summary>A tag for <see cref="ObserveDeadLetters"/>.</summary>
    public static Measurement<long> DeadLetters(string queue, long count) => new(count, new KeyValuePair<string, object?>("queue", queue));

    public void WebhookEvents(string provider, string outcome, string? reason, long count)
    {
        if (count <= 0)
        {
            return;
        }

        _webhookEvents.Add(count, [new("provider", provider), new("outcome", outcome), new("reason", reason ?? "none")]);
    }

    public void DeliveryQuarantined(string provider) => _deliveriesQuarantined.Add(1, new KeyValuePair<string, object?>("provider", provider));

    public void RecomputeShard(TimeSpan duration, long accounts)
    {
        _recomputeDuration.Record(duration.TotalSeconds);
        _accountsScored.Add(accounts);
    }

    public void AlertRaised(string tier) => _alertsRaised.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void AlertSlaBreached(string tier) => _slaBreaches.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void NotificationSent(string status) => _notificationsSent.Add(1, new KeyValuePair<string, object?>("status", status));

    public void LifecycleEmailSent() => _emailsSent.Add(1);

    public void LifecycleEmailThrottled() => _emailsThrottled.Add(1);

    public void LifecycleEmailDeferred(string reason) => _emailsDeferred.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
