using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>An alert notification waiting to be sent: written in the same transaction as the alert change. TraceParent is
/// the W3C context of the work that raised it, when traces are recorded; its message carries it.</summary>
public sealed record AlertOutboxItem(string AccountId, string MessageId, string Queue, AlertNotification Notification, string? TraceParent = null);

/// <summary>The body of an alert message on a tier queue: everything a consumer needs to notify.</summary>
public sealed record AlertNotification(AlertChangeKind Kind, Alert Alert);

/// <summary>Result of writing an account's alert changes.</summary>
public enum AlertWriteStatus
{
    Written,

    /// <summary>Someone else changed the account's alerts in between (ETag); reload and decide again.</summary>
    Conflict,
}

/// <summary>
/// Alerts in Table storage. Table "alerts": partition = account id, row = rule id (so one alert per account and
/// rule by construction), plus outbox rows "~outbox|{messageId}" in the same partition, so an alert change and
/// the notification it causes commit in one entity-group transaction: nothing is lost between score and queue.
/// </summary>
public sealed partial class AlertStore(AppTables tables, ILogger<AlertStore>? logger = null)
{
    public const string DefaultTable = "alerts";
    // "~" sorts after every rule id, so alert rows and outbox rows are two key ranges of the partition.
    public const string OutboxPrefix = "~outbox|";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static readonly TableFilter ActiveAlerts = TableFilter.Of($"Status ne {nameof(AlertStatus.Resolved)} and RowKey lt {"~"}");
    private static readonly TableFilter OutboxRows = TableFilter.Of($"RowKey ge {OutboxPrefix} and RowKey lt {TableFilter.PrefixEnd(OutboxPrefix)}");

    private readonly AppTable _alerts = tables[DefaultTable];
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Raised after this instance wrote alert changes (<see cref="ApplyAsync"/>), with the alerts as written, so readers holding the open alerts can apply them.</summary>
    public event Action<IReadOnlyList<Alert>>? Changed;

    public async Task<IReadOnlyList<Alert>> GetForAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>();
        await foreach (var e in _alerts.QueryAsync<AlertEntity>(TableFilter.Of($"PartitionKey eq {accountId} and RowKey lt {"~"}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            alerts.Add(e.ToAlert());
        }

        return alerts;
    }

    public async Task<Alert?> GetAsync(string accountId, string ruleId, CancellationToken cancellationToken) =>
        (await _alerts.GetAsync<AlertEntity>(accountId, ruleId, cancellationToken: cancellationToken).ConfigureAwait(false))?.ToAlert();

    /// <summary>Active alerts (open or acknowledged) across accounts.</summary>
    public async IAsyncEnumerable<Alert> ListActiveAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _alerts.QueryAsync<AlertEntity>(ActiveAlerts, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return e.ToAlert();
        }
    }

    /// <summary>Alerts of any status whose due time is in [<paramref name="from"/>, <paramref name="until"/>), across accounts (one scan of the table).</summary>
    public async IAsyncEnumerable<Alert> ListDueAsync(DateTimeOffset from, DateTimeOffset until, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableFilter.Of($"DueBy ge {from} and DueBy lt {until} and RowKey lt {"~"}");
        await foreach (var e in _alerts.QueryAsync<AlertEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return e.ToAlert();
        }
    }

    /// <summary>Every account's alert of one rule, as stored (the latest occurrence), in one scan.</summary>
    public async IAsyncEnumerable<Alert> ListByRuleAsync(string ruleId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _alerts.QueryAsync<AlertEntity>(TableFilter.Of($"RowKey eq {ruleId}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return e.ToAlert();
        }
    }

    /// <summary>Writes one account's changes and their outbox rows atomically, guarded by the ETags read.</summary>
    public async Task<AlertWriteStatus> ApplyAsync(string accountId, IReadOnlyList<AlertChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return AlertWriteStatus.Written;
        }

        var actions = new List<TableTransactionAction>();
        foreach (var change in changes)
        {
            if (change.Alert.AccountId != accountId)
            {
                throw new ArgumentException("A transaction covers one account's partition only.", nameof(changes));
            }

            var entity = AlertEntity.From(change.Alert);
            actions.Add(change.Alert.ETag is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, new ETag(etag))
                : new TableTransactionAction(TableTransactionActionType.Add, entity));
            if (change.Notifies)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, AlertOutboxEntity.From(change)));
            }
        }

        var result = await _alerts.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            await SyncOpenIndexAsync(accountId, changes.Select(c => c.Alert.RuleId).Distinct(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
            Changed?.Invoke([.. changes.Select(c => c.Alert)]);
            return AlertWriteStatus.Written;
        }

        if (result.FailedStatus is 409 or 412 or 404)
        {
            return AlertWriteStatus.Conflict;
        }

        throw new InvalidOperationException($"Writing alert changes of account {accountId} was refused: {result.FailedStatus} {result.ErrorCode}.");
    }

    public async IAsyncEnumerable<AlertOutboxItem> ListOutboxAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _alerts.QueryAsync<AlertOutboxEntity>(OutboxRows, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return e.ToItem();
        }
    }

    /// <summary>Deletes sent outbox rows, one transaction per account (their partition); a row gone already is fine.</summary>
    public Task DeleteOutboxAsync(IReadOnlyList<AlertOutboxItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        return _alerts.SubmitEachAsync([.. items.Select(item => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(item.AccountId, OutboxPrefix + item.MessageId), ETag.All))], cancellationToken);
    }

    /// <summary>The message id of a notifying change: "{alertId}-{tier}-{version}" (escalation to the contact bumps the version).</summary>
    public static string MessageIdFor(AlertChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Alert.MessageId;
    }

    internal static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);
}

