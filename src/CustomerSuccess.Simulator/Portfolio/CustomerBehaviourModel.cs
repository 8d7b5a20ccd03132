using System.Text.Json.Nodes;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Simulator.Portfolio;

/// <summary>One thing a provider would send, at the moment it happened (delivery and signing come later).</summary>
internal sealed record PlannedEvent(Provider Provider, string EventId, string Type, string AccountId, DateTimeOffset OccurredAt, JsonObject Payload);

/// <summary>
/// The customer base living through one simulated day at a time: people using the product (Segment), raising
/// and rating tickets (Zendesk), paying, failing to pay, buying seats and cancelling (Stripe). The dynamics are
/// plain rules of thumb from CS practice (engagement drifts back to its baseline; fading accounts lose a few
/// percent of usage a week; a lost champion costs about a third of usage; storms bring urgent tickets and bad
/// ratings); nothing here reads or imitates the app's health model. Each account has its own random stream, so
/// the same seed gives the same run.
/// </summary>
internal sealed class CustomerBehaviourModel
{
    /// <summary>The Segment event of a business review the customer attended (the app's default QBR event).</summary>
    private const string QbrAttended = "QBR Attended";

    private static readonly string[] KeyFeatures = ["Signed In", "Dashboard Viewed", "Report Created", "Workflow Run", "Integration Synced", "Export Downloaded", "Comment Added"];
    private static readonly string[] TicketSubjects = ["Cannot export report", "SSO login loop", "Question about billing", "Integration sync delayed", "How do I add users?", "Dashboard loads slowly", "Data missing after import", "API rate limit errors"];
    private static readonly string[] StormSubjects = ["Outage: workflows not running", "Data sync failing for all users", "URGENT: production integration down", "Reports showing wrong numbers", "Escalation: still broken after fix"];

    /// <summary>Teams an expanding account spreads to, one per account.</summary>
    private static readonly string[] NewTeams = ["Finance", "Marketing", "Operations", "Legal", "Data"];

    /// <summary>Higher-tier features an expanding account tries before it buys (the simulated product's vocabulary).</summary>
    private static readonly string[] HigherTierFeatures = ["SSO Configured", "Audit Log Exported"];

    /// <summary>Days before an expansion that the expanding account's usage, invitations and a new team grow toward it.</summary>
    public const int ExpansionLeadDays = 45;

    private static readonly string[] InviteeFirstNames = ["Alex", "Priya", "Jordan", "Mei", "Samir", "Lucia", "Tomas", "Amara", "Jonas", "Keiko", "Diego", "Noor"];
    private static readonly string[] InviteeLastNames = ["Novak", "Okafor", "Lindqvist", "Tanaka", "Haddad", "Moreau", "Silva", "Kowalski", "Byrne", "Osei"];

    private readonly SimulatedPortfolio _portfolio;
    private readonly GroundTruth _truth;
    private readonly Scenario _scenario;
    private readonly Dictionary<string, Random> _streams = new(StringComparer.Ordinal);

    // Booked meetings draw from a stream of their own, so adding them left every other event of a seed as it was.
    private readonly Dictionary<string, Random> _meetingStreams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SimulatedTicket>> _tickets = new(StringComparer.Ordinal);
    private long _nextTicketId = 48_000;

    public CustomerBehaviourModel(SimulatedPortfolio portfolio, GroundTruth truth, int seed, Scenario scenario)
    {
        _portfolio = portfolio;
        _truth = truth;
        _scenario = scenario;
        foreach (var a in portfolio.Accounts)
        {
            _streams[a.AccountId] = new Random(StableSeed.Of(seed, a.Index, 0x5eed));
            _meetingStreams[a.AccountId] = new Random(StableSeed.Of(seed, a.Index, 0x3ee7));
            _tickets[a.AccountId] = [];
            DecideOutcome(a, _streams[a.AccountId]);
            if (a.StartDay == 0 && a.CustomerSince < portfolio.Day0)
            {
                truth.StartingMrr[a.AccountId] = a.MrrCents;
            }
        }
    }

    public IReadOnlyList<PlannedEvent> PlanDay(int day)
    {
        var events = new List<PlannedEvent>();
        foreach (var account in _portfolio.Accounts)
        {
            if (day < account.StartDay)
            {
                continue;
            }

            var rng = _streams[account.AccountId];
            var date = _portfolio.DateOf(day);
            if (day == account.StartDay)
            {
                Onboard(account, day, date, rng, events);
            }

            if (account.ChurnedDay is not null)
            {
                continue;
            }

            UpdateEngagement(account, day, rng);
            Billing(account, day, date, rng, events);
            if (account.ChurnedDay is not null)
            {
                continue;
            }

            Usage(account, day, date, rng, events);
            Support(account, day, date, rng, events);
        }

        foreach (var e in events)
        {
            if (e.Provider == Provider.Segment && e.Type is "track" or "page")
            {
                _truth.CountUsage(e.AccountId, DayOf(_portfolio, e.OccurredAt));
            }
        }

        return events;
    }

    private static DateTimeOffset At(DateTimeOffset date, Random rng, int fromHour = 0, int toHour = 24) =>
        date.AddHours(fromHour).AddSeconds(rng.Next(0, (toHour - fromHour) * 3600));

