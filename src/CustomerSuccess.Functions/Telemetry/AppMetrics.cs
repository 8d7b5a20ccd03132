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

    public AppMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _webhookEvents = meter.CreateCounter<long>("customer_success.webhook.events", "{event}", "Webhook events received, by provider and outcome (stored, duplicate, rejected with its reason).");
        _deliveriesQuarantined = meter.CreateCounter<long>("customer_success.webhook.deliveries.quarantined", "{delivery}", "Deliveries the applier gave up on and quarantined.");
        _recomputeDuration = meter.CreateHistogram<double>("customer_success.health.recompute.duration", "s", "Duration of one recompute shard.");
        _accountsScored = meter.CreateCounter<long>("customer_success.health.accounts.scored", "{account}", "Accounts scored by recompute.");
        _alertsRaised = meter.CreateCounter<long>("customer_success.alerts.raised", "{alert}", "Alerts raised or escalated to a tier, by tier.");
        _slaBreaches = meter.CreateCounter<long>("customer_success.alerts.sla.breaches", "{alert}", "Alerts that passed their due time unacknowledged (the escalation contact is told), by tier.");
        _notificationsSent = meter.CreateCounter<long>("customer_success.alerts.notifications.sent", "{notification}", "Alert notifications handed to the email provider, by the provider's answer.");
        _emailsSent = meter.CreateCounter<long>("customer_success.lifecycle.emails.sent", "{email}", "Lifecycle emails sent.");
        _emailsDeferred = meter.CreateCounter<long>("customer_success.lifecycle.emails.deferred", "{email}", "Lifecycle emails deferred, by reason (cap, quiet_hours, quota, throttled).");
    }

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

    public void LifecycleEmailDeferred(string reason) => _emailsDeferred.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