/// <summary>One account's alert for one rule (table "alerts", partition = account, row = rule).</summary>
public sealed class AlertEntity : TableRow
{
    public int Occurrence { get; set; } = 1;

    public AlertTier Tier { get; set; }

    public AlertStatus Status { get; set; }

    public DateTimeOffset RaisedAt { get; set; }

    public DateTimeOffset DueBy { get; set; }

    public int Version { get; set; } = 1;

    public AlertTier? RuleTier { get; set; }

    public string ConditionKey { get; set; } = string.Empty;

    public string Reason { get; set; } = string.Empty;

    public string? AccountName { get; set; }

    public string? CsmEmail { get; set; }

    /// <summary>The drivers as JSON.</summary>
    public string? Drivers { get; set; }

    /// <summary>An Opportunity's signals and estimate as JSON (null for risk alerts).</summary>
    public string? Opportunity { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    public string? AcknowledgedBy { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public string? ResolutionNote { get; set; }

    public string? ResolvedBy { get; set; }

    public bool EscalatedToContact { get; set; }

    public static AlertEntity From(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return new AlertEntity
        {
            PartitionKey = alert.AccountId,
            RowKey = alert.RuleId,
            Occurrence = alert.Occurrence,
            Tier = alert.Tier,
            Status = alert.Status,
            RaisedAt = alert.RaisedAt,
            DueBy = alert.DueBy,
            Version = alert.Version,
            RuleTier = alert.RuleTier,
            ConditionKey = alert.ConditionKey,
            Reason = alert.Reason,
            AccountName = alert.AccountName,
            CsmEmail = alert.CsmEmail,
            Drivers = JsonSerializer.Serialize(alert.Drivers, AlertStore.Json),
            Opportunity = alert.Opportunity is { } opportunity ? JsonSerializer.Serialize(opportunity, AlertStore.Json) : null,
            AcknowledgedAt = alert.AcknowledgedAt,
            AcknowledgedBy = alert.AcknowledgedBy,
            ResolvedAt = alert.ResolvedAt,
            ResolutionNote = alert.ResolutionNote,
            ResolvedBy = alert.ResolvedBy,
            EscalatedToContact = alert.EscalatedToContact,
        };
    }

    public Alert ToAlert() => new()
    {
        AccountId = PartitionKey,
        RuleId = RowKey,
        Occurrence = Occurrence,
        Tier = Tier,
        Status = Status,
        RaisedAt = RaisedAt,
        DueBy = DueBy,
        Version = Version,
        RuleTier = RuleTier,
        ConditionKey = ConditionKey,
        Reason = Reason,
        AccountName = AccountName,
        CsmEmail = CsmEmail,
        Drivers = Drivers is { } d ? JsonSerializer.Deserialize<List<HealthDriver>>(d, AlertStore.Json) ?? [] : [],
        Opportunity = Opportunity is { } o ? JsonSerializer.Deserialize<ExpansionOpportunity>(o, AlertStore.Json) : null,
        AcknowledgedAt = AcknowledgedAt,
        AcknowledgedBy = AcknowledgedBy,
        ResolvedAt = ResolvedAt,
        ResolutionNote = ResolutionNote,
        ResolvedBy = ResolvedBy,
        EscalatedToContact = EscalatedToContact,
        ETag = ETag == default ? null : ETag.ToString(),
    };
}

/// <summary>A notification waiting to be sent, in its alert's partition (row "~outbox|{messageId}").</summary>
public sealed class AlertOutboxEntity : TableRow
{
    public string Queue { get; set; } = string.Empty;

    /// <summary>The <see cref="AlertNotification"/> as JSON: the message body as it will be sent.</summary>
    public string Body { get; set; } = string.Empty;

    /// <summary>The W3C traceparent of the work that raised the change (when traces are recorded), for its message.</summary>
    public string? TraceParent { get; set; }

    public static AlertOutboxEntity From(AlertChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new AlertOutboxEntity
        {
            PartitionKey = change.Alert.AccountId,
            RowKey = AlertStore.OutboxPrefix + AlertStore.MessageIdFor(change),
            // Easing news waits for the daily digest, which the Watch queue's consumer keeps; an Opportunity's news,
            // raised or ended, stays on its own queue, for the account's CSM alone.
            Queue = AlertTierRouter.QueueFor(change.IsEasing && change.Alert.Tier.IsRisk() ? AlertTier.Watch : change.Alert.Tier),
            Body = JsonSerializer.Serialize(new AlertNotification(change.Kind, change.Alert with { ETag = null }), AlertStore.Json),
            TraceParent = TraceContext.Current(),
        };
    }

    public AlertOutboxItem ToItem() => new(PartitionKey, RowKey[AlertStore.OutboxPrefix.Length..], Queue, JsonSerializer.Deserialize<AlertNotification>(Body, AlertStore.Json)!, TraceParent);
}
