namespace CustomerSuccess.Functions.Alerts;

/// <summary>
/// Told after an account's alerts changed and the change was written (raised, escalated, stepped down, cleared,
/// acknowledged or resolved by hand), with the account's alerts as they now stand. Alerts defines it; features that
/// follow alerts (playbook tasks) implement it, so Alerts depends on none of them.
/// </summary>
public interface IAlertChangeListener
{
    Task AlertsChangedAsync(string accountId, IReadOnlyList<Alert> alerts, CancellationToken cancellationToken);
}

/// <summary>
/// Tells every <see cref="IAlertChangeListener"/> of a written change. A listener's failure is logged and does not fail
/// the alerting that caused it: the alert is written and its notification queued either way, and the listener sees the
/// account's alerts in full again at its next change.
/// </summary>
public sealed partial class AlertChangeFanOut(IEnumerable<IAlertChangeListener> listeners, ILogger<AlertChangeFanOut> logger)
{
    private readonly IAlertChangeListener[] _listeners = [.. listeners];

    /// <summary>Tells the listeners the account's alerts after <paramref name="changes"/> were written over <paramref name="before"/>.</summary>
    public async Task WrittenAsync(string accountId, IReadOnlyList<Alert> before, IReadOnlyList<AlertChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(changes);
        if (_listeners.Length == 0 || changes.Count == 0)
        {
            return;
        }

        var changed = changes.ToDictionary(c => c.Alert.RuleId, c => c.Alert with { ETag = null }, StringComparer.Ordinal);
        IReadOnlyList<Alert> now = [.. before.Where(a => !changed.ContainsKey(a.RuleId)).Select(a => a with { ETag = null }), .. changed.Values];
        foreach (var listener in _listeners)
        {
            try
            {
                await listener.AlertsChangedAsync(accountId, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.ListenerFailed(logger, listener.GetType().Name, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4212, Level = LogLevel.Error, Message = "{Listener} failed on an alert change; it catches up at the account's next alert change")]
        public static partial void ListenerFailed(ILogger logger, string listener, Exception exception);
    }
}
