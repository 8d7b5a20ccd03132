using System.Globalization;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// IAccountSignalSource over the ingestion tables. A shard's page is one range query over AccountDigests (the
/// shard's buckets, in bucket then account order): each digest carries the account's current-state rows and recent
/// days. An account whose digest overflowed is read from its partition of AccountSignals: its current-state rows
/// and the last 60 days of daily aggregates in one range query (rows that grow with event count sort after "~").
/// </summary>
internal sealed class AccountSignalReader(ITableStore store) : IAccountSignalSource
{
    private const int DaysRead = 60;

    public async Task<AccountSignalPage> ReadPageAsync(int shard, int shardCount, DateOnly asOf, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        var (first, end) = AccountShard.BucketRange(shard, shardCount);
        var filter = $"PartitionKey ge '{AccountShard.BucketKey(first)}' and PartitionKey lt '{AccountShard.BucketKey(end)}'";

        // The service's continuation is opaque (Azurite encodes it): both halves are kept as given.
        var parts = continuation?.Split('\n', 2);
        var from = parts is null ? null : new TableContinuation(parts[0].Length == 0 ? null : parts[0], parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null);
        var page = await store.QueryPageAsync(AccountDigestStore.Table, filter, null, pageSize, from, cancellationToken);
        var accounts = new List<AccountSignals>(page.Entities.Count);
        foreach (var row in page.Entities)
        {
            var digest = AccountDigest.FromEntity(row);
            accounts.Add(digest.Overflow
                ? await ReadPartitionAsync(digest.AccountId, asOf, cancellationToken) with { ObservedSince = digest.ObservedSince }
                : digest.ToSignals(asOf));
        }

        return new AccountSignalPage(accounts, page.Continuation is { } next ? next.NextPartitionKey + "\n" + next.NextRowKey : null);
    }

    /// <summary>A linked account (listed in the directory) and its signals; null for an id nobody linked.</summary>
    public async Task<AccountSignals?> FindAccountAsync(string accountId, DateOnly asOf, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(accountId)
            || await store.GetAsync(AccountIdentity.DirectoryTable, AccountIdentity.DirectoryPartition, accountId, ["RowKey"], cancellationToken) is null)
        {
            return null;
        }

