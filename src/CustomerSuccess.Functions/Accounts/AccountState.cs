using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// One account as the app knows it: the aggregate every event folds into and the health model's signals are
/// projected from. Pure: no storage, no clock (the caller passes the time). <see cref="AccountStateStore"/> is the
/// only code that knows how it is stored.
/// <para>How facts fold (<see cref="Apply"/>): versioned facts (profile, subscription, user traits, ticket, upcoming
/// invoice) replace what is held only when the event is newer, so a late delivery never overwrites newer state;
/// counted facts add to the event's day once per event (<see cref="RecentlyApplied"/> remembers the events whose
/// counters are in); the rest (first reached, last used, active on a day) give the same state however often they
/// are folded.</para>
/// </summary>
internal sealed partial class AccountState
{
    /// <summary>Days of counters kept behind today: the scorer reads 60.</summary>
    public const int DaysKept = 62;

    /// <summary>MRR movements kept: two years, for revenue retention over any recent period.</summary>
    public const int MovementDaysKept = 731;

    /// <summary>Solved or closed tickets are dropped this long after their last change.</summary>
    public const int ClosedTicketDaysKept = 60;

    /// <summary>An event's key is remembered this long at most (a retry of a page comes within minutes).</summary>
    public static readonly TimeSpan RecentlyAppliedKept = TimeSpan.FromHours(24);

    public string AccountId { get; set; } = string.Empty;

    /// <summary>When this app first linked the account: signals from before it were never seen.</summary>
    public DateTimeOffset? ObservedSince { get; set; }

