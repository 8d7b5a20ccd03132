namespace CustomerSuccess.Functions.Accounts;

internal sealed partial class AccountState
{
    /// <summary>Days of signals the scorer reads behind the day it scores.</summary>
    public const int SignalDays = 60;

    /// <summary>The account as the health model reads it on <paramref name="asOf"/> (the scoring contract).</summary>
    public AccountSignals ToSignals(DateOnly asOf)
    {
        var asOfEnd = new DateTimeOffset(asOf.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero);
        var end = asOfEnd.ToUnixTimeMilliseconds();
        bool SeenWithin(UserState u, int days) => u.LastSeen > end - (days * 86_400_000L) && u.LastSeen <= end;

        SubscriptionState? main = null;
        long mrr = 0;
        var seats = 0;
        DateTimeOffset? customerSince = null;
        var allCanceled = Subscriptions.Count > 0;
        DateTimeOffset? churnedAt = null;
        DateTimeOffset? reactivatedAt = null;
        foreach (var sub in Subscriptions.Values)
        {
            mrr += sub.MrrCents;
            seats += sub.Seats;
            if (main is null || sub.MrrCents > main.MrrCents || (sub.MrrCents == main.MrrCents && sub.Version > main.Version))
            {
                main = sub;
            }

            if (sub.StartedAt is { } started && (customerSince is null || started < customerSince))
            {
                customerSince = started;
            }

            allCanceled &= sub.Status == "canceled";
            if (sub.ReactivatedAt is { } back && back <= asOfEnd && (reactivatedAt is null || back > reactivatedAt))
            {
                reactivatedAt = back;
            }

            if (sub.ChurnedAt is { } churned && (churnedAt is null || churned > churnedAt))
            {
                churnedAt = churned;
            }
        }

        // A new subscription started after another one churned: the account came back.
        foreach (var sub in Subscriptions.Values)
        {
            if (sub.Status != "canceled" && sub.StartedAt is { } started && started <= asOfEnd && churnedAt is { } left && started > left
                && (reactivatedAt is null || started > reactivatedAt))
            {
                reactivatedAt = started;
            }
        }

        Profiles.TryGetValue("stripe", out var stripe);
        Profiles.TryGetValue("segment", out var segment);
        Profiles.TryGetValue("zendesk", out var zendesk);

        var active30 = 0;
        var active7 = 0;
        var hasChampion = false;
        var championActive = false;
        var hasSponsor = false;
        var sponsorActive = false;
        DateTimeOffset? championLeftAt = null;
        DateTimeOffset? sponsorLeftAt = null;
        var users = new List<AccountUser>();
        foreach (var (id, user) in Users.OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            active30 += SeenWithin(user, 30) ? 1 : 0;
            active7 += SeenWithin(user, 7) ? 1 : 0;
            if (!user.Identified)
            {
                continue;
            }

            users.Add(new AccountUser(
                id, user.Email, user.FirstName, user.TimeZone, user.Departed, user.Role, user.Title, user.Champion || user.ExecutiveSponsor,
                user.LastSeen > 0 && user.LastSeen <= end ? DateTimeOffset.FromUnixTimeMilliseconds(user.LastSeen) : null,
                user.Champion,
                user.TitleChangedAt > 0 && user.TitleChangedAt <= end ? user.PreviousTitle : null,
                user.TitleChangedAt > 0 && user.TitleChangedAt <= end ? DateTimeOffset.FromUnixTimeMilliseconds(user.TitleChangedAt) : null,
                user.Department));
            hasChampion |= user.Champion;
            championActive |= user.Champion && SeenWithin(user, 30);
            hasSponsor |= user.ExecutiveSponsor;
            sponsorActive |= user.ExecutiveSponsor && SeenWithin(user, 30);
            if (user.TraitsVersion <= end)
            {
                var changedAt = DateTimeOffset.FromUnixTimeMilliseconds(user.TraitsVersion);
                if (user.WasChampion && !user.Champion && (championLeftAt is null || changedAt > championLeftAt))
                {
                    championLeftAt = changedAt;
                }

                if (user.WasExecutiveSponsor && !user.ExecutiveSponsor && (sponsorLeftAt is null || changedAt > sponsorLeftAt))
                {
                    sponsorLeftAt = changedAt;
                }
            }
        }

        var milestones = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, at) in Milestones)
        {
            if (at <= end)
            {
                milestones[name] = DateTimeOffset.FromUnixTimeMilliseconds(at);
            }
        }

        var features = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, at) in Features)
        {
            if (at > end - (30 * 86_400_000L))
            {
                features.Add(name);
            }
        }

        var higherTier = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, at) in HigherTierFeatures)
        {
            if (at <= end)
            {
                higherTier[name] = DateTimeOffset.FromUnixTimeMilliseconds(at);
            }
        }

        var openUrgent = 0;
        var openComplaints = 0;
        foreach (var ticket in Tickets.Values)
        {
            if (!ticket.IsClosed)
            {
                openUrgent += ticket.Priority == "urgent" ? 1 : 0;
                openComplaints += ticket.Complaint ? 1 : 0;
            }
        }

        var (missed, lastMissed) = MissedMeetings(end);
        return new AccountSignals
        {
            AccountId = AccountId,
            LastChangeTrace = LastChangeTrace,
            ObservedSince = ObservedSince,
            Name = stripe?.Name ?? segment?.Name ?? zendesk?.Name,
            CsmEmail = stripe?.CsmEmail,
            Plan = main?.Plan ?? segment?.Plan,
            MrrCents = mrr,
            LicensedSeats = main is not null ? seats : (int)Math.Clamp(segment?.Seats ?? 0, 0, int.MaxValue),
            SubscriptionStatus = main?.Status,
            CancelAtPeriodEnd = main?.CancelAtPeriodEnd ?? false,
            CancelAt = main?.CancelAt,
            ReactivatedAt = reactivatedAt,
            RenewalDate = main?.CurrentPeriodEnd,
            BillingPeriodDays = main?.BillingPeriodDays,
            CustomerSince = customerSince,
            ChurnedAt = allCanceled ? churnedAt : null,
            ActiveUsers30d = active30,
            ActiveUsers7d = active7,
            Days = DaysFor(asOf),
            Milestones = milestones,
            KeyFeaturesUsed30d = features,
            HigherTierFeaturesTried = higherTier,
            Departments = DepartmentsAsOf(asOf.DayNumber),
            Relationship = new RelationshipSignals
            {
                HasChampion = hasChampion,
                ChampionActive = championActive,
                HasExecutiveSponsor = hasSponsor,
                ExecutiveSponsorActive = sponsorActive,
                ChampionLeftAt = championLeftAt,
                ExecutiveSponsorLeftAt = sponsorLeftAt,
            },
            Users = users,
            LastNpsScore = LastNps is { } nps && nps.Version <= end ? nps.Score : null,
            LastNpsAt = LastNps is { } answered && answered.Version <= end ? DateTimeOffset.FromUnixTimeMilliseconds(answered.Version) : null,
            DataExportRequestedAt = LastDataExportRequest is { } export && export <= end ? DateTimeOffset.FromUnixTimeMilliseconds(export) : null,
            LastRenewalConversationAt = LastRenewalConversation is { } talked && talked <= end ? DateTimeOffset.FromUnixTimeMilliseconds(talked) : null,
            MissedMeetingsInRow = missed,
            LastMeetingMissedAt = lastMissed,
            OpenUrgentTickets = openUrgent,
            OpenComplaints = openComplaints,
        };
    }

    /// <summary>
    /// Per team or department named on a person: how many of its people were active in the last
    /// <see cref="DepartmentActivity.WindowDays"/> days up to <paramref name="asOfDay"/>, and in the same span before
    /// (from each person's activity bits), ordered by name.
    /// </summary>
    private List<DepartmentActivity> DepartmentsAsOf(int asOfDay)
    {
        var window = DepartmentActivity.WindowDays;
        var byName = new SortedDictionary<string, (int Recent, int Before)>(StringComparer.OrdinalIgnoreCase);
        foreach (var user in Users.Values)
        {
            if (user.Department is not { Length: > 0 } name)
            {
                continue;
            }

            var recent = false;
            var before = false;
            for (var d = 0; d < 2 * window; d++)
            {
                if (user.ActiveOn(asOfDay - d))
                {
                    recent |= d < window;
                    before |= d >= window;
                }
            }

            var counts = byName.GetValueOrDefault(name.Trim());
            byName[name.Trim()] = (counts.Recent + (recent ? 1 : 0), counts.Before + (before ? 1 : 0));
        }

        return [.. byName.Select(d => new DepartmentActivity(d.Key, d.Value.Recent, d.Value.Before))];
    }

    /// <summary>A booked meeting has this long after its start to be marked held or missed before it counts as missed.</summary>
    private const long MeetingMarkedWithinMs = 86_400_000L;

    /// <summary>
    /// The run of missed meetings at the end of the meeting log as of <paramref name="end"/>: each booking whose start is
    /// a day past is held when a meeting was held within a day of its start, otherwise missed (a no-show near it is the
    /// same miss, not a second one); held meetings and no-shows without a booking count in their own right. Null when
    /// the log has nothing yet.
    /// </summary>
    private (int? Missed, DateTimeOffset? LastMissed) MissedMeetings(long end)
    {
        var outcomes = new List<(long At, bool Held)>();
        var used = new HashSet<int>();
        for (var i = 0; i < MeetingLog.Count; i++)
        {
            var booking = MeetingLog[i];
            if (booking.Outcome != MeetingOutcome.Scheduled || booking.At + MeetingMarkedWithinMs > end)
            {
                continue;
            }

            var held = false;
            for (var j = 0; j < MeetingLog.Count; j++)
            {
                var mark = MeetingLog[j];
                if (mark.Outcome != MeetingOutcome.Scheduled && !used.Contains(j) && mark.At <= end && Math.Abs(mark.At - booking.At) <= MeetingMarkedWithinMs)
                {
                    used.Add(j);
                    held |= mark.Outcome == MeetingOutcome.Held;
                }
            }

            outcomes.Add((booking.At, held));
        }

        for (var j = 0; j < MeetingLog.Count; j++)
        {
            var mark = MeetingLog[j];
            if (mark.Outcome != MeetingOutcome.Scheduled && !used.Contains(j) && mark.At <= end)
            {
                outcomes.Add((mark.At, mark.Outcome == MeetingOutcome.Held));
            }
        }

        if (outcomes.Count == 0)
        {
            return (null, null);
        }

        outcomes.Sort((a, b) => a.At.CompareTo(b.At));
        var missed = 0;
        for (var k = outcomes.Count - 1; k >= 0 && !outcomes[k].Held; k--)
        {
            missed++;
        }

        return (missed, missed > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(outcomes[^1].At) : null);
    }

    /// <summary>
    /// The days in [asOf − 60, asOf] that have anything, oldest first: counters, distinct active users (from the
    /// people's activity bits) and the MRR booked that day.
    /// </summary>
    private DailySignals[] DaysFor(DateOnly asOf)
    {
        var last = asOf.DayNumber;
        var first = last - SignalDays;
        Span<int> active = stackalloc int[SignalDays + 1];
        Span<long> mrr = stackalloc long[SignalDays + 1];
        Span<bool> any = stackalloc bool[SignalDays + 1];
        Span<int> counted = stackalloc int[SignalDays + 1];
        counted.Fill(-1);

        for (var i = 0; i < Days.Count; i++)
        {
            var day = Days[i].Day;
            if (day >= first && day <= last)
            {
                counted[day - first] = i;
                any[day - first] = true;
            }
        }

        foreach (var user in Users.Values)
        {
            for (var bits = user.ActiveBits; bits != 0; bits &= bits - 1)
            {
                var day = user.ActiveDay - System.Numerics.BitOperations.TrailingZeroCount(bits);
                if (day >= first && day <= last)
                {
                    active[day - first]++;
                    any[day - first] = true;
                }
            }
        }

        foreach (var movement in Movements)
        {
            if (movement.Day >= first && movement.Day <= last)
            {
                mrr[movement.Day - first] += movement.DeltaCents;
                any[movement.Day - first] = true;
            }
        }

        var result = new List<DailySignals>(SignalDays + 1);
        for (var d = 0; d <= SignalDays; d++)
        {
            if (!any[d])
            {
                continue;
            }

            var c = counted[d] >= 0 ? Days[counted[d]] : null;
            result.Add(new DailySignals
            {
                Day = DateOnly.FromDayNumber(first + d),
                ActiveUsers = active[d],
                Logins = c?.Logins ?? 0,
                Events = c?.Events ?? 0,
                TicketsOpened = c?.TicketsOpened ?? 0,
                UrgentOrHighTicketsOpened = c?.UrgentOrHighTicketsOpened ?? 0,
                TicketsSolved = c?.TicketsSolved ?? 0,
                SatisfactionGood = c?.SatisfactionGood ?? 0,
                SatisfactionBad = c?.SatisfactionBad ?? 0,
                PaymentsFailed = c?.PaymentsFailed ?? 0,
                PaymentsSucceeded = c?.PaymentsSucceeded ?? 0,
                DisputesOpened = c?.DisputesOpened ?? 0,
                Refunds = c?.Refunds ?? 0,
                Meetings = c?.Meetings ?? 0,
                Qbrs = c?.Qbrs ?? 0,
                EmailReplies = c?.EmailReplies ?? 0,
                MrrDeltaCents = mrr[d],
            });
        }

        return [.. result];
    }
}
