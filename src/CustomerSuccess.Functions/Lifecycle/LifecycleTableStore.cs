using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// <see cref="ILifecycleStore"/> on Table storage. Four tables:
/// <list type="bullet">
/// <item>LifecycleEnrollments: partition = the account's bucket (<see cref="AccountShard"/>), row =
/// "{account}|{contact}|{sequence}|{enrollmentKey}" (per-recipient state). A page of accounts, which comes in bucket
/// order, is one range query.</item>
/// <item>LifecycleAccountContacts: partition = the account's bucket, row = "{account}|{contact}": the contact's last
/// lifecycle email and suppression as the send path last saw them for this account. The scan reads them a page at a
/// time beside the enrollments. A contact can be in several accounts and is unsubscribed by contact alone, so this
/// view may lag (a send through another account, an unsubscribe); the send path checks <see cref="ContactsTable"/>
/// before every email and brings the account's view up to date, so a lagging view costs at most a queued send that
/// is deferred or dropped, never an email that should not go.</item>
/// <item>LifecycleContacts: partition = contact id, row "state" (last lifecycle email, for the cap) and row
/// "suppressed" (unsubscribe or hard bounce; inserted once, the first reason stays). The authority.</item>
/// <item>LifecycleLedger: partition = the deterministic send id, row "send": written with insert, a 409 means the
/// send is already recorded (never check-then-insert).</item>
/// </list>
/// </summary>
public sealed class LifecycleTableStore(AppTables tables) : ILifecycleStore
{
    public const string EnrollmentsTable = "LifecycleEnrollments";
    public const string AccountContactsTable = "LifecycleAccountContacts";
    public const string ContactsTable = "LifecycleContacts";
    public const string LedgerTable = "LifecycleLedger";

    private const string LedgerRow = "send";
    private const string StateRow = "state";
    private const string SuppressedRow = "suppressed";

    private readonly AppTable _enrollments = tables[EnrollmentsTable];
    private readonly AppTable _accountContacts = tables[AccountContactsTable];
    private readonly AppTable _contacts = tables[ContactsTable];
    private readonly AppTable _ledger = tables[LedgerTable];

    public static string EnrollmentRow(string contactId, string sequence, string enrollmentKey) => contactId + "|" + sequence + "|" + enrollmentKey;

    public async Task<LifecycleEnrollment?> GetEnrollmentAsync(string accountId, string contactId, string sequence, string enrollmentKey, CancellationToken cancellationToken)
    {
        var row = await _enrollments.GetAsync<LifecycleEnrollmentEntity>(BucketOf(accountId), accountId + "|" + EnrollmentRow(contactId, sequence, enrollmentKey), cancellationToken: cancellationToken);
        return row?.ToEnrollment();
    }

    public async Task<IReadOnlyList<LifecycleEnrollment>> GetEnrollmentsAsync(string accountId, CancellationToken cancellationToken) =>
        (await GetPageStateAsync([accountId], cancellationToken)).EnrollmentsOf(accountId);

    public async Task<LifecyclePageState> GetPageStateAsync(IReadOnlyCollection<string> accountIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountIds);
        var enrollments = new Dictionary<string, List<LifecycleEnrollment>>(StringComparer.Ordinal);
        var contacts = new Dictionary<string, Dictionary<string, LifecycleContactState>>(StringComparer.Ordinal);
        if (accountIds.Count == 0)
        {
            return new LifecyclePageState(enrollments, contacts);
        }

