using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Alerts;

public enum AlertCommandStatus
{
    Done,
    NotFound,

    /// <summary>Already resolved: nothing to acknowledge or resolve.</summary>
    NotActive,
}

/// <summary>The API's alert operations: list active alerts, acknowledge, resolve with a note (ETag-guarded).</summary>
public sealed class AlertCommands(AlertStore store, OpenAlertsCache openAlerts, TimeProvider clock, IOptions<AlertsOptions> options, AlertChangeFanOut? fanOut = null)
{
    public async Task<IReadOnlyList<Alert>> ListActiveAsync(AlertTier? tier, string? csm, string? accountId, CancellationToken cancellationToken)
    {
        var result = new List<Alert>();
        var alerts = accountId is null
            ? (await openAlerts.GetAsync(cancellationToken).ConfigureAwait(false)).Alerts
            : (await store.GetForAccountAsync(accountId, cancellationToken).ConfigureAwait(false)).Where(a => a.IsActive).ToList();
        foreach (var a in alerts)
        {
            if ((tier is null || a.Tier == tier) && (csm is null || string.Equals(a.CsmEmail, csm, StringComparison.OrdinalIgnoreCase)))
            {
                result.Add(a);
            }
        }

        return [.. result.OrderByDescending(a => a.Tier).ThenBy(a => a.DueBy)];
    }

    public Task<(AlertCommandStatus, Alert?)> AcknowledgeAsync(string accountId, string ruleId, string? by, CancellationToken cancellationToken) =>
        ChangeAsync(accountId, ruleId, AlertChangeKind.Acknowledge, a => a with { Status = AlertStatus.Acknowledged, AcknowledgedAt = clock.GetUtcNow(), AcknowledgedBy = by }, cancellationToken);

    public Task<(AlertCommandStatus, Alert?)> ResolveAsync(string accountId, string ruleId, string? note, CancellationToken cancellationToken) =>
        ResolveAsync(accountId, ruleId, note, null, cancellationToken);

    /// <summary>Resolves the alert, recording who did (the signed-in user of a page).</summary>
    public Task<(AlertCommandStatus, Alert?)> ResolveAsync(string accountId, string ruleId, string? note, string? by, CancellationToken cancellationToken) =>
        ChangeAsync(accountId, ruleId, AlertChangeKind.Resolve, a => a with { Status = AlertStatus.Resolved, ResolvedAt = clock.GetUtcNow(), ResolutionNote = note, ResolvedBy = by }, cancellationToken);

    /// <summary>
    /// Escalates the account's alert of <paramref name="ruleId"/> because a step of the playbook task its episode
    /// (<paramref name="occurrence"/>) opened is overdue (<see cref="AlertRuleEngine.EscalateForOverdueStep"/>); the
    /// notification goes out through the outbox like any escalation. NotActive when that episode is over or nothing
    /// is left to escalate.
    /// </summary>
    public async Task<(AlertCommandStatus, Alert?)> EscalateForOverdueStepAsync(string accountId, string ruleId, int occurrence, string step, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var alert = await store.GetAsync(accountId, ruleId, cancellationToken).ConfigureAwait(false);
            if (alert is null)
            {
                return (AlertCommandStatus.NotFound, null);
            }

            if (alert.Occurrence != occurrence || AlertRuleEngine.EscalateForOverdueStep(alert, step, options.Value, clock.GetUtcNow()) is not { } change)
            {
                return (AlertCommandStatus.NotActive, alert);
            }

            if (await store.ApplyAsync(accountId, [change], cancellationToken).ConfigureAwait(false) == AlertWriteStatus.Written)
            {
                return (AlertCommandStatus.Done, change.Alert with { ETag = null });
            }
        }

        throw new InvalidOperationException($"Alert {accountId}/{ruleId} kept changing.");
    }

    private async Task<(AlertCommandStatus, Alert?)> ChangeAsync(string accountId, string ruleId, AlertChangeKind kind, Func<Alert, Alert> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var alert = await store.GetAsync(accountId, ruleId, cancellationToken).ConfigureAwait(false);
            if (alert is null)
            {
                return (AlertCommandStatus.NotFound, null);
            }

            if (!alert.IsActive)
            {
                return (AlertCommandStatus.NotActive, alert);
            }

            var updated = change(alert);
            if (await store.ApplyAsync(accountId, [new AlertChange(kind, updated)], cancellationToken).ConfigureAwait(false) == AlertWriteStatus.Written)
            {
                if (fanOut is not null)
                {
                    // The other alerts of the account as they stand, for listeners that follow the whole account.
                    var others = (await store.GetForAccountAsync(accountId, cancellationToken).ConfigureAwait(false)).Where(a => a.RuleId != ruleId).ToList();
                    await fanOut.WrittenAsync(accountId, others, [new AlertChange(kind, updated)], cancellationToken).ConfigureAwait(false);
                }

                return (AlertCommandStatus.Done, updated with { ETag = null });
            }
        }

        throw new InvalidOperationException($"Alert {accountId}/{ruleId} kept changing.");
    }
}
