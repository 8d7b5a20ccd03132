using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>The account aggregate, pure: how each kind of fact folds, what is pruned, and the projection the health model reads.</summary>
public sealed class AccountStateTests
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);

    private static AccountEvent Event(DateTimeOffset at, params AccountFact[] facts) =>
        new() { Account = new ExternalIdRef(ExternalIdKinds.StripeCustomer, "cus_1"), OccurredAt = at, Facts = facts };

    private static SubscriptionChanged Subscription(long mrr, string status = "active", int seats = 10) =>
        new("sub_1", mrr, "Growth", seats, status, false, Now.AddDays(30), Now.AddDays(-100), 30);

    private static AccountState New() => AccountState.New("acct-1", Now.AddDays(-200));

    [Fact]
    public void Apply_OlderVersionedFactsAfterNewer_NeverOverwrite()
    {
        var state = New();
        state.Apply(Event(Now.AddMinutes(-1), Subscription(30_000, seats: 30), new ProfileUpdated("stripe", "New name"), new TicketChanged("t1", "solved", "urgent", null, "", false)), "e2", Now);

        var late = state.Apply(Event(Now.AddMinutes(-5), Subscription(25_000, seats: 25), new ProfileUpdated("stripe", "Old name"), new TicketChanged("t1", "open", "urgent", null, "", false)), "e1", Now);

        Assert.False(late.Changed);
        var signals = state.ToSignals(Today);
        Assert.Equal((30_000, 30, "New name"), (signals.MrrCents, signals.LicensedSeats, signals.Name));
        Assert.Equal(0, signals.OpenUrgentTickets);
        Assert.Single(state.Movements); // the late update books no movement either
    }

    [Fact]
    public void Apply_SameEventKeyTwice_CountersOnceStateStillFolds()
    {
        var state = New();
        var first = state.Apply(Event(Now, new PaymentFailed(), new ProductEventCounted()), "evt-1", Now);
        var again = state.Apply(Event(Now, new PaymentFailed(), new ProductEventCounted(), new UserActive("u1")), "evt-1", Now);

        Assert.Equal((true, true), (first.Changed, first.Counted));
        Assert.Equal((true, false), (again.Changed, again.Counted)); // the user's activity is new, the counters are not
        var day = Assert.Single(state.ToSignals(Today).Days);
        Assert.Equal((1, 1, 1), (day.PaymentsFailed, day.Events, day.ActiveUsers));
    }

    [Fact]
    public void Apply_CountersNotAllowed_FoldsOnlyState()
    {
        var state = New();

        var outcome = state.Apply(Event(Now, new PaymentFailed(), Subscription(10_000)), "evt-1", Now, countersAllowed: false);

        Assert.False(outcome.Counted);
        Assert.Equal(10_000, state.ToSignals(Today).MrrCents);
        Assert.Equal(0, state.ToSignals(Today).Days.Sum(d => d.PaymentsFailed));
        Assert.Empty(state.RecentlyApplied);
    }

    [Fact]
    public void Forget_ThenTheSameKey_CountsAgain_SoOnlyTheArchiveMayForget()
    {
        var state = New();
        state.Apply(Event(Now, new PaymentFailed()), "evt-1", Now);

        state.Forget("evt-1");
        state.Apply(Event(Now, new PaymentFailed()), "evt-1", Now);

        Assert.Equal(2, state.ToSignals(Today).Days.Single().PaymentsFailed);
    }

    [Fact]
    public void Apply_RecentlyAppliedKeys_PrunedAfter24Hours()
    {
        var state = New();
        state.Apply(Event(Now, new PaymentFailed()), "evt-1", Now);
        state.Apply(Event(Now, new PaymentFailed()), "evt-2", Now.AddHours(25));

        Assert.Equal([AccountState.KeyOf("evt-2")], state.RecentlyApplied.Keys);
    }

    [Fact]
    public void ActiveUsers_DistinctPerDayFromActivityBits_InAnyOrder()
    {
        var state = New();
        state.Apply(Event(Now, new UserActive("a")), "1", Now);
        state.Apply(Event(Now.AddDays(-3), new UserActive("a")), "2", Now);
        state.Apply(Event(Now.AddDays(-3), new UserActive("b")), "3", Now);
        state.Apply(Event(Now.AddHours(-1), new UserActive("a")), "4", Now);
        state.Apply(Event(Now.AddDays(-70), new UserActive("b")), "5", Now); // beyond the 64 days a person's bits hold

        var signals = state.ToSignals(Today);

        Assert.Equal([(Today.AddDays(-3), 2), (Today, 1)], signals.Days.Select(d => (d.Day, d.ActiveUsers)));
        Assert.Equal((2, 2), (signals.ActiveUsers30d, signals.ActiveUsers7d));
        Assert.Equal(Now, DateTimeOffset.FromUnixTimeMilliseconds(state.Users["a"].LastSeen));
    }

    [Fact]
    public void Milestones_EarliestKept_FeaturesLatestKept()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-1), new MilestoneReached("first_value"), new FeatureUsed("reports")), "1", Now);
        state.Apply(Event(Now.AddDays(-5), new MilestoneReached("first_value"), new FeatureUsed("reports")), "2", Now);
        var repeat = state.Apply(Event(Now.AddDays(-3), new MilestoneReached("first_value"), new FeatureUsed("reports")), "3", Now);

        Assert.False(repeat.Changed);
        Assert.Equal(Now.AddDays(-5), state.ToSignals(Today).Milestones["FIRST_VALUE"]);
        Assert.Equal(Now.AddDays(-1), DateTimeOffset.FromUnixTimeMilliseconds(state.Features["reports"]));
        Assert.Contains("Reports", state.ToSignals(Today).KeyFeaturesUsed30d);
    }

    [Fact]
    public void Nps_LatestResponseKeptWhateverTheOrder_ExportRequestDated()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-3), new NpsResponded(9)), "1", Now);
        state.Apply(Event(Now.AddDays(-8), new NpsResponded(4)), "2", Now);
        state.Apply(Event(Now.AddDays(-2), new DataExportRequested()), "3", Now);

        var signals = state.ToSignals(Today);

        Assert.Equal((9, Now.AddDays(-3)), (signals.LastNpsScore, signals.LastNpsAt));
        Assert.Equal(Now.AddDays(-2), signals.DataExportRequestedAt);
        Assert.Null(state.ToSignals(Today.AddDays(-9)).LastNpsScore);
    }

    [Fact]
    public void Subscription_NoticeGivenThenWithdrawn_CancelAtCarriedThenReactivated()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-10), Subscription(10_000)), "1", Now);
        state.Apply(Event(Now.AddDays(-6), Subscription(10_000) with { CancelAtPeriodEnd = true, CancelAt = Now.AddDays(30) }), "2", Now);
        var notice = state.ToSignals(Today.AddDays(-5));
        state.Apply(Event(Now.AddDays(-3), Subscription(10_000)), "3", Now);

        Assert.Equal((true, Now.AddDays(30), (DateTimeOffset?)null), (notice.CancelAtPeriodEnd, notice.CancelAt, notice.ReactivatedAt));
        var after = state.ToSignals(Today);
        Assert.Equal((false, (DateTimeOffset?)null, Now.AddDays(-3)), (after.CancelAtPeriodEnd, after.CancelAt, after.ReactivatedAt));
        Assert.Null(after.ChurnedAt);
    }

    [Fact]
    public void Subscription_BackAfterChurn_ReactivatedAtOnBothWays()
    {
        // The same subscription resumed, and a new subscription after the old one ended.
        var same = New();
        same.Apply(Event(Now.AddDays(-10), Subscription(10_000)), "1", Now);
        same.Apply(Event(Now.AddDays(-5), Subscription(0, "canceled")), "2", Now);
        same.Apply(Event(Now.AddDays(-2), Subscription(12_000)), "3", Now);
        var other = New();
        other.Apply(Event(Now.AddDays(-10), Subscription(10_000)), "1", Now);
        other.Apply(Event(Now.AddDays(-5), Subscription(0, "canceled")), "2", Now);
        other.Apply(Event(Now.AddDays(-1), new SubscriptionChanged("sub_2", 9_000, "Growth", 5, "active", false, Now.AddDays(29), Now.AddDays(-1), 30)), "3", Now);

        Assert.Null(same.ToSignals(Today.AddDays(-3)).ReactivatedAt);
        Assert.Equal(Now.AddDays(-2), same.ToSignals(Today).ReactivatedAt);
        Assert.Equal(Now.AddDays(-1), other.ToSignals(Today).ReactivatedAt);
        Assert.Null(other.ToSignals(Today).ChurnedAt);
    }

    [Fact]
    public void Subscription_NewChurnReactivation_MovementsOnTheirDaysAndChurnedAt()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-10), Subscription(10_000)), "1", Now);
        state.Apply(Event(Now.AddDays(-5), Subscription(0, "canceled")), "2", Now);
        var churned = state.ToSignals(Today.AddDays(-1));
        state.Apply(Event(Now.AddDays(-2), Subscription(12_000)), "3", Now);

        Assert.Equal(
            [(Today.AddDays(-10).DayNumber, MrrMovementKind.New, 10_000L), (Today.AddDays(-5).DayNumber, MrrMovementKind.Churn, -10_000L), (Today.AddDays(-2).DayNumber, MrrMovementKind.Reactivation, 12_000L)],
            state.Movements.Select(m => (m.Day, m.Kind, m.DeltaCents)));
        Assert.Equal(Now.AddDays(-5), churned.ChurnedAt);
        Assert.Null(state.ToSignals(Today).ChurnedAt);
        Assert.Equal(12_000, state.ToSignals(Today).Days.Sum(d => d.MrrDeltaCents));
        Assert.Equal(10_000, state.MrrAtStartOf(Today.AddDays(-6).DayNumber));
        Assert.Equal(0, state.MrrAtStartOf(Today.AddDays(-3).DayNumber));
    }

    [Fact]
    public void Prune_OldDaysClosedTicketsAndMovements_KeepingMrrHistoryExact()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-800), Subscription(10_000)), "1", Now.AddDays(-800));
        state.Apply(Event(Now.AddDays(-100), new PaymentFailed(), new TicketChanged("old", "closed", null, null, "", false), new TicketChanged("open", "open", null, null, "", false)), "2", Now.AddDays(-100));
        state.Apply(Event(Now, Subscription(15_000)), "3", Now);

        Assert.DoesNotContain(state.Days, d => d.Day < Today.DayNumber - AccountState.DaysKept);
        Assert.Equal(["open"], state.Tickets.Keys);
        Assert.Single(state.Movements);
        Assert.Equal(10_000, state.MrrBeforeMovements);
        Assert.Equal(10_000, state.MrrAtStartOf(Today.DayNumber));
        Assert.Equal(15_000, state.MrrAtStartOf(Today.DayNumber + 1));
    }

    [Fact]
    public void ToSignals_People_ChampionWhoLeftAndTheProfilesInOrder()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-20), new UserSeen("u2", "ana@acme.example", "Ana", "Europe/Berlin", "admin", null, Champion: true, ExecutiveSponsor: false, Departed: false)), "1", Now);
        state.Apply(Event(Now.AddDays(-10), new UserSeen("u2", "ana@acme.example", "Ana", "Europe/Berlin", "admin", null, Champion: true, ExecutiveSponsor: false, Departed: true)), "2", Now);
        state.Apply(Event(Now.AddDays(-5), new UserSeen("u1", "bo@acme.example", null, null, null, null, false, ExecutiveSponsor: true, Departed: false), new UserActive("u1")), "3", Now);
        state.Apply(Event(Now.AddDays(-1), new UserActive("anonymous")), "4", Now);
        state.Apply(Event(Now, new ProfileUpdated("zendesk", "Zendesk name"), new ProfileUpdated("segment", "Segment name", Plan: "growth", Seats: 25)), "5", Now);

        var signals = state.ToSignals(Today);

        Assert.Equal(["u1", "u2"], signals.Users.Select(u => u.UserId));
        Assert.True(signals.Users[1].Departed);
        Assert.False(signals.Relationship.HasChampion);
        Assert.Equal(Now.AddDays(-10), signals.Relationship.ChampionLeftAt);
        Assert.True(signals.Relationship.ExecutiveSponsorActive);
        Assert.Equal(2, signals.ActiveUsers30d);
        Assert.Equal(("Segment name", "growth", 25), (signals.Name, signals.Plan, signals.LicensedSeats));
        Assert.Equal(Now.AddDays(-200), signals.ObservedSince);
    }

    [Fact]
    public void Shed_DropsRecentEventLogThenClosedTicketsThenLeastRecentlySeenPeople_AndSaysSo()
    {
        var state = New();
        state.Apply(Event(Now, new TicketChanged("t", "solved", null, null, "", false), new UserSeen("champion", null, null, null, null, null, true, false, false)), "1", Now);
        for (var i = 0; i < 10; i++)
        {
            state.Apply(Event(Now.AddMinutes(i), new UserActive("u" + i)), "a" + i, Now);
        }

        Assert.True(state.Shed());
        Assert.Empty(state.RecentEvents);
        Assert.Single(state.Tickets);
        Assert.True(state.Shed());
        Assert.Empty(state.Tickets);
        Assert.True(state.Shed());

        Assert.True(state.Truncated);
        Assert.Contains("champion", state.Users.Keys);
        Assert.Equal(["u5", "u6", "u7", "u8", "u9"], state.Users.Keys.Where(k => k != "champion").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Serializer_RoundTrip_KeepsEveryPart()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-3), Subscription(10_000), new ProfileUpdated("stripe", "Acme", "csm@vendor.example", "billing@acme.example"), new InvoiceUpcoming(4900, Now.AddDays(3))), "1", Now);
        state.Apply(Event(Now.AddDays(-1), new UserSeen("u1", "a@acme.example", "Ana", "UTC", "admin", "CTO", true, true, false), new UserActive("u1"), new LoggedIn(), new ProductEventCounted(), new FeatureUsed("reports"), new MilestoneReached("first_value"), new TicketChanged("t1", "open", "urgent", "incident", "a,b", true), new TicketOpened(true), new SatisfactionRated(false)), "2", Now);

        var copy = AccountStateSerializer.Deserialize(AccountStateSerializer.Serialize(state));

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(state.ToSignals(Today)), System.Text.Json.JsonSerializer.Serialize(copy.ToSignals(Today)));
        Assert.Equal(state.RecentlyApplied, copy.RecentlyApplied);
        Assert.Equal(4900, copy.UpcomingInvoice!.AmountDueCents);
        Assert.Equal("CTO", copy.Users["u1"].Title);
    }

    [Fact]
    public void Serializer_UnknownFormat_Refused() =>
        Assert.Throws<InvalidDataException>(() => AccountStateSerializer.Deserialize([9, 1, 2, 3]));
}