        var wanted = accountIds.ToHashSet(StringComparer.Ordinal);
        var filter = OfBuckets(wanted);
        var readEnrollments = ReadAsync<LifecycleEnrollmentEntity>(_enrollments, filter, wanted, e => e.AccountId, e => Add(enrollments, e.AccountId, e.ToEnrollment()), cancellationToken);
        var readContacts = ReadAsync<LifecycleAccountContactEntity>(_accountContacts, filter, wanted, c => c.AccountId, c => Add(contacts, c.AccountId, c.ContactId, c.ToState()), cancellationToken);
        await Task.WhenAll(readEnrollments, readContacts);
        return new LifecyclePageState(enrollments, contacts);
    }

    public async Task SaveEnrollmentsAsync(IReadOnlyList<LifecycleEnrollment> enrollments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrollments);
        // A transaction per bucket (up to 100 rows), several buckets at once: the scan waits for all of them.
        var upserts = enrollments.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, LifecycleEnrollmentEntity.From(e))).ToList();
        var outcomes = await _enrollments.SubmitEachAsync(upserts, cancellationToken);
        var refused = Array.FindIndex(outcomes, o => o != TableWriteStatus.Success);
        if (refused >= 0)
        {
            throw new InvalidOperationException($"Saving lifecycle enrollments in bucket {upserts[refused].Entity.PartitionKey} was refused: {outcomes[refused]}.");
        }
    }

    public async Task<LifecycleContactState> GetContactStateAsync(string contactId, CancellationToken cancellationToken)
    {
        var state = _contacts.GetAsync<LifecycleContactSendEntity>(contactId, StateRow, cancellationToken: cancellationToken);
        var suppressed = _contacts.GetAsync<LifecycleSuppressionEntity>(contactId, SuppressedRow, cancellationToken: cancellationToken);
        await Task.WhenAll(state, suppressed);
        var reason = (await suppressed)?.Reason;
        return new LifecycleContactState(contactId, (await state)?.LastSentAt, reason is not null, reason);
    }

    public async Task ShareContactStateAsync(string accountId, LifecycleContactState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await _accountContacts.UpsertAsync(LifecycleAccountContactEntity.From(accountId, state), TableUpdateMode.Merge, cancellationToken);
    }

    public async Task<bool> WasSentAsync(string sendId, CancellationToken cancellationToken)
    {
        var row = await _ledger.GetAsync<LifecycleLedgerEntity>(sendId, LedgerRow, [nameof(LifecycleLedgerEntity.Status)], cancellationToken);
        return row?.Status == LifecycleLedgerStatus.Sent;
    }

    public async Task RecordSentAsync(LifecycleSendMessage message, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Insert-and-409: a redelivered message that raced past the ledger check finds the row and leaves it as it was.
        await _ledger.AddAsync(LifecycleLedgerEntity.From(message, LifecycleLedgerStatus.Sent, at, null), cancellationToken);
        var lastSent = await MoveLastSentForwardAsync(message.ContactId, at, cancellationToken);
        await _accountContacts.UpsertAsync(LifecycleAccountContactEntity.From(message.AccountId, new LifecycleContactState(message.ContactId, lastSent)), TableUpdateMode.Merge, cancellationToken);
    }

    public async Task RecordRejectedAsync(LifecycleSendMessage message, string errorCode, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _ledger.AddAsync(LifecycleLedgerEntity.From(message, LifecycleLedgerStatus.Rejected, at, errorCode), cancellationToken);
    }

    public async Task<bool> SuppressAsync(string contactId, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var result = await _contacts.AddAsync(new LifecycleSuppressionEntity { PartitionKey = contactId, RowKey = SuppressedRow, Reason = reason, SuppressedAt = at }, cancellationToken);
        return result.Succeeded;
    }

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

    internal static string BucketOf(string accountId) => AccountShard.BucketKey(AccountShard.BucketOf(accountId));

    /// <summary>The buckets the accounts are in, as one partition range; the rows of other accounts in it are skipped by the reader.</summary>
    private static TableFilter OfBuckets(IEnumerable<string> accountIds)
    {
        var buckets = accountIds.Select(AccountShard.BucketOf).ToList();
        return TableFilter.Of($"PartitionKey ge {AccountShard.BucketKey(buckets.Min())} and PartitionKey le {AccountShard.BucketKey(buckets.Max())}");
    }

    private static async Task ReadAsync<T>(AppTable table, TableFilter filter, HashSet<string> accounts, Func<T, string> accountOf, Action<T> add, CancellationToken cancellationToken)
        where T : class, ITableEntity, new()
    {
        await foreach (var row in table.QueryAsync<T>(filter, cancellationToken: cancellationToken))
        {
            if (accounts.Contains(accountOf(row)))
            {
                add(row);
            }
        }
    }

    private static void Add(Dictionary<string, List<LifecycleEnrollment>> byAccount, string accountId, LifecycleEnrollment enrollment)
    {
        if (!byAccount.TryGetValue(accountId, out var list))
        {
            byAccount[accountId] = list = [];
        }

        list.Add(enrollment);
    }

    private static void Add(Dictionary<string, Dictionary<string, LifecycleContactState>> byAccount, string accountId, string contactId, LifecycleContactState state)
    {
        if (!byAccount.TryGetValue(accountId, out var states))
        {
            byAccount[accountId] = states = new Dictionary<string, LifecycleContactState>(StringComparer.Ordinal);
        }

        states[contactId] = state;
    }

    // Only ever forward, guarded by the ETag, so two sends finishing out of order cannot move the cap window back.
    private async Task<DateTimeOffset> MoveLastSentForwardAsync(string contactId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await _contacts.GetAsync<LifecycleContactSendEntity>(contactId, StateRow, cancellationToken: cancellationToken);
            if (current?.LastSentAt is { } last && last >= at)
            {
                return last;
            }

            var entity = new LifecycleContactSendEntity { PartitionKey = contactId, RowKey = StateRow, LastSentAt = at };
            var result = current is null
                ? await _contacts.AddAsync(entity, cancellationToken)
                : await _contacts.UpdateAsync(entity, current.ETag, TableUpdateMode.Merge, cancellationToken);
            if (result.Succeeded)
            {
                return at;
            }
        }

        return at;
    }
}

/// <summary>What the scan reads for a page of accounts: their enrollments, and their contacts' state as each account last saw it.</summary>
public sealed record LifecyclePageState(
    IReadOnlyDictionary<string, List<LifecycleEnrollment>> Enrollments,
    IReadOnlyDictionary<string, Dictionary<string, LifecycleContactState>> Contacts)
{
    public IReadOnlyList<LifecycleEnrollment> EnrollmentsOf(string accountId) => Enrollments.TryGetValue(accountId, out var list) ? list : [];

    public IReadOnlyDictionary<string, LifecycleContactState> ContactsOf(string accountId) =>
        Contacts.TryGetValue(accountId, out var states) ? states : new Dictionary<string, LifecycleContactState>(StringComparer.Ordinal);
}

