using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>An alert notification waiting to be sent: written in the same transaction as the alert change.</summary>
public sealed record AlertOutboxItem(string AccountId, string MessageId, string Queue, AlertNotification Notification);

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
/// rule by construction), plus outbox rows "outbox|{messageId}" in the same partition, so an alert change and
/// the notification it causes commit in one entity-group transaction: nothing is lost between score and queue.
/// </summary>
public sealed class AlertStore(ITableStore tables, string table = AlertStore.DefaultTable)
{
    public const string DefaultTable = "alerts";
    // "~" sorts after every rule id, so alert rows and outbox rows are two key ranges of the partition.
    public const string OutboxPrefix = "~outbox|";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => tables.CreateTableIfNotExistsAsync(table, cancellationToken);

    public async Task<IReadOnlyList<Alert>> GetForAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>();
        await foreach (var e in tables.QueryAsync(table, $"PartitionKey eq '{Escape(accountId)}' and RowKey lt '~'", cancellationToken: cancellationToken))
        {
            alerts.Add(ToAlert(e));
        }

        return alerts;
    }

    public async Task<Alert?> GetAsync(string accountId, string ruleId, CancellationToken cancellationToken) =>
        await tables.GetAsync(table, accountId, ruleId, cancellationToken: cancellationToken).ConfigureAwait(false) is { } e ? ToAlert(e) : null;

    /// <summary>Active alerts (open or acknowledged) across accounts.</summary>
    public async IAsyncEnumerable<Alert> ListActiveAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in tables.QueryAsync(table, "Status ne 'Resolved' and RowKey lt '~'", cancellationToken: cancellationToken))
        {
            yield return ToAlert(e);
        }
    }

    /// <summary>Writes one account's changes and their outbox rows atomically, guarded by the ETags read.</summary>
    public async Task<AlertWriteStatus> ApplyAsync(string accountId, IReadOnlyList<AlertChange> changes, CancellationToken cancellationToken)
    {
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

            var entity = ToEntity(change.Alert);
            actions.Add(change.Alert.ETag is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, etag)
                : new TableTransactionAction(TableTransactionActionType.Add, entity));
            if (change.Notifies)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToOutboxEntity(change)));
            }
        }

        var result = await tables.SubmitTransactionAsync(table, actions, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return AlertWriteStatus.Written;
        }

        if (result.FailedStatus is 409 or 412 or 404)
        {
            return AlertWriteStatus.Conflict;
        }

        throw new TableRequestFailedException(result.FailedStatus ?? 0, result.ErrorCode, "Writing alert changes failed.");
    }

    public async IAsyncEnumerable<AlertOutboxItem> ListOutboxAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in tables.QueryAsync(table, $"RowKey ge '{OutboxPrefix}' and RowKey lt '~outbox}}'", cancellationToken: cancellationToken))
        {
            var notification = JsonSerializer.Deserialize<AlertNotification>(e.GetString("Body")!, Json)!;
            yield return new AlertOutboxItem(e.PartitionKey, e.RowKey[OutboxPrefix.Length..], e.GetString("Queue")!, notification);
        }
    }

    public Task DeleteOutboxAsync(AlertOutboxItem item, CancellationToken cancellationToken) =>
        tables.DeleteAsync(table, item.AccountId, OutboxPrefix + item.MessageId, cancellationToken: cancellationToken);

    internal static TableEntity ToEntity(Alert alert)
    {
        var e = new TableEntity(alert.AccountId, alert.RuleId)
        {
            ["Occurrence"] = alert.Occurrence,
            ["Tier"] = alert.Tier.ToString(),
            ["Status"] = alert.Status.ToString(),
            ["RaisedAt"] = alert.RaisedAt,
            ["DueBy"] = alert.DueBy,
            ["Version"] = alert.Version,
            ["ConditionKey"] = alert.ConditionKey,
            ["Reason"] = alert.Reason,
            ["AccountName"] = alert.AccountName,
            ["CsmEmail"] = alert.CsmEmail,
            ["Drivers"] = JsonSerializer.Serialize(alert.Drivers, Json),
            ["AcknowledgedAt"] = alert.AcknowledgedAt,
            ["AcknowledgedBy"] = alert.AcknowledgedBy,
            ["ResolvedAt"] = alert.ResolvedAt,
            ["ResolutionNote"] = alert.ResolutionNote,
            ["EscalatedToContact"] = alert.EscalatedToContact,
        };
        foreach (var key in e.Properties.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            e.Properties.Remove(key);
        }

        return e;
    }

    internal static Alert ToAlert(TableEntity e) => new()
    {
        AccountId = e.PartitionKey,
        RuleId = e.RowKey,
        Occurrence = e.GetInt32("Occurrence") ?? 1,
        Tier = Enum.Parse<AlertTier>(e.GetString("Tier")!),
        Status = Enum.Parse<AlertStatus>(e.GetString("Status")!),
        RaisedAt = e.GetDateTimeOffset("RaisedAt") ?? default,
        DueBy = e.GetDateTimeOffset("DueBy") ?? default,
        Version = e.GetInt32("Version") ?? 1,
        ConditionKey = e.GetString("ConditionKey") ?? string.Empty,
        Reason = e.GetString("Reason") ?? string.Empty,
        AccountName = e.GetString("AccountName"),
        CsmEmail = e.GetString("CsmEmail"),
        Drivers = e.GetString("Drivers") is { } d ? JsonSerializer.Deserialize<List<HealthDriver>>(d, Json) ?? [] : [],
        AcknowledgedAt = e.GetDateTimeOffset("AcknowledgedAt"),
        AcknowledgedBy = e.GetString("AcknowledgedBy"),
        ResolvedAt = e.GetDateTimeOffset("ResolvedAt"),
        ResolutionNote = e.GetString("ResolutionNote"),
        EscalatedToContact = e.GetBoolean("EscalatedToContact") ?? false,
        ETag = e.ETag,
    };

    private static TableEntity ToOutboxEntity(AlertChange change)
    {
        var messageId = MessageIdFor(change);
        return new TableEntity(change.Alert.AccountId, OutboxPrefix + messageId)
        {
            ["Queue"] = AlertTierRouter.QueueFor(change.Alert.Tier),
            ["Body"] = JsonSerializer.Serialize(new AlertNotification(change.Kind, change.Alert with { ETag = null }), Json),
        };
    }

    /// <summary>The message id of a notifying change: "{alertId}-{tier}-{version}" (escalation to the contact bumps the version).</summary>
    public static string MessageIdFor(AlertChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Alert.MessageId;
    }

    internal static string Escape(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    internal static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);
}
