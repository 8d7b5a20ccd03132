using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>The account page's part of the aggregate, pure: the bounded recent-event log, the known ids and the events in words.</summary>
public sealed class AccountActivityTests
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static AccountEvent Event(DateTimeOffset at, ExternalIdRef id, params AccountFact[] facts) =>
        new() { Account = id, OccurredAt = at, Facts = facts };

    private static ExternalIdRef Stripe(string id = "cus_1") => new(ExternalIdKinds.StripeCustomer, id);

    private static AccountState New() => AccountState.New("acct-1", Now.AddDays(-200));

    [Fact]
    public void Apply_MoreEventsThanKept_LogHoldsTheNewestNewestFirst()
    {
        var state = New();
        var minutes = Enumerable.Range(0, AccountState.RecentEventsKept + 30).ToList();

        // Delivered out of order: odd minutes first, then even ones, each landing where it happened.
        foreach (var m in minutes.Where(m => m % 2 == 1).Concat(minutes.Where(m => m % 2 == 0)))
        {
            state.Apply(Event(Now.AddMinutes(m), Stripe(), new PaymentSucceeded()), "evt-" + m, Now.AddDays(1));
        }

        var shown = state.ToActivity(AccountState.RecentEventsKept + 30).RecentEvents;

        Assert.Equal(AccountState.RecentEventsKept, state.RecentEvents.Count);
        Assert.Equal(minutes.AsEnumerable().Reverse().Take(AccountState.RecentEventsKept).Select(m => Now.AddMinutes(m)), shown.Select(e => e.At));
    }

    [Fact]
    public void ToActivity_AskedForFewer_GivesTheNewestOnes()
    {
        var state = New();
        for (var m = 0; m < 30; m++)
        {
            state.Apply(Event(Now.AddMinutes(m), Stripe(), new LoggedIn()), "evt-" + m, Now.AddDays(1));
        }

        var shown = state.ToActivity(20).RecentEvents;

        Assert.Equal(Enumerable.Range(10, 20).Reverse().Select(m => Now.AddMinutes(m)), shown.Select(e => e.At));
    }

    [Fact]
    public void Apply_SameEventRedeliveredOrReplayed_LoggedOnce()
    {
        var state = New();
        var e = Event(Now, Stripe(), new PaymentFailed(), new UserActive("u1"));

        state.Apply(e, "evt-1", Now);
        state.Apply(Event(Now, Stripe(), new PaymentFailed(), new UserActive("u2")), "evt-1", Now); // changes state, same event
        state.Forget("evt-1");
        state.Apply(e, "evt-1", Now, countersAllowed: false); // a replay after the archive recorded it

        var logged = Assert.Single(state.RecentEvents);
        Assert.Equal(("stripe", "payment failed"), (logged.Provider, logged.Kind));
    }

    [Fact]
    public void Apply_StaleEventThatFoldsNothing_NotLogged()
    {
        var state = New();
        state.Apply(Event(Now, Stripe(), new ProfileUpdated("stripe", "New name")), "evt-new", Now);

        var late = state.Apply(Event(Now.AddHours(-1), Stripe("cus_old"), new ProfileUpdated("stripe", "Old name")), "evt-old", Now);

        Assert.False(late.Changed);
        Assert.Single(state.RecentEvents);
        Assert.Equal(["cus_1"], state.KnownIds.Select(k => k.ExternalId));
    }

    [Fact]
    public void KnownIds_ManyOfOneKind_KeepTheMostRecentlySeenPerKind()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-5), Stripe(), new PaymentSucceeded()), "stripe", Now);
        for (var i = 0; i < AccountState.KnownIdsPerKindKept + 5; i++)
        {
            state.Apply(Event(Now.AddMinutes(i), new ExternalIdRef(ExternalIdKinds.SegmentUser, "user-" + i), new UserActive("user-" + i)), "seg-" + i, Now.AddDays(1));
        }

        state.Apply(Event(Now.AddMinutes(-10), new ExternalIdRef(ExternalIdKinds.ZendeskOrganization, "org-9"), new TicketOpened(false)), "zd", Now.AddDays(1));

        var ids = state.ToActivity(0).LinkedIds;

        // By kind (Stripe, Segment group, Zendesk, email domain, Segment user), then the most recently seen first.
        Assert.Equal(["cus_1", "org-9", .. Enumerable.Range(5, AccountState.KnownIdsPerKindKept).Reverse().Select(i => "user-" + i)], ids.Select(i => i.ExternalId));
        Assert.Equal(("zendesk", Now.AddMinutes(-10)), (ids[1].Provider, ids[1].LastSeen));
    }

    [Fact]
    public void KnownIds_SeenAgainLater_LastSeenMovesForwardOnly()
    {
        var state = New();
        state.Apply(Event(Now, Stripe(), new PaymentSucceeded()), "a", Now.AddDays(1));
        state.Apply(Event(Now.AddDays(-2), Stripe(), new PaymentSucceeded()), "b", Now.AddDays(1));

        Assert.Equal(Now, Assert.Single(state.ToActivity(0).LinkedIds).LastSeen);
    }

    [Theory]
    [InlineData("invoice paid", "stripe")]
    [InlineData("ticket opened", "zendesk")]
    [InlineData("feature used", "segment")]
    public void Summary_KindIsTheMostTellingFact(string expectedKind, string provider)
    {
        var e = provider switch
        {
            "stripe" => Event(Now, Stripe(), new ProfileUpdated("stripe", "Acme"), new PaymentSucceeded()),
            "zendesk" => Event(Now, new ExternalIdRef(ExternalIdKinds.ZendeskOrganization, "org"), new TicketChanged("4711", "new", "urgent", null, "", false), new TicketOpened(true)),
            _ => Event(Now, new ExternalIdRef(ExternalIdKinds.SegmentGroup, "grp"), new UserActive("u1"), new ProductEventCounted(), new FeatureUsed("reports")),
        };
        var state = New();

        state.Apply(e, "evt", Now);

        var logged = Assert.Single(state.ToActivity(20).RecentEvents);
        Assert.Equal((provider, expectedKind), (logged.Provider, logged.Kind));
    }

    [Fact]
    public void Summary_NamesEachFactInOneLine()
    {
        var (kind, summary) = AccountEventSummary.Of(Event(Now, new ExternalIdRef(ExternalIdKinds.ZendeskOrganization, "org"), new TicketChanged("4711", "open", "urgent", null, "", true), new TicketOpened(true)));

        Assert.Equal("ticket opened", kind);
        Assert.Equal("ticket opened (urgent or high); ticket 4711 open, urgent, complaint", summary);
    }

    [Fact]
    public void Summary_LongNames_CutToOneLine()
    {
        var (_, summary) = AccountEventSummary.Of(Event(Now, Stripe(), new ProfileUpdated("stripe", new string('x', 5_000))));

        Assert.Equal(AccountEventSummary.MaxSummaryLength, summary.Length);
        Assert.EndsWith("…", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Serializer_RoundTrip_KeepsLogAndKnownIds()
    {
        var state = New();
        state.Apply(Event(Now, Stripe(), new PaymentSucceeded()), "a", Now);
        state.Apply(Event(Now.AddMinutes(1), new ExternalIdRef(ExternalIdKinds.SegmentGroup, "grp"), new FeatureUsed("reports")), "b", Now);

        var copy = AccountStateSerializer.Deserialize(AccountStateSerializer.Serialize(state));

        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(state.ToActivity(20)),
            System.Text.Json.JsonSerializer.Serialize(copy.ToActivity(20)));
        Assert.Equal(2, copy.ToActivity(20).RecentEvents.Count);
    }
}