        return await ReadAccountAsync(accountId, asOf, cancellationToken);
    }

    /// <summary>One account's signals: its digest (one point read), or its partition when it has none or it overflowed.</summary>
    public async Task<AccountSignals> ReadAccountAsync(string accountId, DateOnly asOf, CancellationToken cancellationToken)
    {
        var row = await store.GetAsync(AccountDigestStore.Table, AccountDigest.Partition(accountId), accountId, cancellationToken: cancellationToken);
        var digest = row is null ? null : AccountDigest.FromEntity(row);
        return digest is { Overflow: false }
            ? digest.ToSignals(asOf)
            : await ReadPartitionAsync(accountId, asOf, cancellationToken) with { ObservedSince = digest?.ObservedSince };
    }

    /// <summary>Reads the account's partition of AccountSignals: the source the digest is copied from.</summary>
    public async Task<AccountSignals> ReadPartitionAsync(string accountId, DateOnly asOf, CancellationToken cancellationToken)
    {
        var from = AccountSignalWriter.DayKey(asOf.AddDays(-DaysRead));
        var to = AccountSignalWriter.DayKey(asOf);
        var pk = accountId.Replace("'", "''", StringComparison.Ordinal);
        var filter = $"PartitionKey eq '{pk}' and RowKey lt '~' and (RowKey lt 'day|' or RowKey ge 'day|~' or (RowKey ge '{from}' and RowKey le '{to}'))";
        var rows = new List<TableEntity>();
        await foreach (var row in store.QueryAsync(AccountSignalWriter.Table, filter, cancellationToken: cancellationToken))
        {
            if (row.PartitionKey == accountId && !row.RowKey.StartsWith('~'))
            {
                rows.Add(row);
            }
        }

        return Build(accountId, asOf, rows);
    }

    public static DateOnly ParseDayKey(string rowKey) => DateOnly.ParseExact(rowKey.AsSpan(4), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>One "day|…" row as the scorer reads it.</summary>
    public static DailySignals DayFrom(DateOnly day, TableEntity row) => new()
    {
        Day = day,
        ActiveUsers = Int(row, nameof(DailySignals.ActiveUsers)),
        Logins = Int(row, nameof(DailySignals.Logins)),
        Events = Int(row, nameof(DailySignals.Events)),
        TicketsOpened = Int(row, nameof(DailySignals.TicketsOpened)),
        UrgentOrHighTicketsOpened = Int(row, nameof(DailySignals.UrgentOrHighTicketsOpened)),
        TicketsSolved = Int(row, nameof(DailySignals.TicketsSolved)),
        SatisfactionGood = Int(row, nameof(DailySignals.SatisfactionGood)),
        SatisfactionBad = Int(row, nameof(DailySignals.SatisfactionBad)),
        PaymentsFailed = Int(row, nameof(DailySignals.PaymentsFailed)),
        PaymentsSucceeded = Int(row, nameof(DailySignals.PaymentsSucceeded)),
        DisputesOpened = Int(row, nameof(DailySignals.DisputesOpened)),
        Refunds = Int(row, nameof(DailySignals.Refunds)),
        Meetings = Int(row, nameof(DailySignals.Meetings)),
        Qbrs = Int(row, nameof(DailySignals.Qbrs)),
        EmailReplies = Int(row, nameof(DailySignals.EmailReplies)),
        MrrDeltaCents = row.GetInt64(nameof(DailySignals.MrrDeltaCents)) ?? 0,
    };

    /// <summary>Pure projection of an account's partition rows (days included) into the scoring contract.</summary>
    public static AccountSignals Build(string accountId, DateOnly asOf, IReadOnlyList<TableEntity> rows)
    {
        var days = rows.Where(r => r.RowKey.StartsWith("day|", StringComparison.Ordinal))
            .Select(r => DayFrom(ParseDayKey(r.RowKey), r))
            .OrderBy(d => d.Day)
            .ToList();
        return Build(accountId, asOf, rows.Where(r => !r.RowKey.StartsWith("day|", StringComparison.Ordinal)).ToList(), days);
    }

    /// <summary>Pure projection of an account's current-state rows and its days (oldest first) into the scoring contract.</summary>
    public static AccountSignals Build(string accountId, DateOnly asOf, IReadOnlyCollection<TableEntity> rows, IReadOnlyList<DailySignals> allDays)
    {
        var asOfEnd = new DateTimeOffset(asOf.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero);
        var from = asOf.AddDays(-DaysRead);
        TableEntity? Row(string key) => rows.FirstOrDefault(r => r.RowKey == key);
        IEnumerable<TableEntity> Prefixed(string prefix) => rows.Where(r => r.RowKey.StartsWith(prefix, StringComparison.Ordinal));

        var subs = Prefixed("sub|").ToList();
        var main = subs.OrderByDescending(s => s.GetInt64("MrrCents") ?? 0).ThenByDescending(s => s.GetInt64("Version") ?? 0).FirstOrDefault();
        var stripeProfile = Row("profile|stripe");
        var segmentProfile = Row("profile|segment");
        var zendeskProfile = Row("profile|zendesk");

        var days = new List<DailySignals>(Math.Min(allDays.Count, DaysRead + 1));
        foreach (var day in allDays)
        {
            if (day.Day >= from && day.Day <= asOf)
            {
                days.Add(day);
            }
        }

        var lastSeen = Prefixed("seen|").ToDictionary(r => r.GetString("UserId") ?? r.RowKey[5..], r => r.GetDateTimeOffset("LastSeen"), StringComparer.Ordinal);
        bool SeenWithin(string userId, int d) => lastSeen.TryGetValue(userId, out var at) && at is { } t && t > asOfEnd.AddDays(-d) && t <= asOfEnd;
        var users = Prefixed("user|").ToList();
        var champions = users.Where(u => u.GetBoolean("Champion") == true).Select(u => u.GetString("UserId") ?? u.RowKey[5..]).ToList();
        var sponsors = users.Where(u => u.GetBoolean("ExecutiveSponsor") == true).Select(u => u.GetString("UserId") ?? u.RowKey[5..]).ToList();
        var usersById = users.ToDictionary(u => u.GetString("UserId") ?? u.RowKey[5..], StringComparer.Ordinal);
        DateTimeOffset? LeftAt(string role) => Prefixed("role|" + role + "|")
            .Select(r => usersById.GetValueOrDefault(r.GetString("UserId") ?? string.Empty))
            .Where(u => u is not null && (u.GetBoolean(role == "champion" ? "Champion" : "ExecutiveSponsor") != true))
            .Select(u => u!.GetInt64("Version") is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : (DateTimeOffset?)null)
            .Where(at => at is not null && at <= asOfEnd)
            .Max();
        var openTickets = Prefixed("ticket|").Where(t => t.GetString("Status") is not ("solved" or "closed")).ToList();

        return new AccountSignals
        {
            AccountId = accountId,
            Name = stripeProfile?.GetString("Name") ?? segmentProfile?.GetString("Name") ?? zendeskProfile?.GetString("Name"),
            CsmEmail = stripeProfile?.GetString("CsmEmail"),
            Plan = main?.GetString("Plan") ?? segmentProfile?.GetString("Plan"),
            MrrCents = subs.Sum(s => s.GetInt64("MrrCents") ?? 0),
            LicensedSeats = main is not null ? subs.Sum(s => s.GetInt32("Seats") ?? 0) : (int)(segmentProfile?.GetInt64("Seats") ?? 0),
            SubscriptionStatus = main?.GetString("Status"),
            CancelAtPeriodEnd = main?.GetBoolean("CancelAtPeriodEnd") ?? false,
            RenewalDate = main?.GetDateTimeOffset("CurrentPeriodEnd"),
            BillingPeriodDays = main?.GetInt32("BillingPeriodDays"),
            CustomerSince = subs.Select(s => s.GetDateTimeOffset("StartedAt")).Where(d => d is not null).Min(),
            ChurnedAt = subs.Count > 0 && subs.All(s => s.GetString("Status") == "canceled") ? subs.Max(s => s.GetDateTimeOffset("ChurnedAt")) : null,
            ActiveUsers30d = lastSeen.Keys.Count(u => SeenWithin(u, 30)),
            ActiveUsers7d = lastSeen.Keys.Count(u => SeenWithin(u, 7)),
            Days = days,
            Milestones = Prefixed("milestone|").Where(m => m.GetDateTimeOffset("ReachedAt") is { } at && at <= asOfEnd)
                .ToDictionary(m => m.GetString("Name") ?? m.RowKey[10..], m => m.GetDateTimeOffset("ReachedAt")!.Value, StringComparer.OrdinalIgnoreCase),
            KeyFeaturesUsed30d = Prefixed("feature|").Where(f => f.GetDateTimeOffset("LastUsed") is { } at && at > asOfEnd.AddDays(-30))
                .Select(f => f.GetString("Name") ?? f.RowKey[8..]).ToHashSet(StringComparer.OrdinalIgnoreCase),
            Relationship = new RelationshipSignals
            {
                HasChampion = champions.Count > 0,
                ChampionActive = champions.Any(c => SeenWithin(c, 30)),
                HasExecutiveSponsor = sponsors.Count > 0,
                ExecutiveSponsorActive = sponsors.Any(s => SeenWithin(s, 30)),
                ChampionLeftAt = LeftAt("champion"),
                ExecutiveSponsorLeftAt = LeftAt("sponsor"),
            },
            Users = [.. users.Select(u => new AccountUser(u.GetString("UserId") ?? u.RowKey[5..], u.GetString("Email"), u.GetString("FirstName"), u.GetString("TimeZone"), u.GetBoolean("Departed") ?? false))],
            OpenUrgentTickets = openTickets.Count(t => t.GetString("Priority") == "urgent"),
            OpenComplaints = openTickets.Count(t => t.GetBoolean("Complaint") == true),
        };
    }

    private static int Int(TableEntity row, string name) => (int)Math.Clamp(row.GetInt64(name) ?? 0, int.MinValue, int.MaxValue);
}