/// <summary>One contact's enrollment in one sequence (LifecycleEnrollments).</summary>
public sealed class LifecycleEnrollmentEntity : TableRow
{
    public string AccountId { get; set; } = string.Empty;

    public string ContactId { get; set; } = string.Empty;

    public string Sequence { get; set; } = string.Empty;

    public string EnrollmentKey { get; set; } = string.Empty;

    public DateTimeOffset EnrolledAt { get; set; }

    public DateTimeOffset? RenewalDate { get; set; }

    public DateTimeOffset? ExitedAt { get; set; }

    public string? ExitReason { get; set; }

    /// <summary>Occurrences taken per step, as JSON.</summary>
    public string StepOccurrences { get; set; } = "{}";

    public static LifecycleEnrollmentEntity From(LifecycleEnrollment e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new LifecycleEnrollmentEntity
        {
            PartitionKey = LifecycleTableStore.BucketOf(e.AccountId),
            RowKey = e.AccountId + "|" + LifecycleTableStore.EnrollmentRow(e.ContactId, e.Sequence, e.EnrollmentKey),
            AccountId = e.AccountId,
            ContactId = e.ContactId,
            Sequence = e.Sequence,
            EnrollmentKey = e.EnrollmentKey,
            EnrolledAt = e.EnrolledAt,
            RenewalDate = e.RenewalDate,
            ExitedAt = e.ExitedAt,
            ExitReason = e.ExitReason,
            StepOccurrences = JsonSerializer.Serialize(e.StepOccurrences),
        };
    }

    public LifecycleEnrollment ToEnrollment() => new()
    {
        AccountId = AccountId,
        ContactId = ContactId,
        Sequence = Sequence,
        EnrollmentKey = EnrollmentKey,
        EnrolledAt = EnrolledAt,
        RenewalDate = RenewalDate,
        ExitedAt = ExitedAt,
        ExitReason = ExitReason,
        StepOccurrences = JsonSerializer.Deserialize<Dictionary<string, int>>(StepOccurrences) ?? new Dictionary<string, int>(StringComparer.Ordinal),
    };
}

/// <summary>A contact as one account's scan sees it (LifecycleAccountContacts).</summary>
public sealed class LifecycleAccountContactEntity : TableRow
{
    public string AccountId { get; set; } = string.Empty;

    public string ContactId { get; set; } = string.Empty;

    public DateTimeOffset? LastSentAt { get; set; }

    public string? SuppressedReason { get; set; }

    /// <summary>The columns to merge: a null one is not written, so a send never clears a suppression seen earlier.</summary>
    public static LifecycleAccountContactEntity From(string accountId, LifecycleContactState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new LifecycleAccountContactEntity
        {
            PartitionKey = LifecycleTableStore.BucketOf(accountId),
            RowKey = accountId + "|" + state.ContactId,
            AccountId = accountId,
            ContactId = state.ContactId,
            LastSentAt = state.LastSentAt,
            SuppressedReason = state.Suppressed ? state.SuppressedReason ?? "suppressed" : null,
        };
    }

    public LifecycleContactState ToState() => new(ContactId, LastSentAt, SuppressedReason is not null, SuppressedReason);
}

/// <summary>A contact's last lifecycle email (LifecycleContacts, row "state").</summary>
public sealed class LifecycleContactSendEntity : TableRow
{
    public DateTimeOffset? LastSentAt { get; set; }
}

/// <summary>A contact's suppression (LifecycleContacts, row "suppressed"): the first reason stays.</summary>
public sealed class LifecycleSuppressionEntity : TableRow
{
    public string Reason { get; set; } = string.Empty;

    public DateTimeOffset SuppressedAt { get; set; }
}

public enum LifecycleLedgerStatus
{
    Sent,
    Rejected,
}

/// <summary>One send, recorded once (LifecycleLedger, partition = send id, row "send").</summary>
public sealed class LifecycleLedgerEntity : TableRow
{
    public LifecycleLedgerStatus Status { get; set; }

    public string AccountId { get; set; } = string.Empty;

    public string ContactId { get; set; } = string.Empty;

    public string Sequence { get; set; } = string.Empty;

    public string Step { get; set; } = string.Empty;

    public string EnrollmentKey { get; set; } = string.Empty;

    public int Occurrence { get; set; }

    public DateTimeOffset At { get; set; }

    public string? ErrorCode { get; set; }

    public static LifecycleLedgerEntity From(LifecycleSendMessage m, LifecycleLedgerStatus status, DateTimeOffset at, string? error)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new LifecycleLedgerEntity
        {
            PartitionKey = m.SendId,
            RowKey = "send",
            Status = status,
            AccountId = m.AccountId,
            ContactId = m.ContactId,
            Sequence = m.Sequence,
            Step = m.Step,
            EnrollmentKey = m.EnrollmentKey,
            Occurrence = m.Occurrence,
            At = at,
            ErrorCode = error,
        };
    }
}