    /// <summary>A version-4-shaped UUID from the account's stream, so reruns with the same seed send the same ids.</summary>
    private static string Uuid(Random rng)
    {
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    private static string Id(Random rng, string prefix, int length = 24) => prefix + PortfolioGenerator.Token(rng, length);

    private static int DayOf(SimulatedPortfolio p, DateTimeOffset at) => PortfolioGenerator.DayOf(at, p.Day0);

    /// <summary>Fixes at the start what each story leads to; the day-by-day dynamics then play it out.</summary>
    private void DecideOutcome(SimulatedAccount a, Random rng)
    {
        switch (a.Behaviour)
        {
            case Behaviour.SilentChurner:
                a.WillChurn = true;
                a.ChurnReason = "usage faded; did not renew";

                // Annual: the fade began months before the renewal it ends at. Monthly: any month, once it has faded for a while.
                a.ChurnNotBefore = a.TurnDay + (a.Interval == "year" ? 60 : rng.Next(45, 100));
                break;
            case Behaviour.ChampionLeaves:
                var roll = rng.NextDouble();
                var outcome = _scenario.Outcomes.ChampionLeaves;
                if (roll < outcome.Replaced)
                {
                    a.NewChampionDay = a.TurnDay + rng.Next(20, 45);
                }
                else if (roll < outcome.Replaced + outcome.Churns)
                {
                    a.WillChurn = true;
                    a.ChurnReason = "champion left; no new sponsor";
                    a.ChurnNotBefore = a.TurnDay + 45;
                }
                else
                {
                    a.SeatChangeAtRenewal = -Math.Max(1, a.Seats * 3 / 10);
                }

                break;
            case Behaviour.SupportStorm:
                if (rng.NextDouble() < _scenario.Outcomes.SupportStorm.Churns && (a.Interval == "month" || DayOf(_portfolio, a.PeriodEnd) <= a.TurnDay + 120))
                {
                    a.WillChurn = true;
                    a.ChurnReason = "lost confidence after support incident";
                    a.ChurnNotBefore = a.TurnDay + 21;
                }

                break;
            case Behaviour.PaymentFailures:
                a.PaymentRecovers = rng.NextDouble() < _scenario.Outcomes.PaymentFailures.Recovers;
                break;
            case Behaviour.HealthyAdopter when a.StartDay == 0:
                // Churn nobody could see coming (budget cut, acquisition) exists in every book of business.
                var r = rng.NextDouble();
                var healthy = _scenario.Outcomes.HealthyAdopter;
                if (r < healthy.UnforeseenChurn)
                {
                    a.WillChurn = true;
                    a.ChurnReason = "budget cut / acquired (no warning signs)";
                    a.ChurnNotBefore = rng.Next(0, Math.Max(1, _scenario.Rates.StoryHorizonDays));
                }
                else if (r < healthy.UnforeseenChurn + healthy.ExpandsAtRenewal)
                {
                    a.SeatChangeAtRenewal = Math.Max(1, a.Seats / 10);
                }
                else if (r < healthy.UnforeseenChurn + healthy.ExpandsAtRenewal + healthy.ContractsAtRenewal)
                {
                    a.SeatChangeAtRenewal = -Math.Max(1, a.Seats * 15 / 100);
                }

                break;
            default:
                break;
        }
    }

    private void Onboard(SimulatedAccount a, int day, DateTimeOffset date, Random rng, List<PlannedEvent> events)
    {
        var at = At(date, rng, 8, 18);
        var billing = a.Users[0];
        events.Add(Stripe(rng, "customer.created", a, at, StripePayloads.Customer(a, billing)));
        events.Add(Stripe(rng, "customer.subscription.created", a, at.AddSeconds(2), StripePayloads.Subscription(a)));
        _truth.RecordFact(a.AccountId, day, FactKind.SubscriptionStarted);
        _truth.RecordFact(a.AccountId, DayOf(_portfolio, a.PeriodEnd), FactKind.PeriodEnds);
        if (a.StartDay > 0 || a.CustomerSince >= _portfolio.Day0)
        {
            _truth.Record(new MrrMovement(day, a.AccountId, MrrMovementKind.NewBusiness, a.MrrCents));
            FirstInvoice(a, day, at.AddSeconds(5), rng, events);
        }

        // A new customer signs up in the product: the person who signed up is identified and put in the account at once.
        if (a.IsNewCustomer && !a.GroupSent)
        {
            var signer = a.Users[0];
            signer.Linked = true;
            a.GroupSent = true;
            events.Add(SegmentEvent(rng, SegmentPayloads.Identify(Uuid(rng), signer, a, at.AddMinutes(1)), a, "identify"));
            events.Add(SegmentEvent(rng, SegmentPayloads.Group(Uuid(rng), signer, a, at.AddMinutes(1).AddSeconds(1)), a, "group"));
        }

        // Existing customers' organizations are known to Zendesk from the start; a new customer's may be created
        // a few days after their first ticket arrives (the ticket is then not yet linked to an account).
        if (a.StartDay == 0 || rng.NextDouble() < 0.6)
        {
            events.Add(ZendeskOrganization(a, at.AddMinutes(5), rng));
        }
    }

    private static void FirstInvoice(SimulatedAccount a, int day, DateTimeOffset at, Random rng, List<PlannedEvent> events)
    {
        a.InvoiceCounter++;
        a.OpenInvoiceId = Id(rng, "in_");
        a.LastChargeId = Id(rng, "ch_");
        events.Add(Stripe(rng, "invoice.paid", a, at, StripePayloads.Invoice(a, a.OpenInvoiceId, a.LastChargeId, "paid", 1, at, null, "subscription_create")));
        _ = day;
    }

    private static PlannedEvent ZendeskOrganization(SimulatedAccount a, DateTimeOffset at, Random rng)
    {
        a.ZendeskOrganizationSent = true;
        var id = Uuid(rng);
        _ = rng;
        return new PlannedEvent(Provider.Zendesk, id, "organization.created", a.AccountId, at, ZendeskPayloads.OrganizationCreated(id, a.ZendeskOrganizationId, a.AccountId, a.Name, a.Domain, at));
    }

    private static PlannedEvent Stripe(Random rng, string type, SimulatedAccount a, DateTimeOffset at, JsonObject resource, JsonObject? previous = null)
    {
        var id = Id(rng, "evt_");
        var request = type.StartsWith("customer.", StringComparison.Ordinal) ? Id(rng, "req_", 14) : null;
        return new PlannedEvent(Provider.Stripe, id, type, a.AccountId, at, StripePayloads.Event(id, type, at, resource, previous, request));
    }

    private void UpdateEngagement(SimulatedAccount a, int day, Random rng)
    {
        var rates = _scenario.Rates;
        var noise = (rng.NextDouble() - 0.5) * _scenario.Noise.EngagementDaily;
        double target;
        double pull;
        switch (a.Behaviour)
        {
            case Behaviour.SlowOnboarder:
                // Stalls at a low level until the CSM intervenes (TurnDay), then climbs to a normal level.
                target = day < a.TurnDay ? 0.22 : a.Baseline;
                pull = day < a.TurnDay ? 0.03 : 0.06;
                break;
            case Behaviour.SilentChurner when day >= a.TurnDay:
                // A few percent of usage lost per week, with no complaint.
                a.Engagement = Math.Max(0.03, (a.Engagement * Math.Pow(1 - rates.SilentFadePerWeek, 1.0 / 7)) + (noise / 2));
                return;
            case Behaviour.ChampionLeaves when day >= a.TurnDay && (a.NewChampionDay is null || day < a.NewChampionDay):
                target = a.Baseline * (1 - rates.ChampionLossUsageDrop);
                pull = 0.05;
                if (a.WillChurn && day > a.TurnDay + 30)
                {
                    target = a.Baseline * Math.Max(0.05, 1 - (1.6 * rates.ChampionLossUsageDrop));
                }

                break;
            case Behaviour.SupportStorm when day >= a.TurnDay && day < a.TurnDay + 21:
                target = a.Baseline * (1 - rates.SupportStormUsageDrop);
                pull = 0.1;
                break;
            case Behaviour.SupportStorm when a.WillChurn && day >= a.TurnDay + 21:
                target = a.Baseline * Math.Max(0.05, 1 - (2 * rates.SupportStormUsageDrop));
                pull = 0.03;
                break;
            case Behaviour.ExpansionNearSeatLimit:
                // Toward the expansion the product is used more and more (usage growth month over month).
                target = Ramping(a, day) ? Math.Min(0.97, Math.Max(a.Baseline, 0.8) + 0.15) : Math.Max(a.Baseline, 0.8);
                pull = 0.1;
                break;
            default:
                target = a.Baseline;
                pull = a.StartDay > 0 && day - a.StartDay < 21 ? 0.12 : 0.08;
                break;
        }

        a.Engagement = Math.Clamp(a.Engagement + ((target - a.Engagement) * pull) + noise, 0.02, 0.98);
    }

    /// <summary>An expanding account in the <see cref="ExpansionLeadDays"/> before it buys more seats.</summary>
    private static bool Ramping(SimulatedAccount a, int day) =>
        a.Behaviour == Behaviour.ExpansionNearSeatLimit && !a.Expanded && day >= a.TurnDay - ExpansionLeadDays;

    private void Billing(SimulatedAccount a, int day, DateTimeOffset date, Random rng, List<PlannedEvent> events)
    {
        var renewalDay = DayOf(_portfolio, a.PeriodEnd);

        // Dunning: Stripe retries a failed invoice a few times over about a week, then cancels the subscription.
        if (a.PaymentFailedDay is { } failed && a.Status == "past_due")
        {
            var since = day - failed;
            if (since is 3 or 5 or 7)
            {
                a.DunningAttempts++;
                var at = At(date, rng, 9, 12);
                var recoversNow = a.PaymentRecovers && (since == 7 || rng.NextDouble() < 0.5);
                if (recoversNow)
                {
                    a.Status = "active";
                    a.LastChargeId = Id(rng, "ch_");
                    events.Add(Stripe(rng, "invoice.paid", a, at, StripePayloads.Invoice(a, a.OpenInvoiceId!, a.LastChargeId, "paid", a.DunningAttempts + 1, at, null, "subscription_cycle")));
                    events.Add(Stripe(rng, "customer.subscription.updated", a, at.AddSeconds(3), StripePayloads.Subscription(a), new JsonObject { ["status"] = "past_due" }));
                }
                else if (since < 7)
                {
                    events.Add(Stripe(rng, "invoice.payment_failed", a, at, StripePayloads.Invoice(a, a.OpenInvoiceId!, Id(rng, "ch_"), "open", a.DunningAttempts + 1, at, at.AddDays(2), "subscription_cycle")));
                    _truth.RecordFact(a.AccountId, day, FactKind.PaymentFailed);
                }
                else
                {
                    events.Add(Stripe(rng, "invoice.payment_failed", a, at, StripePayloads.Invoice(a, a.OpenInvoiceId!, Id(rng, "ch_"), "open", a.DunningAttempts + 1, at, null, "subscription_cycle")));
                    _truth.RecordFact(a.AccountId, day, FactKind.PaymentFailed);
                    Churn(a, day, at.AddHours(1), "payment failed; dunning exhausted", involuntary: true, rng, events);
                }
            }

            return;
        }

        if (a.WillChurn && !a.CancelAtPeriodEnd && renewalDay >= a.ChurnNotBefore)
        {
            // Customers give notice: weeks ahead on annual terms, days ahead on monthly ones.
            var notice = a.Interval == "year" ? 14 + (a.Index % 31) : 2 + (a.Index % 9);
            if (day >= renewalDay - notice)
            {
                a.CancelAtPeriodEnd = true;
                var at = At(date, rng, 9, 17);
                events.Add(Stripe(rng, "customer.subscription.updated", a, at, StripePayloads.Subscription(a), new JsonObject { ["cancel_at_period_end"] = false, ["cancel_at"] = null }));
                _truth.RecordFact(a.AccountId, day, FactKind.CancellationNotice);
            }
        }

        if (a.Behaviour == Behaviour.PaymentFailures && a.PaymentFailedDay is null && a.TurnDay <= day && a.Interval == "year")
        {
            a.TurnDay = renewalDay;
        }

        if (a.Behaviour == Behaviour.ExpansionNearSeatLimit && day == a.TurnDay && !a.Expanded)
        {
            a.Expanded = true;
            var before = a.MrrCents;
            var previousSeats = a.Seats;
            a.Seats += Math.Max(2, a.Seats * (25 + rng.Next(26)) / 100);
            var at = At(date, rng, 10, 16);
            events.Add(Stripe(rng, "customer.subscription.updated", a, at, StripePayloads.Subscription(a), new JsonObject
            {
                ["quantity"] = previousSeats,
                ["items"] = new JsonObject { ["data"] = new JsonArray(new JsonObject { ["id"] = a.SubscriptionItemId, ["quantity"] = previousSeats }) },
            }));
            _truth.Record(new MrrMovement(day, a.AccountId, MrrMovementKind.Expansion, a.MrrCents - before));
        }

        if (day == a.TurnDay && a.Behaviour == Behaviour.PaymentFailures && rng.NextDouble() < _scenario.Outcomes.PaymentFailures.Disputes && a.LastChargeId is not null)
        {
            var at = At(date, rng, 0, 24);
            var dispute = StripePayloads.Dispute(Id(rng, "dp_"), a.LastChargeId, a.UnitAmountCents * a.Seats, "subscription_canceled", at);
            events.Add(Stripe(rng, "charge.dispute.created", a, at, dispute));
            _truth.RecordFact(a.AccountId, DayOf(_portfolio, at), FactKind.Dispute);
        }

        if (day != renewalDay)
        {
            return;
        }

        var renewAt = a.PeriodEnd;
        if (a.CancelAtPeriodEnd)
        {
            Churn(a, day, renewAt, a.ChurnReason ?? "cancelled at renewal", involuntary: false, rng, events);
            return;
        }

        var previousStart = a.PeriodStart;
        var previousEnd = a.PeriodEnd;
        var previousQuantity = a.Seats;
        var mrrBefore = a.MrrCents;
        if (a.SeatChangeAtRenewal != 0)
        {
            a.Seats = Math.Max(1, a.Seats + a.SeatChangeAtRenewal);
            a.SeatChangeAtRenewal = 0;
        }

        a.PeriodStart = previousEnd;
        a.PeriodEnd = a.Interval == "year" ? previousEnd.AddYears(1) : previousEnd.AddMonths(1);
        _truth.RecordFact(a.AccountId, DayOf(_portfolio, a.PeriodEnd), FactKind.PeriodEnds);
        a.InvoiceCounter++;
        a.OpenInvoiceId = Id(rng, "in_");
        var previous = new JsonObject
        {
            ["current_period_start"] = previousStart.ToUnixTimeSeconds(),
            ["current_period_end"] = previousEnd.ToUnixTimeSeconds(),
            ["latest_invoice"] = "in_previous",
        };
        if (previousQuantity != a.Seats)
        {
            previous["quantity"] = previousQuantity;
            var movement = a.MrrCents - mrrBefore;
            _truth.Record(new MrrMovement(day, a.AccountId, movement > 0 ? MrrMovementKind.Expansion : MrrMovementKind.Contraction, movement));
        }

        var failsNow = a.Behaviour == Behaviour.PaymentFailures && a.PaymentFailedDay is null && day >= a.TurnDay;
        if (failsNow)
        {
            a.PaymentFailedDay = day;
            a.Status = "past_due";
            _truth.RecordFact(a.AccountId, day, FactKind.PaymentFailed);
            events.Add(Stripe(rng, "invoice.payment_failed", a, renewAt.AddMinutes(62), StripePayloads.Invoice(a, a.OpenInvoiceId, Id(rng, "ch_"), "open", 1, renewAt.AddMinutes(60), renewAt.AddDays(3), "subscription_cycle")));
            events.Add(Stripe(rng, "customer.subscription.updated", a, renewAt.AddMinutes(63), StripePayloads.Subscription(a), previous.Also("status", "active")));
            return;
        }

        a.LastChargeId = Id(rng, "ch_");
        events.Add(Stripe(rng, "invoice.paid", a, renewAt.AddMinutes(61), StripePayloads.Invoice(a, a.OpenInvoiceId, a.LastChargeId, "paid", 1, renewAt.AddMinutes(60), null, "subscription_cycle")));
        events.Add(Stripe(rng, "customer.subscription.updated", a, renewAt.AddMinutes(60), StripePayloads.Subscription(a), previous));
    }

    private void Churn(SimulatedAccount a, int day, DateTimeOffset at, string reason, bool involuntary, Random rng, List<PlannedEvent> events)
    {
        var mrr = a.MrrCents;
        a.Status = "canceled";
        a.ChurnedDay = day;
        a.ChurnReason = reason;
        events.Add(Stripe(rng, "customer.subscription.deleted", a, at, StripePayloads.Subscription(a, canceledAt: at, endedAt: at)));
        _truth.RecordChurn(new ChurnRecord(a.AccountId, day, reason, mrr, involuntary));
    }

    private void Usage(SimulatedAccount a, int day, DateTimeOffset date, Random rng, List<PlannedEvent> events)
    {
        var weekend = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        var dayFactor = weekend ? 0.2 : 1.0;

        if (!a.GroupSent)
        {
            a.GroupSent = true;
            var by = a.Users[0];
            events.Add(SegmentEvent(rng, SegmentPayloads.Group(Uuid(rng), by, a, At(date, rng, 8, 10)), a, "group"));
        }

        // Accounts near their seat limit keep inviting people; in the weeks before they buy, twice as many, from a team
        // that did not use the product before.
        var ramping = Ramping(a, day);
        if (a.Behaviour == Behaviour.ExpansionNearSeatLimit && !weekend && rng.NextDouble() < (ramping ? 0.5 : 0.25))
        {
            var n = a.Users.Count;
            var first = InviteeFirstNames[rng.Next(InviteeFirstNames.Length)];
            var last = InviteeLastNames[rng.Next(InviteeLastNames.Length)];
            a.Users.Add(new SimulatedUser
            {
                UserId = Id(rng, "usr_", 12),
                Email = $"{PortfolioGenerator.Slug(first)}.{PortfolioGenerator.Slug(last)}{n}@{a.Domain}",
                FirstName = first,
                LastName = last,
                Title = "Analyst",
                Department = ramping ? NewTeams[a.Index % NewTeams.Length] : null,
                Role = UserRole.Member,
                Propensity = 0.6,
                JoinDay = day,
                ZendeskUserId = 390_000_000_000 + (a.Index * 100_000L) + n,
            });
        }

        if (a.Behaviour == Behaviour.ChampionLeaves && day == a.TurnDay)
        {
            var champion = a.Users.FirstOrDefault(u => u.Role == UserRole.Champion && u.LeftDay is null);
            if (champion is not null)
            {
                champion.LeftDay = day;
                _truth.RecordFact(a.AccountId, day, FactKind.ChampionLeft);
                events.Add(SegmentEvent(rng, SegmentPayloads.Identify(Uuid(rng), champion, a, At(date, rng, 9, 18), deactivated: true), a, "identify"));
                champion.Role = UserRole.Member;
            }
        }

        if (a.NewChampionDay == day)
        {
            var successor = a.Users.Where(u => u.LeftDay is null && u.Role == UserRole.Member).OrderByDescending(u => u.Propensity).FirstOrDefault();
            if (successor is not null)
            {
                successor.Role = UserRole.Champion;
                events.Add(SegmentEvent(rng, SegmentPayloads.Identify(Uuid(rng), successor, a, At(date, rng, 9, 18)), a, "identify"));
            }
        }

        foreach (var user in a.Users)
        {
            if (user.JoinDay > day || user.LeftDay is not null)
            {
                continue;
            }

            var p = a.Engagement * user.Propensity * dayFactor * 0.45;
            if (rng.NextDouble() >= p)
            {
                continue;
            }

            var at = At(date, rng, 7, 20);
            string? groupId = a.AccountId;
            if (!user.Linked)
            {
                if (!user.LinkDeferred && rng.NextDouble() < _scenario.Noise.EventsBeforeLink)
                {
                    // First events before analytics knows the account: linked by the group call on a later day.
                    user.LinkDeferred = true;
                    groupId = null;
                }
                else
                {
                    user.Linked = true;
                    events.Add(SegmentEvent(rng, SegmentPayloads.Identify(Uuid(rng), user, a, at.AddSeconds(-30)), a, "identify"));
                    events.Add(SegmentEvent(rng, SegmentPayloads.Group(Uuid(rng), user, a, at.AddSeconds(-29)), a, "group"));
                }
            }

            // A session starts with a sign-in most days (otherwise a remembered one), then the feature they came for;
            // some do a second thing.
            if (rng.NextDouble() < 0.8)
            {
                events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), user, groupId, "Signed In", new JsonObject { ["method"] = "sso" }, at.AddSeconds(-5)), a, "track"));
            }

            var feature = KeyFeatures[1 + Math.Min(KeyFeatures.Length - 2, (int)(Math.Pow(rng.NextDouble(), 1.6) * (KeyFeatures.Length - 1)))];
            events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), user, groupId, feature, new JsonObject { ["duration_seconds"] = rng.Next(20, 900) }, at), a, "track"));
            if (rng.NextDouble() < 0.15)
            {
                var second = KeyFeatures[rng.Next(KeyFeatures.Length)];
                events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), user, groupId, second, new JsonObject { ["duration_seconds"] = rng.Next(20, 900) }, at.AddMinutes(rng.Next(1, 50))), a, "track"));
            }

            if (rng.NextDouble() < 0.03)
            {
                events.Add(SegmentEvent(rng, SegmentPayloads.Page(Uuid(rng), user, groupId, "Billing", "/settings/billing", at.AddMinutes(2)), a, "page"));
            }
        }

        // A few weeks before buying, someone tries a capability of the plan above.
        if (a.Behaviour == Behaviour.ExpansionNearSeatLimit && !a.Expanded && !a.TriedHigherTier && day >= a.TurnDay - 25 && !weekend
            && a.Users.FirstOrDefault(u => u.Linked && u.LeftDay is null) is { } tryer)
        {
            a.TriedHigherTier = true;
            var feature = HigherTierFeatures[a.Index % HigherTierFeatures.Length];
            events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), tryer, a.AccountId, feature, new JsonObject(), At(date, rng, 9, 17)), a, "track"));
        }

        Milestones(a, day, date, rng, events);
        Meetings(a, day, date, rng, events, weekend);
        BookedMeetings(a, day, date, events, weekend);
    }

    private void Milestones(SimulatedAccount a, int day, DateTimeOffset date, Random rng, List<PlannedEvent> events)
    {
        if (a.StartDay == 0 && a.CustomerSince < _portfolio.Day0)
        {
            return;
        }

        // New customers: first integration, then onboarding complete; slow onboarders only after the CSM steps in.
        var due = a.Behaviour == Behaviour.SlowOnboarder
            ? (first: a.TurnDay + 5, second: a.TurnDay + 15)
            : (first: a.StartDay + 4 + (a.Index % 5), second: a.StartDay + 12 + (a.Index % 9));
        var user = a.Users.FirstOrDefault(u => u.Linked && u.LeftDay is null);
        if (user is null)
        {
            return;
        }

        if (a.MilestonesReached == 0 && day >= due.first)
        {
            a.MilestonesReached = 1;
            a.FirstValueDay = day;
            events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), user, a.AccountId, "Integration Connected", new JsonObject { ["integration"] = "salesforce" }, At(date, rng, 9, 17)), a, "track"));
        }
        else if (a.MilestonesReached == 1 && day >= due.second)
        {
            a.MilestonesReached = 2;
            a.OnboardingCompletedDay = day;
            events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), user, a.AccountId, "Onboarding Completed", new JsonObject(), At(date, rng, 9, 17)), a, "track"));
        }
    }

    private void Meetings(SimulatedAccount a, int day, DateTimeOffset date, Random rng, List<PlannedEvent> events, bool weekend)
    {
        if (weekend)
        {
            return;
        }

        // High-touch accounts meet their CSM regularly; disengaging customers stop taking the meetings.
        var rate = a.Segment switch { Segment.Enterprise => 1.0 / 10, Segment.MidMarket => 1.0 / 20, _ => 1.0 / 45 };
        rate *= Math.Clamp(a.Engagement / 0.7, 0.05, 1.2);
        var contact = a.Users.FirstOrDefault(u => u.Role is UserRole.Champion && u.LeftDay is null && u.Linked) ?? a.Users.FirstOrDefault(u => u.LeftDay is null && u.Linked);
        if (contact is null || rng.NextDouble() >= rate)
        {
            return;
        }

        var name = a.Segment == Segment.Smb ? "Email Replied" : rng.NextDouble() < 0.12 && a.Segment == Segment.Enterprise ? QbrAttended : "Meeting Held";
        if (name == QbrAttended)
        {
            _truth.RecordQbr(a.AccountId, day);
        }

        events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), contact, a.AccountId, name, new JsonObject { ["csm_email"] = a.CsmEmail }, At(date, rng, 9, 17)), a, "track"));
    }

    /// <summary>
    /// The CSM's booked meetings with a high-touch account (the seeds' cadence: Enterprise bi-weekly syncs, Mid-Market
    /// monthly; every third Enterprise sync and every sixth Mid-Market one is the business review), and on annual terms a
    /// renewal meeting as the 90-day renewal window opens (booked on a weekday when the renewal is 97 to 80 days away, a
    /// one-in-five chance each such day, for a week later). Each is booked a week ahead ("Meeting Scheduled" with
    /// its start); on the day the customer's contact turns up with a chance that follows the account's engagement, so a
    /// disengaging customer misses more. A missed meeting is marked a no-show by the CSM four times in five (otherwise
    /// nobody marks it) and a missed renewal meeting is booked again 10 days later while the window lasts. SMB is
    /// tech-touch: no booked meetings. The ad-hoc contact of <see cref="Meetings"/> goes on beside these.
    /// </summary>
    private void BookedMeetings(SimulatedAccount a, int day, DateTimeOffset date, List<PlannedEvent> events, bool weekend)
    {
        if (a.Segment == Segment.Smb)
        {
            return;
        }

        var rng = _meetingStreams[a.AccountId];
        var contact = a.Users.FirstOrDefault(u => u.Role is UserRole.Champion && u.LeftDay is null && u.Linked) ?? a.Users.FirstOrDefault(u => u.LeftDay is null && u.Linked);
        if (contact is null)
        {
            return;
        }

        var cadence = a.Segment == Segment.Enterprise ? 14 : 30;
        a.NextSyncDay ??= day + 1 + rng.Next(cadence);
        if (day >= a.NextSyncDay && !weekend)
        {
            a.SyncCount++;
            var review = a.SyncCount % (a.Segment == Segment.Enterprise ? 3 : 6) == 0;
            Book(a, contact, day + 7, date.AddDays(7), review ? QbrAttended : "Meeting Held", rng, events, At(date, rng, 9, 17));
            a.NextSyncDay = day + cadence;
        }

        var renewalDay = DayOf(_portfolio, a.PeriodEnd);
        if (a.Interval == "year" && a.RenewalMeetingFor != a.PeriodEnd && renewalDay - day is >= 80 and <= 97 && !weekend && rng.NextDouble() < 0.2)
        {
            a.RenewalMeetingFor = a.PeriodEnd;
            Book(a, contact, day + 7, date.AddDays(7), "Renewal Meeting Held", rng, events, At(date, rng, 9, 17));
        }

        for (var i = a.Bookings.Count - 1; i >= 0; i--)
        {
            var (meetingDay, startsAt, held) = a.Bookings[i];
            if (meetingDay > day)
            {
                continue;
            }

            a.Bookings.RemoveAt(i);
            var attends = rng.NextDouble() < Math.Clamp(a.Engagement / 0.6, 0.1, 0.95);
            if (attends)
            {
                if (held == QbrAttended)
                {
                    _truth.RecordQbr(a.AccountId, day);
                }

                events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), contact, a.AccountId, held, new JsonObject { ["csm_email"] = a.CsmEmail }, startsAt.AddMinutes(50)), a, "track"));
                continue;
            }

            if (rng.NextDouble() < 0.8)
            {
                events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), contact, a.AccountId, "Meeting No-Show", new JsonObject { ["csm_email"] = a.CsmEmail }, startsAt.AddMinutes(20)), a, "track"));
            }

            if (held == "Renewal Meeting Held" && DayOf(_portfolio, a.PeriodEnd) - day > 17)
            {
                Book(a, contact, day + 10, date.AddDays(10), held, rng, events, startsAt.AddHours(2));
            }
        }
    }

    private static void Book(SimulatedAccount a, SimulatedUser contact, int meetingDay, DateTimeOffset meetingDate, string held, Random rng, List<PlannedEvent> events, DateTimeOffset bookedAt)
    {
        // A meeting starts on the hour in office hours; the booking goes out when the CSM sends the invitation.
        var startsAt = meetingDate.AddHours(rng.Next(9, 17));
        var kind = held switch { "Renewal Meeting Held" => "renewal", QbrAttended => "business review", _ => "sync" };
        var properties = new JsonObject { ["csm_email"] = a.CsmEmail, ["starts_at"] = startsAt.ToString("o", System.Globalization.CultureInfo.InvariantCulture), ["kind"] = kind };
        events.Add(SegmentEvent(rng, SegmentPayloads.Track(Uuid(rng), contact, a.AccountId, "Meeting Scheduled", properties, bookedAt), a, "track"));
        a.Bookings.Add((meetingDay, startsAt, held));
    }

    private static PlannedEvent SegmentEvent(Random rng, JsonObject message, SimulatedAccount a, string type)
    {
        _ = rng;
        var at = DateTimeOffset.Parse(message["timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        return new PlannedEvent(Provider.Segment, message["messageId"]!.GetValue<string>(), type, a.AccountId, at, message);
    }

    private void Support(SimulatedAccount a, int day, DateTimeOffset date, Random rng, List<PlannedEvent> events)
    {
        var tickets = _tickets[a.AccountId];
        var storm = a.Behaviour == Behaviour.SupportStorm && day >= a.TurnDay && day < a.TurnDay + 14;
        var rate = _scenario.Rates.DailyTicketChance + (a.Users.Count * 0.0012);
        if (a.Behaviour == Behaviour.SilentChurner && day >= a.TurnDay)
        {
            rate *= 0.3;
        }

        if (a.StartDay > 0 && day - a.StartDay < 30)
        {
            rate *= 2;
        }

        if (storm)
        {
            rate = (rate * 6) + 0.4;
        }

        if (!a.ZendeskOrganizationSent && day - a.StartDay >= 2)
        {
            events.Add(ZendeskOrganization(a, At(date, rng, 0, 6), rng));
        }

        if (rng.NextDouble() < rate)
        {
            var at = At(date, rng, 6, 22);
            var present = a.Users.Where(u => u.LeftDay is null && u.JoinDay <= day).ToList();
            var requester = present.Count > 0 ? present[rng.Next(present.Count)] : a.Users[0];
            var priority = storm
                ? (rng.NextDouble() < 0.35 ? "urgent" : rng.NextDouble() < 0.6 ? "high" : "normal")
                : (rng.NextDouble() < 0.03 ? "urgent" : rng.NextDouble() < 0.15 ? "high" : rng.NextDouble() < 0.7 ? "normal" : "low");
            var tags = storm ? (rng.NextDouble() < 0.3 ? new[] { "outage", "escalation", "complaint" } : ["outage", "escalation"]) : new[] { "product" };
            var ticket = new SimulatedTicket
            {
                Id = ++_nextTicketId,
                AccountId = a.AccountId,
                OrganizationId = a.ZendeskOrganizationId,
                RequesterId = requester.ZendeskUserId,
                Subject = storm ? StormSubjects[rng.Next(StormSubjects.Length)] : TicketSubjects[rng.Next(TicketSubjects.Length)],
                Type = storm ? "incident" : rng.NextDouble() < 0.6 ? "question" : "problem",
                CreatedAt = at,
                UpdatedAt = at,
                Tags = tags,
                Priority = priority,
            };
            ticket.SolveDay = day + (priority == "urgent" ? rng.Next(0, 2) : storm ? rng.Next(3, 11) : rng.Next(1, 6));
            if (!storm && priority == "normal" && rng.NextDouble() < 0.05)
            {
                ticket.EscalateDay = day + 1;
            }

            tickets.Add(ticket);
            if (priority == "urgent")
            {
                _truth.RecordFact(a.AccountId, day, FactKind.UrgentTicket);
            }

            if (tags.Contains("complaint"))
            {
                _truth.RecordFact(a.AccountId, day, FactKind.ComplaintTicket);
            }

            events.Add(Zendesk(rng, ZendeskPayloads.TicketCreated, ticket, at, a));
            ticket.Status = "open";
            ticket.UpdatedAt = at.AddMinutes(rng.Next(5, 120));
            events.Add(ZendeskChange(rng, "status_changed", ticket, "new", "open", ticket.UpdatedAt, a));
        }

        foreach (var ticket in tickets.ToList())
        {
            if (ticket.EscalateDay == day && ticket.Status != "solved")
            {
                var at = At(date, rng, 8, 12);
                var previous = ticket.Priority;
                ticket.Priority = "urgent";
                ticket.UpdatedAt = at;
                _truth.RecordFact(a.AccountId, day, FactKind.UrgentTicket);
                events.Add(ZendeskChange(rng, "priority_changed", ticket, previous, "urgent", at, a));
            }

            if (ticket.SolveDay == day && ticket.Status != "solved")
            {
                var at = At(date, rng, 12, 23);
                ticket.UpdatedAt = at;
                ticket.Status = "solved";
                events.Add(ZendeskChange(rng, "status_changed", ticket, "open", "solved", at, a));

                // About a quarter of requesters answer the survey; storms and fading accounts rate worse.
                if (rng.NextDouble() < _scenario.Rates.CsatResponseShare)
                {
                    var badChance = storm || (a.Behaviour == Behaviour.SupportStorm && day < a.TurnDay + 21) ? 0.7 : a.Behaviour == Behaviour.SilentChurner ? 0.2 : 0.1;
                    ticket.Rating = rng.NextDouble() < badChance ? "bad" : "good";
                    var rated = at.AddHours(rng.Next(1, 20));
                    var id = Uuid(rng);
                    events.Add(new PlannedEvent(Provider.Zendesk, id, "ticket.satisfaction_rating_changed", a.AccountId, rated, ZendeskPayloads.SatisfactionRated(id, ticket, ticket.Rating, rated)));
                }

                tickets.Remove(ticket);
            }
        }
    }

    private static PlannedEvent Zendesk(Random rng, Func<string, SimulatedTicket, DateTimeOffset, JsonObject> build, SimulatedTicket ticket, DateTimeOffset at, SimulatedAccount a)
    {
        _ = rng;
        var id = Uuid(rng);
        return new PlannedEvent(Provider.Zendesk, id, "ticket.created", a.AccountId, at, build(id, ticket, at));
    }

    private static PlannedEvent ZendeskChange(Random rng, string change, SimulatedTicket ticket, string previous, string current, DateTimeOffset at, SimulatedAccount a)
    {
        _ = rng;
        var id = Uuid(rng);
        return new PlannedEvent(Provider.Zendesk, id, "ticket." + change, a.AccountId, at, ZendeskPayloads.TicketChanged(id, change, ticket, previous, current, at));
    }
}

internal static class JsonObjectExtensions
{
    /// <summary>A copy of the object with one more member (for previous_attributes that combine several changes).</summary>
    public static JsonObject Also(this JsonObject source, string name, JsonNode? value)
    {
        var copy = (JsonObject)source.DeepClone();
        copy[name] = value;
        return copy;
    }
}