    public Dictionary<string, ProfileState> Profiles { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, SubscriptionState> Subscriptions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>MRR changes as they were booked, oldest first.</summary>
    public List<MrrMovement> Movements { get; set; } = [];

    /// <summary>The sum of the movements no longer kept: MRR on day D is this plus the kept movements before D.</summary>
    public long MrrBeforeMovements { get; set; }

    public InvoiceState? UpcomingInvoice { get; set; }

    public Dictionary<string, UserState> Users { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, TicketState> Tickets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Configured milestones reached: name → first reached (ms since the epoch).</summary>
    public Dictionary<string, long> Milestones { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Configured key features used: name → last used (ms since the epoch).</summary>
    public Dictionary<string, long> Features { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Configured higher-tier features tried: name → last tried (ms since the epoch).</summary>
    public Dictionary<string, long> HigherTierFeatures { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Counters per UTC day, oldest first, the last <see cref="DaysKept"/> days.</summary>
    public List<DayCounts> Days { get; set; } = [];

    /// <summary>The most recent NPS response: its score and the event's version (time).</summary>
    public NpsState? LastNps { get; set; }

    /// <summary>When the customer last asked for a data export (event version, Unix ms).</summary>
    public long? LastDataExportRequest { get; set; }

    /// <summary>When the last renewal meeting or QBR was held (event version, Unix ms).</summary>
    public long? LastRenewalConversation { get; set; }

    /// <summary>The latest CSM meetings booked, held and missed, oldest first, at most <see cref="MeetingLogKept"/>.</summary>
    public List<MeetingLogEntry> MeetingLog { get; set; } = [];

    /// <summary>Entries of the meeting log kept: enough to read a run of missed meetings.</summary>
    public const int MeetingLogKept = 16;

    /// <summary>Events whose counters are in: key hash → when (ms). See <see cref="Forget"/>.</summary>
    public Dictionary<long, long> RecentlyApplied { get; set; } = [];

    /// <summary>The W3C traceparent of the work that last changed the account (when traces are recorded), so what its
    /// next score causes continues that trace.</summary>
    public string? LastChangeTrace { get; set; }

    /// <summary>The state outgrew its storage and lost its least recently seen users or oldest history.</summary>
    public bool Truncated { get; set; }

    public static AccountState New(string accountId, DateTimeOffset observedSince) => new() { AccountId = accountId, ObservedSince = observedSince };

    /// <summary>The 64-bit key of an event in <see cref="RecentlyApplied"/> (the first 8 bytes of SHA-256).</summary>
    public static long KeyOf(string eventKey)
    {
        ArgumentNullException.ThrowIfNull(eventKey);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(eventKey), hash);
        return BinaryPrimitives.ReadInt64LittleEndian(hash);
    }

    /// <summary>
    /// Folds one event. Counted facts go in only when <paramref name="countersAllowed"/> and the event's counters are not
    /// in already. <paramref name="now"/> prunes what is kept. Says whether anything changed and whether the counters
    /// went in.
    /// </summary>
    public FoldOutcome Apply(AccountEvent e, string eventKey, DateTimeOffset now, bool countersAllowed = true)
    {
        ArgumentNullException.ThrowIfNull(e);
        var key = KeyOf(eventKey);
        var count = countersAllowed && !RecentlyApplied.ContainsKey(key) && e.Facts.Any(f => f.IsCounted);
        var changed = count;
        foreach (var fact in e.Facts)
        {
            if (fact.IsCounted)
            {
                if (count)
                {
                    Count(fact, e.Day);
                }
            }
            else
            {
                changed |= Fold(fact, e);
            }
        }

        if (count)
        {
            RecentlyApplied[key] = now.ToUnixTimeMilliseconds();
        }

        if (changed)
        {
            Remember(e, key);
        }

        Prune(now);
        return new FoldOutcome(changed, count);
    }

    /// <summary>
    /// Forgets that an event's counters are in, once its delivery is recorded as applied: from then on a redelivery is
    /// dropped before it reaches the account, and a replay folds only versioned facts.
    /// </summary>
    public void Forget(string eventKey) => RecentlyApplied.Remove(KeyOf(eventKey));

    private bool Fold(AccountFact fact, AccountEvent e)
    {
        var version = e.Version;
        switch (fact)
        {
            case ProfileUpdated p:
                if (Profiles.TryGetValue(p.Source, out var profile) && profile.Version >= version)
                {
                    return false;
                }

                Profiles[p.Source] = new ProfileState { Version = version, Name = p.Name, CsmEmail = p.CsmEmail, BillingEmail = p.BillingEmail, Plan = p.Plan, Seats = p.Seats };
                return true;
            case SubscriptionChanged s:
                return FoldSubscription(s, e);
            case InvoiceUpcoming i:
                if (UpcomingInvoice is not null && UpcomingInvoice.Version >= version)
                {
                    return false;
                }

                UpcomingInvoice = new InvoiceState { Version = version, AmountDueCents = i.AmountDueCents, NextPaymentAttempt = i.NextPaymentAttempt };
                return true;
            case UserSeen u:
                var user = UserOf(u.UserId);
                if (user.TraitsVersion >= version)
                {
                    return false;
                }

                if (user.Identified && u.Title is { Length: > 0 } title && user.Title is { Length: > 0 } heldTitle
                    && !string.Equals(title.Trim(), heldTitle.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    // A new title (a promotion, a move): kept with the one before, as the expansion signal reads it.
                    user.PreviousTitle = heldTitle;
                    user.TitleChangedAt = version;
                }

                user.TraitsVersion = version;
                user.Department = u.Department ?? user.Department;
                user.Email = u.Email;
                user.FirstName = u.FirstName;
                user.TimeZone = u.TimeZone;
                user.Role = u.Role;
                user.Title = u.Title;
                user.Departed = u.Departed;
                user.Champion = u.Champion && !u.Departed;
                user.ExecutiveSponsor = u.ExecutiveSponsor && !u.Departed;
                user.WasChampion |= user.Champion;
                user.WasExecutiveSponsor |= user.ExecutiveSponsor;
                return true;
            case UserActive a:
                return UserOf(a.UserId).SeenAt(version, e.Day.DayNumber);
            case FeatureUsed f:
                if (Features.TryGetValue(f.Name, out var used) && used >= version)
                {
                    return false;
                }

                Features[f.Name] = version;
                return true;
            case HigherTierFeatureTried h:
                if (HigherTierFeatures.TryGetValue(h.Name, out var tried) && tried >= version)
                {
                    return false;
                }

                HigherTierFeatures[h.Name] = version;
                return true;
            case MilestoneReached m:
                if (Milestones.TryGetValue(m.Name, out var reached) && reached <= version)
                {
                    return false;
                }

                Milestones[m.Name] = version;
                return true;
            case NpsResponded n:
                if (LastNps is not null && LastNps.Version >= version)
                {
                    return false;
                }

                LastNps = new NpsState { Version = version, Score = n.Score };
                return true;
            case DataExportRequested:
                if (LastDataExportRequest is { } asked && asked >= version)
                {
                    return false;
                }

                LastDataExportRequest = version;
                return true;
            case RenewalConversationHeld:
                if (LastRenewalConversation is { } held && held >= version)
                {
                    return false;
                }

                LastRenewalConversation = version;
                return true;
            case MeetingLogged meeting:
                return FoldMeeting(meeting, version);
            case TicketChanged t:
                if (Tickets.TryGetValue(t.TicketId, out var ticket) && ticket.Version >= version)
                {
                    return false;
                }

                Tickets[t.TicketId] = new TicketState { Version = version, Status = t.Status, Priority = t.Priority, Type = t.Type, Tags = t.Tags, Complaint = t.Complaint };
                return true;
            default:
                throw new ArgumentOutOfRangeException(nameof(fact), fact.GetType().Name, "A fact without a fold.");
        }
    }

    // A set of (time, outcome): folding the same event again changes nothing; a booking is logged at its start.
    private bool FoldMeeting(MeetingLogged meeting, long version)
    {
        if (meeting.Outcome == MeetingOutcome.Scheduled && meeting.StartsAt is null)
        {
            return false;
        }

        var entry = new MeetingLogEntry { At = meeting.Outcome == MeetingOutcome.Scheduled ? meeting.StartsAt!.Value.ToUnixTimeMilliseconds() : version, Outcome = meeting.Outcome };
        if (MeetingLog.Exists(m => m.At == entry.At && m.Outcome == entry.Outcome))
        {
            return false;
        }

        var at = MeetingLog.FindLastIndex(m => m.At <= entry.At) + 1;
        MeetingLog.Insert(at, entry);
        if (MeetingLog.Count > MeetingLogKept)
        {
            MeetingLog.RemoveRange(0, MeetingLog.Count - MeetingLogKept);
        }

        return true;
    }

    private bool FoldSubscription(SubscriptionChanged s, AccountEvent e)
    {
        Subscriptions.TryGetValue(s.SubscriptionId, out var held);
        if (held is not null && held.Version >= e.Version)
        {
            return false;
        }

        var everChurned = held?.EverChurned ?? false;
        var kind = MrrMovementClassifier.Classify(held?.MrrCents, s.MrrCents, everChurned);

        // Back after leaving, or a cancellation notice withdrawn before the period ended: both are reactivations.
        var withdrawn = held is not null && held.NoticeGiven && !s.NoticeGiven && s.Status != "canceled" && held.Status != "canceled";
        var reactivatedAt = kind == MrrMovementKind.Reactivation || withdrawn ? e.OccurredAt : held?.ReactivatedAt;
        Subscriptions[s.SubscriptionId] = new SubscriptionState
        {
            Version = e.Version,
            MrrCents = s.MrrCents,
            Plan = s.Plan,
            Seats = s.Seats,
            Status = s.Status,
            CancelAtPeriodEnd = s.CancelAtPeriodEnd,
            CancelAt = s.CancelAt,
            ReactivatedAt = reactivatedAt,
            CurrentPeriodEnd = s.CurrentPeriodEnd,
            StartedAt = s.StartedAt,
            BillingPeriodDays = s.BillingPeriodDays,
            EverChurned = everChurned || kind == MrrMovementKind.Churn,
            ChurnedAt = kind == MrrMovementKind.Churn ? e.OccurredAt : held?.ChurnedAt,
        };
        if (kind != MrrMovementKind.None)
        {
            // Booked where the event happened, so a late event lands on its own day.
            var movement = new MrrMovement { Day = e.Day.DayNumber, Kind = kind, DeltaCents = s.MrrCents - (held?.MrrCents ?? 0), SubscriptionId = s.SubscriptionId };
            var at = Movements.FindLastIndex(m => m.Day <= movement.Day) + 1;
            Movements.Insert(at, movement);
        }

        return true;
    }

    private void Count(AccountFact fact, DateOnly day)
    {
        var counts = DayOf(day.DayNumber);
        switch (fact)
        {
            case PaymentSucceeded:
                counts.PaymentsSucceeded++;
                break;
            case PaymentFailed:
                counts.PaymentsFailed++;
                break;
            case DisputeOpened:
                counts.DisputesOpened++;
                break;
            case RefundIssued:
                counts.Refunds++;
                break;
            case ProductEventCounted:
                counts.Events++;
                break;
            case LoggedIn:
                counts.Logins++;
                break;
            case MeetingHeld:
                counts.Meetings++;
                break;
            case QbrHeld:
                counts.Qbrs++;
                break;
            case EmailReplied:
                counts.EmailReplies++;
                break;
            case TicketOpened opened:
                counts.TicketsOpened++;
                counts.UrgentOrHighTicketsOpened += opened.UrgentOrHigh ? 1 : 0;
                break;
            case TicketSolved:
                counts.TicketsSolved++;
                break;
            case SatisfactionRated rated:
                counts.SatisfactionGood += rated.Good ? 1 : 0;
                counts.SatisfactionBad += rated.Good ? 0 : 1;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fact), fact.GetType().Name, "A counted fact without a counter.");
        }
    }

    private UserState UserOf(string userId)
    {
        if (!Users.TryGetValue(userId, out var user))
        {
            user = new UserState();
            Users[userId] = user;
        }

        return user;
    }

    private DayCounts DayOf(int dayNumber)
    {
        var at = Days.FindLastIndex(d => d.Day <= dayNumber);
        if (at >= 0 && Days[at].Day == dayNumber)
        {
            return Days[at];
        }

        var counts = new DayCounts { Day = dayNumber };
        Days.Insert(at + 1, counts);
        return counts;
    }

    private void Prune(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime).DayNumber;
        Days.RemoveAll(d => d.Day < today - DaysKept);
        DropMovements(Movements.FindLastIndex(m => m.Day < today - MovementDaysKept) + 1);
        var closedBefore = now.AddDays(-ClosedTicketDaysKept).ToUnixTimeMilliseconds();
        foreach (var (id, ticket) in Tickets)
        {
            if (ticket.IsClosed && ticket.Version < closedBefore)
            {
                Tickets.Remove(id);
            }
        }

        var forgetBefore = (now - RecentlyAppliedKept).ToUnixTimeMilliseconds();
        foreach (var (key, at) in RecentlyApplied)
        {
            if (at < forgetBefore)
            {
                RecentlyApplied.Remove(key);
            }
        }
    }

    /// <summary>
    /// Makes the state smaller when it no longer fits its storage: the recent-event log (shown, never scored) first,
    /// then closed tickets, then the least recently seen half of the people who are neither champion nor sponsor, then
    /// the older half of the movements. False when there is nothing left to drop.
    /// </summary>
    public bool Shed()
    {
        Truncated = true;
        if (RecentEvents.Count > 0)
        {
            RecentEvents.Clear();
            return true;
        }

        var closed = Tickets.Where(t => t.Value.IsClosed).Select(t => t.Key).ToList();
        if (closed.Count > 0)
        {
            closed.ForEach(id => Tickets.Remove(id));
            return true;
        }

        var people = Users.Where(u => !u.Value.Champion && !u.Value.ExecutiveSponsor)
            .OrderBy(u => Math.Max(u.Value.LastSeen, u.Value.TraitsVersion))
            .Select(u => u.Key)
            .ToList();
        if (people.Count > 0)
        {
            people.Take(Math.Max(1, people.Count / 2)).ToList().ForEach(id => Users.Remove(id));
            return true;
        }

        if (Movements.Count > 1)
        {
            DropMovements(Movements.Count / 2);
            return true;
        }

        return false;
    }

    /// <summary>The MRR the account had at the start of <paramref name="dayNumber"/>, from its movements.</summary>
    public long MrrAtStartOf(int dayNumber)
    {
        var mrr = MrrBeforeMovements;
        foreach (var movement in Movements)
        {
            if (movement.Day >= dayNumber)
            {
                break;
            }

            mrr += movement.DeltaCents;
        }

        return mrr;
    }

    private void DropMovements(int count)
    {
        for (var i = 0; i < count; i++)
        {
            MrrBeforeMovements += Movements[i].DeltaCents;
        }

        Movements.RemoveRange(0, count);
    }
}

/// <summary>What folding one event did: whether the state changed, and whether the event's counters went in.</summary>
internal readonly record struct FoldOutcome(bool Changed, bool Counted);

internal sealed class ProfileState
{
    public long Version { get; set; }

    public string? Name { get; set; }

    public string? CsmEmail { get; set; }

    public string? BillingEmail { get; set; }

    public string? Plan { get; set; }

    public long? Seats { get; set; }
}

internal sealed class NpsState
{
    public long Version { get; set; }

    public int Score { get; set; }
}

internal sealed class SubscriptionState
{
    public long Version { get; set; }

    public long MrrCents { get; set; }

    public string? Plan { get; set; }

    public int Seats { get; set; }

    public string Status { get; set; } = "unknown";

    public bool CancelAtPeriodEnd { get; set; }

    /// <summary>Stripe's <c>cancel_at</c>: the subscription ends at this instant (notice given).</summary>
    public DateTimeOffset? CancelAt { get; set; }

    /// <summary>When the subscription came back after churning, or its cancellation notice was withdrawn.</summary>
    public DateTimeOffset? ReactivatedAt { get; set; }

    public bool NoticeGiven => CancelAtPeriodEnd || CancelAt is not null;

    public DateTimeOffset? CurrentPeriodEnd { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public int? BillingPeriodDays { get; set; }

    public bool EverChurned { get; set; }

    public DateTimeOffset? ChurnedAt { get; set; }
}

/// <summary>One MRR change: the day (day number) it was booked, its kind and the change in cents.</summary>
internal sealed class MrrMovement
{
    public int Day { get; set; }

    public MrrMovementKind Kind { get; set; }

    public long DeltaCents { get; set; }

    public string? SubscriptionId { get; set; }
}

internal sealed class InvoiceState
{
    public long Version { get; set; }

    public long? AmountDueCents { get; set; }

    public DateTimeOffset? NextPaymentAttempt { get; set; }
}

/// <summary>One entry of the meeting log: a booking at its start, or a meeting held or missed at the event's time (Unix ms).</summary>
internal sealed class MeetingLogEntry
{
    public long At { get; set; }

    public MeetingOutcome Outcome { get; set; }
}

/// <summary>
/// A person: identity traits (when identified; <see cref="TraitsVersion"/> 0 = only seen using the product), when
/// last seen, and on which of the last 64 days they were active (bit i = <see cref="ActiveDay"/> − i), from which
/// distinct active users per day are counted without a row per user and day.
/// </summary>
internal sealed class UserState
{
    public long TraitsVersion { get; set; }

    public string? Email { get; set; }

    public string? FirstName { get; set; }

    public string? TimeZone { get; set; }

    public string? Role { get; set; }

    public string? Title { get; set; }

    /// <summary>The title before the latest change, and when it changed (ms since the epoch; 0 = never seen to change).</summary>
    public string? PreviousTitle { get; set; }

    public long TitleChangedAt { get; set; }

    /// <summary>The team or department the person belongs to (identify trait), when sent.</summary>
    public string? Department { get; set; }

    public bool Champion { get; set; }

    public bool ExecutiveSponsor { get; set; }

    public bool Departed { get; set; }

    public bool WasChampion { get; set; }

    public bool WasExecutiveSponsor { get; set; }

    /// <summary>Last seen using the product (ms since the epoch), 0 = never.</summary>
    public long LastSeen { get; set; }

    public int ActiveDay { get; set; }

    public ulong ActiveBits { get; set; }

    public bool Identified => TraitsVersion > 0;

    /// <summary>Seen at <paramref name="at"/> (ms) on day <paramref name="dayNumber"/>; false when that changed nothing.</summary>
    public bool SeenAt(long at, int dayNumber)
    {
        var (lastSeen, activeDay, activeBits) = (LastSeen, ActiveDay, ActiveBits);
        LastSeen = Math.Max(LastSeen, at);
        if (ActiveBits == 0 || dayNumber > ActiveDay)
        {
            var shift = ActiveBits == 0 ? 64 : dayNumber - ActiveDay;
            ActiveBits = (shift >= 64 ? 0 : ActiveBits << shift) | 1;
            ActiveDay = dayNumber;
        }
        else if (ActiveDay - dayNumber < 64)
        {
            ActiveBits |= 1UL << (ActiveDay - dayNumber);
        }

        return (lastSeen, activeDay, activeBits) != (LastSeen, ActiveDay, ActiveBits);
    }

    public bool ActiveOn(int dayNumber) =>
        ActiveBits != 0 && dayNumber <= ActiveDay && ActiveDay - dayNumber < 64 && (ActiveBits & (1UL << (ActiveDay - dayNumber))) != 0;
}

internal sealed class TicketState
{
    public long Version { get; set; }

    public string Status { get; set; } = "new";

    public string? Priority { get; set; }

    public string? Type { get; set; }

    public string? Tags { get; set; }

    public bool Complaint { get; set; }

    public bool IsClosed => Status is "solved" or "closed";
}

/// <summary>One UTC day's counters (<see cref="Day"/> is its day number). Active users and MRR change are derived.</summary>
internal sealed class DayCounts
{
    public int Day { get; set; }

    public int Logins { get; set; }

    public int Events { get; set; }

    public int TicketsOpened { get; set; }

    public int UrgentOrHighTicketsOpened { get; set; }

    public int TicketsSolved { get; set; }

    public int SatisfactionGood { get; set; }

    public int SatisfactionBad { get; set; }

    public int PaymentsFailed { get; set; }

    public int PaymentsSucceeded { get; set; }

    public int DisputesOpened { get; set; }

    public int Refunds { get; set; }

    public int Meetings { get; set; }

    public int Qbrs { get; set; }

    public int EmailReplies { get; set; }
}
