using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// <see cref="ILifecycleStore"/> on Table storage. Three tables:
/// <list type="bullet">
/// <item>LifecycleEnrollments: partition = account, row = "{contact}|{sequence}|{enrollmentKey}" (per-recipient state).</item>
/// <item>LifecycleLedger: partition = the deterministic send id, row "send": written with insert, a 409 means the
/// send is already recorded (never check-then-insert).</item>
/// <item>LifecycleContacts: partition = contact id, row "state" (last lifecycle email, for the cap) and row
/// "suppressed" (unsubscribe or hard bounce; inserted once, the first reason stays).</item>
/// </list>
/// </summary>
public sealed class LifecycleTableStore(ITableStore tables) : ILifecycleStore
{
    public const string EnrollmentsTable = "LifecycleEnrollments";
    public const string LedgerTable = "LifecycleLedger";
    public const string ContactsTable = "LifecycleContacts";

    private const string LedgerRow = "send";
    private const string StateRow = "state";
    private const string SuppressedRow = "suppressed";
    private const string SentStatus = "sent";
    private const string RejectedStatus = "rejected";

    public static string EnrollmentRow(string contactId, string sequence, string enrollmentKey) => contactId + "|" + sequence + "|" + enrollmentKey;

    public async Task<LifecycleEnrollment?> GetEnrollmentAsync(string accountId, string contactId, string sequence, string enrollmentKey, CancellationToken cancellationToken)
    {
        var row = await tables.GetAsync(EnrollmentsTable, accountId, EnrollmentRow(contactId, sequence, enrollmentKey), cancellationToken: cancellationToken);
        return row is null ? null : ToEnrollment(row);
    }

    public async Task<IReadOnlyList<LifecycleEnrollment>> GetEnrollmentsAsync(string accountId, CancellationToken cancellationToken)
    {
        var list = new List<LifecycleEnrollment>();
        await foreach (var row in tables.QueryAsync(EnrollmentsTable, "PartitionKey eq " + TableKeys.QuoteLiteral(accountId), cancellationToken: cancellationToken))
        {
            list.Add(ToEnrollment(row));
        }

        return list;
    }

