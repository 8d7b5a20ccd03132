using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Functions.Tests.Simulation;

/// <summary>
/// What a run should have made the app do, from what the simulator knows it sent: which lifecycle sequences it
/// should trigger, and for any alert or email, the fact behind it (null when found, else why not).
/// </summary>
internal sealed class SmokeExpectations(SimulationResult result)
{
    private readonly Dictionary<string, SimulatedAccount> _accounts = result.Portfolio.Accounts.ToDictionary(a => a.AccountId, StringComparer.Ordinal);
    private readonly Dictionary<string, (SimulatedAccount Account, SimulatedUser User)> _people = result.Portfolio.Accounts
        .SelectMany(a => a.Users.Select(u => (a, u))).ToDictionary(x => x.u.Email, x => (x.a, x.u), StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _csms = result.Portfolio.Csms.Select(c => c.Email).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The lifecycle sequences the run should trigger, each with a few days' margin for quiet hours and the send cap.</summary>
    public static IReadOnlyList<string> Sequences(SimulationResult result)
    {
        var lastDay = result.LastDay;
        var smb = result.Portfolio.Accounts.Where(a => a.Segment == Segment.Smb).ToList();
        var facts = result.Truth.Facts;
        var sequences = new List<string>();
        if (smb.Any(a => a.IsNewCustomer && a.StartDay <= lastDay - 10))
        {
            sequences.Add("onboarding");
        }

        if (smb.Any(a => result.Truth.Churns.Any(c => c.AccountId == a.AccountId && c.Day + 14 + 3 <= lastDay)))
        {
            sequences.Add("win-back");
        }

        // An annual account whose renewal comes within 90 days while the run lasts, and that has not given notice by then.
        if (smb.Any(a => a.Interval == "year" && facts.Any(f => f.AccountId == a.AccountId && f.Kind == FactKind.PeriodEnds && f.Day > 3 && f.Day - 90 <= lastDay - 3
            && !facts.Any(n => n.AccountId == a.AccountId && n.Kind is FactKind.CancellationNotice or FactKind.Churned && n.Day <= Math.Max(0, f.Day - 90) + 3))))
        {
            sequences.Add("renewal");
        }

        // A live account the app moved from Green to Yellow, with time left to write to it.
        if (smb.Any(a => result.Observed.History.TryGetValue(a.AccountId, out var h)
            && h.Values.Zip(h.Values.Skip(1)).Any(p => p.First.Band == "Green" && p.Second.Band == "Yellow" && p.Second.Day == p.First.Day + 1 && p.Second.Day <= lastDay - 4
                && !result.Truth.Churns.Any(c => c.AccountId == a.AccountId && c.Day <= p.Second.Day + 4))))
        {
            sequences.Add("at-risk");
        }

        return sequences;
    }

    /// <summary>
    /// Each SMB account that churned early enough without its win-back day-14 email within <paramref name="slackDays"/>
    /// of the step's due day (quiet hours and the contact cap may hold it a little), as a sentence each.
    /// </summary>
    public IEnumerable<string> LateWinBacks(int slackDays)
    {
        foreach (var churn in result.Truth.Churns.Where(c => _accounts[c.AccountId].Segment == Segment.Smb && c.Day + 14 + slackDays <= result.LastDay))
        {
            var sent = result.Observed.Outbox.Emails
                .Where(e => e.Sequence == "win-back" && e.Step == "day-14" && e.To is not null && _people.TryGetValue(e.To, out var p) && p.Account.AccountId == churn.AccountId && e.Date is not null)
                .Select(e => PortfolioGenerator.DayOf(e.Date!.Value, result.Portfolio.Day0))
                .DefaultIfEmpty(-1)
                .Min();
            if (sent < 0 || sent > churn.Day + 14 + slackDays)
            {
                yield return $"{churn.AccountId} churned on day {churn.Day}; its win-back day-14 email {(sent < 0 ? "never went" : $"went on day {sent}")}, due by day {churn.Day + 14 + slackDays}";
            }
        }
    }

    /// <summary>
    /// Why an alert of this tier exists by <paramref name="day"/>, or null when found. An alert escalated because
    /// nobody acknowledged it by its due time (<paramref name="reason"/> ends so) needs only the cause of the tier it
    /// was raised from: a Warning "Yellow for 21 days" left open becomes Critical without the account turning Red.
    /// </summary>
    public string? AlertCause(string accountId, string ruleId, string tier, int day, string? reason = null)
    {
        var escalated = reason?.EndsWith(AlertRuleEngine.OverdueReasonSuffix, StringComparison.Ordinal) == true;
        var raisedAs = escalated ? tier switch { "Critical" => "Warning", "Warning" => "Watch", _ => tier } : tier;

        if (!_accounts.ContainsKey(accountId))
        {
            return $"alert {ruleId} names {accountId}, which the simulation never created";
        }

        bool Fact(params FactKind[] kinds) => result.Truth.Facts.Any(f => f.AccountId == accountId && kinds.Contains(f.Kind) && f.Day <= day);
        bool Band(params string[] bands) => result.Observed.History.TryGetValue(accountId, out var h) && h.Values.Any(p => p.Day <= day && bands.Contains(p.Band));
        bool Scored() => result.Observed.History.TryGetValue(accountId, out var h) && h.Keys.Any(d => d <= day);
        var found = ruleId switch
        {
            "payment-risk" => Fact(FactKind.PaymentFailed, FactKind.Dispute),
            "relationship-loss" => Fact(FactKind.ChampionLeft),
            "support-escalation" => Fact(FactKind.UrgentTicket, FactKind.ComplaintTicket),
            "health-band" => raisedAs == "Critical" ? Band("Red") : Band("Yellow", "Red"),
            "renewal-at-risk" => Band("Red"),
            "cancellation" => Fact(FactKind.CancellationNotice),
            "dimension-zero" or "usage-decline" or "login-decline" => Scored(),
            // An opportunity stands on the account's facts and a score past the value gate (Green or rising).
            "expansion-opportunity" => Scored(),
            _ => false,
        };
        return found ? null : $"{tier} alert {ruleId} on {accountId} by day {day} has no cause the simulation sent or the app scored";
    }

    public string? EmailCause(EmailView email)
    {
        var day = email.Date is { } date ? PortfolioGenerator.DayOf(date, result.Portfolio.Day0) : int.MaxValue;
        switch (email.Kind)
        {
            case EmailKind.Alert or EmailKind.WatchDigest:
                if (email.To is null || !_csms.Contains(email.To))
                {
                    return $"alert email to {email.To}, who is no CSM of the simulation";
                }

                if (email.Alerts.Count == 0)
                {
                    return "alert email names no alert";
                }

                // An alert email's subject is "[tier] account: reason"; a digest lists Watch alerts, never escalated ones.
                return email.Alerts.Select(a => AlertCause(a.AccountId, a.RuleId, email.Tier ?? "Watch", day, email.Kind == EmailKind.Alert ? email.Subject : null)).FirstOrDefault(c => c is not null);

            case EmailKind.Lifecycle:
                if (email.To is null || !_people.TryGetValue(email.To, out var person))
                {
                    return $"lifecycle email to {email.To}, whom the simulation never created";
                }

                var (account, user) = person;
                if (account.Segment != Segment.Smb)
                {
                    return $"lifecycle email to {account.Segment} account {account.AccountId}, which is not tech-touch";
                }

                if (!email.Text.StartsWith($"Hi {user.FirstName},", StringComparison.Ordinal))
                {
                    return $"greets \"{email.Text.Split('\n')[0]}\", not {user.FirstName}";
                }

                bool Fact(FactKind kind, Func<int, bool> when) => result.Truth.Facts.Any(f => f.AccountId == account.AccountId && f.Kind == kind && when(f.Day));
                var caused = email.Sequence switch
                {
                    "onboarding" => account.IsNewCustomer && Fact(FactKind.SubscriptionStarted, d => d <= day),
                    "win-back" => Fact(FactKind.Churned, d => d <= day),
                    "renewal" => Fact(FactKind.PeriodEnds, d => d > day && d <= day + 91),
                    "at-risk" => result.Observed.History.TryGetValue(account.AccountId, out var h) && h.Values.Any(p => p.Day <= day && p.Band is "Yellow" or "Red"),
                    "adoption" => day - account.CustomerSinceDay >= 60,
                    _ => false,
                };
                return caused ? null : $"{email.Category} to {account.AccountId} on day {day} has no cause the simulation sent";

            default:
                return $"email of unknown category {email.Category}";
        }
    }
}
