using System.Globalization;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// IAccountSignalSource over the ingestion tables: pages through AccountDirectory, keeps the accounts of the
/// requested shard (stable hash of the id), and reads each account's current-state rows and the last 60 days
/// of daily aggregates with one range query per account (rows that grow with event count sort after "~").
/// </summary>
internal sealed class AccountSignalReader(ITableStore store) : IAccountSignalSource
{
    private const int DaysRead = 60;

    public async Task<AccountSignalPage> ReadPageAsync(int shard, int shardCount, DateOnly asOf, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        var filter = $"PartitionKey eq '{AccountIdentity.DirectoryPartition}'" + (continuation is null ? string.Empty : $" and RowKey gt '{continuation.Replace("'", "''", StringComparison.Ordinal)}'");
        var accounts = new List<AccountSignals>();
        string? last = null;
        await foreach (var row in store.QueryAsync(AccountIdentity.DirectoryTable, filter, ["RowKey", "ObservedSince"], cancellationToken: cancellationToken))
        {
            if (continuation is not null && string.CompareOrdinal(row.RowKey, continuation) <= 0)
            {
                continue;
            }

            last = row.RowKey;
            if (ShardOf(row.RowKey, shardCount) == shard)
            {
                accounts.Add(await ReadAccountAsync(row.RowKey, asOf, cancellationToken) with { ObservedSince = row.GetDateTimeOffset("ObservedSince") });
                if (accounts.Count == pageSize)
                {
                    return new AccountSignalPage(accounts, last);
                }
            }
        }

        return new AccountSignalPage(accounts, null);
    }

    public static int ShardOf(string accountId, int shardCount) => AccountShard.Of(accountId, shardCount);

    public async Task<AccountSignals> ReadAccountAsync(string accountId, DateOnly asOf, CancellationToken cancellationToken)
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

    /// <summary>Pure projection of an account's rows into the scoring contract.</summary>
    public static AccountSignals Build(string accountId, DateOnly asOf, IReadOnlyList<TableEntity> rows)
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

        var days = Prefixed("day|")
            .Select(r => (Day: DateOnly.ParseExact(r.RowKey[4..], "yyyy-MM-dd", CultureInfo.InvariantCulture), Row: r))
            .Where(d => d.Day >= from && d.Day <= asOf)
            .OrderBy(d => d.Day)
            .Select(d => new DailySignals
            {
                Day = d.Day,
                ActiveUsers = Int(d.Row, nameof(DailySignals.ActiveUsers)),
                Logins = Int(d.Row, nameof(DailySignals.Logins)),
                Events = Int(d.Row, nameof(DailySignals.Events)),
                TicketsOpened = Int(d.Row, nameof(DailySignals.TicketsOpened)),
                UrgentOrHighTicketsOpened = Int(d.Row, nameof(DailySignals.UrgentOrHighTicketsOpened)),
                TicketsSolved = Int(d.Row, nameof(DailySignals.TicketsSolved)),
                SatisfactionGood = Int(d.Row, nameof(DailySignals.SatisfactionGood)),
                SatisfactionBad = Int(d.Row, nameof(DailySignals.SatisfactionBad)),
                PaymentsFailed = Int(d.Row, nameof(DailySignals.PaymentsFailed)),
                PaymentsSucceeded = Int(d.Row, nameof(DailySignals.PaymentsSucceeded)),
                DisputesOpened = Int(d.Row, nameof(DailySignals.DisputesOpened)),
                Refunds = Int(d.Row, nameof(DailySignals.Refunds)),
                Meetings = Int(d.Row, nameof(DailySignals.Meetings)),
                Qbrs = Int(d.Row, nameof(DailySignals.Qbrs)),
                EmailReplies = Int(d.Row, nameof(DailySignals.EmailReplies)),
                MrrDeltaCents = d.Row.GetInt64(nameof(DailySignals.MrrDeltaCents)) ?? 0,
            })
            .ToList();

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