    public async Task SaveEnrollmentsAsync(IReadOnlyList<LifecycleEnrollment> enrollments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrollments);
        foreach (var group in enrollments.GroupBy(e => e.AccountId, StringComparer.Ordinal))
        {
            foreach (var chunk in group.Chunk(100))
            {
                var actions = chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(e))).ToList();
                var result = await tables.SubmitTransactionAsync(EnrollmentsTable, actions, cancellationToken);
                if (!result.Succeeded)
                {
                    throw new TableRequestFailedException(result.FailedStatus ?? 0, result.ErrorCode, $"Saving lifecycle enrollments of account {group.Key} failed ({result.ErrorCode}).");
                }
            }
        }
    }

    public async Task<LifecycleContactState> GetContactStateAsync(string contactId, CancellationToken cancellationToken)
    {
        DateTimeOffset? lastSent = null;
        string? suppressed = null;
        await foreach (var row in tables.QueryAsync(ContactsTable, "PartitionKey eq " + TableKeys.QuoteLiteral(contactId), cancellationToken: cancellationToken))
        {
            if (row.RowKey == StateRow)
            {
                lastSent = row.GetDateTimeOffset("LastSentAt");
            }
            else if (row.RowKey == SuppressedRow)
            {
                suppressed = row.GetString("Reason") ?? "suppressed";
            }
        }

        return new LifecycleContactState(contactId, lastSent, suppressed is not null, suppressed);
    }

    public async Task<IReadOnlyDictionary<string, LifecycleContactState>> GetContactStatesAsync(IEnumerable<string> contactIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contactIds);
        var states = new Dictionary<string, LifecycleContactState>(StringComparer.Ordinal);
        foreach (var id in contactIds.Distinct(StringComparer.Ordinal))
        {
            states[id] = await GetContactStateAsync(id, cancellationToken);
        }

        return states;
    }

    public async Task<bool> WasSentAsync(string sendId, CancellationToken cancellationToken)
    {
        var row = await tables.GetAsync(LedgerTable, sendId, LedgerRow, ["Status"], cancellationToken);
        return row?.GetString("Status") == SentStatus;
    }

    public async Task RecordSentAsync(LifecycleSendMessage message, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Insert-and-409: a redelivered message that raced past the ledger check finds the row and leaves it as it was.
        await tables.InsertAsync(LedgerTable, LedgerEntity(message, SentStatus, at, null), cancellationToken);
        await MoveLastSentForwardAsync(message.ContactId, at, cancellationToken);
    }

    public async Task RecordRejectedAsync(LifecycleSendMessage message, string errorCode, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await tables.InsertAsync(LedgerTable, LedgerEntity(message, RejectedStatus, at, errorCode), cancellationToken);
    }

    public async Task<bool> SuppressAsync(string contactId, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(contactId, SuppressedRow) { ["Reason"] = reason, ["SuppressedAt"] = at };
        var result = await tables.InsertAsync(ContactsTable, entity, cancellationToken);
        return result.Status == TableWriteStatus.Success;
    }

    // Only ever forward, guarded by the ETag, so two sends finishing out of order cannot move the cap window back.
    private async Task MoveLastSentForwardAsync(string contactId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await tables.GetAsync(ContactsTable, contactId, StateRow, cancellationToken: cancellationToken);
            if (current?.GetDateTimeOffset("LastSentAt") is { } last && last >= at)
            {
                return;
            }

            var entity = new TableEntity(contactId, StateRow) { ["LastSentAt"] = at };
            var result = current is null
                ? await tables.InsertAsync(ContactsTable, entity, cancellationToken)
                : await tables.UpdateAsync(ContactsTable, entity, current.ETag ?? "*", TableUpdateMode.Merge, cancellationToken);
            if (result.Succeeded)
            {
                return;
            }
        }
    }

    private static TableEntity LedgerEntity(LifecycleSendMessage m, string status, DateTimeOffset at, string? error) => new(m.SendId, LedgerRow)
    {
        ["Status"] = status,
        ["AccountId"] = m.AccountId,
        ["ContactId"] = m.ContactId,
        ["Sequence"] = m.Sequence,
        ["Step"] = m.Step,
        ["EnrollmentKey"] = m.EnrollmentKey,
        ["Occurrence"] = m.Occurrence,
        ["At"] = at,
        ["ErrorCode"] = error,
    };

    internal static TableEntity ToEntity(LifecycleEnrollment e) => new(e.AccountId, EnrollmentRow(e.ContactId, e.Sequence, e.EnrollmentKey))
    {
        ["ContactId"] = e.ContactId,
        ["Sequence"] = e.Sequence,
        ["EnrollmentKey"] = e.EnrollmentKey,
        ["EnrolledAt"] = e.EnrolledAt,
        ["RenewalDate"] = e.RenewalDate,
        ["ExitedAt"] = e.ExitedAt,
        ["ExitReason"] = e.ExitReason,
        ["StepOccurrences"] = JsonSerializer.Serialize(e.StepOccurrences),
    };

    internal static LifecycleEnrollment ToEnrollment(TableEntity row) => new()
    {
        AccountId = row.PartitionKey,
        ContactId = row.GetString("ContactId") ?? string.Empty,
        Sequence = row.GetString("Sequence") ?? string.Empty,
        EnrollmentKey = row.GetString("EnrollmentKey") ?? string.Empty,
        EnrolledAt = row.GetDateTimeOffset("EnrolledAt") ?? DateTimeOffset.MinValue,
        RenewalDate = row.GetDateTimeOffset("RenewalDate"),
        ExitedAt = row.GetDateTimeOffset("ExitedAt"),
        ExitReason = row.GetString("ExitReason"),
        StepOccurrences = row.GetString("StepOccurrences") is { Length: > 0 } json
            ? JsonSerializer.Deserialize<Dictionary<string, int>>(json) ?? new Dictionary<string, int>(StringComparer.Ordinal)
            : new Dictionary<string, int>(StringComparer.Ordinal),
    };

    /// <summary>Enrollment content as text, to write back only what a scan changed.</summary>
    public static string Fingerprint(LifecycleEnrollment e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return string.Join(
            '\n',
            e.AccountId,
            e.ContactId,
            e.Sequence,
            e.EnrollmentKey,
            e.EnrolledAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
            e.RenewalDate?.UtcTicks.ToString(CultureInfo.InvariantCulture),
            e.ExitedAt?.UtcTicks.ToString(CultureInfo.InvariantCulture),
            e.ExitReason,
            string.Join(',', e.StepOccurrences.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value.ToString(CultureInfo.InvariantCulture))));
    }
}
