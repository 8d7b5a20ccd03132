using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>The facts the expansion signals read, as the account folds and projects them: title changes, teams and
/// departments with their activity, higher-tier features tried.</summary>
public sealed class AccountExpansionFactsTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);

    private static AccountEvent Event(DateTimeOffset at, params AccountFact[] facts) =>
        new() { Account = new ExternalIdRef(ExternalIdKinds.SegmentGroup, "grp"), OccurredAt = at, Facts = facts };

    private static UserSeen Person(string id, string? title, bool champion = false, string? department = null) =>
        new(id, id + "@acme.example", id, null, null, title, champion, false, false, department);

    private static AccountState New() => AccountState.New("acct-1", Now.AddDays(-200));

    [Fact]
    public void UserSeen_NewTitle_KeepsThePreviousOneAndWhen()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-30), Person("ana", "Ops Manager", champion: true)), "1", Now);
        state.Apply(Event(Now.AddDays(-10), Person("ana", "VP Operations", champion: true)), "2", Now);

        var ana = Assert.Single(state.ToSignals(Today).Users);

        Assert.Equal(("VP Operations", "Ops Manager", (DateTimeOffset?)Now.AddDays(-10), true), (ana.Title, ana.PreviousTitle, ana.TitleChangedAt, ana.Champion));
    }

    [Fact]
    public void UserSeen_FirstTitleSameTitleOrLateOlderEvent_NoChangeRecorded()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-30), Person("ana", "Ops Manager")), "1", Now);
        state.Apply(Event(Now.AddDays(-20), Person("ana", "ops manager ")), "2", Now);
        state.Apply(Event(Now.AddDays(-25), Person("ana", "Intern")), "3", Now); // older than what is held

        var ana = Assert.Single(state.ToSignals(Today).Users);

        Assert.Equal(("ops manager ", null, null), (ana.Title, ana.PreviousTitle, ana.TitleChangedAt));
    }

    [Fact]
    public void ToSignals_TitleChangedAfterTheDayRead_NotShownYet()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-30), Person("ana", "Ops Manager")), "1", Now);
        state.Apply(Event(Now.AddDays(-1), Person("ana", "VP Operations")), "2", Now);

        Assert.Null(Assert.Single(state.ToSignals(Today.AddDays(-5)).Users).TitleChangedAt);
    }

    [Fact]
    public void ToSignals_Departments_ActivePeopleInTheLast28DaysAndThe28Before()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-60), Person("a", null, department: "Finance"), Person("b", null, department: "finance"), Person("c", null, department: "Sales"), Person("d", null)), "ids", Now);
        state.Apply(Event(Now.AddDays(-3), new UserActive("a")), "a1", Now);
        state.Apply(Event(Now.AddDays(-27), new UserActive("b")), "b1", Now);
        state.Apply(Event(Now.AddDays(-40), new UserActive("c")), "c1", Now);
        state.Apply(Event(Now.AddDays(-5), new UserActive("c")), "c2", Now);
        state.Apply(Event(Now.AddDays(-2), new UserActive("d")), "d1", Now);

        var departments = state.ToSignals(Today).Departments;

        // Finance: a (3 days ago) and b (27) now, nobody before; Sales: c now and 40 days ago; d names no department.
        Assert.Equal([new DepartmentActivity("Finance", 2, 0), new DepartmentActivity("Sales", 1, 1)], departments);
    }

    [Fact]
    public void ToSignals_Department_KeptWhenALaterIdentifyOmitsIt()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-10), Person("a", null, department: "Finance"), new UserActive("a")), "1", Now);
        state.Apply(Event(Now.AddDays(-5), Person("a", "Analyst")), "2", Now);

        Assert.Equal("Finance", Assert.Single(state.ToSignals(Today).Users).Department);
    }

    [Fact]
    public void HigherTierFeatureTried_LatestTryProjected()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-12), new HigherTierFeatureTried("SSO")), "1", Now);
        state.Apply(Event(Now.AddDays(-4), new HigherTierFeatureTried("SSO")), "2", Now);
        state.Apply(Event(Now.AddDays(-8), new HigherTierFeatureTried("SSO")), "3", Now);

        var tried = state.ToSignals(Today).HigherTierFeaturesTried;

        Assert.Equal(Now.AddDays(-4), Assert.Single(tried).Value);
        Assert.Empty(state.ToSignals(Today.AddDays(-13)).HigherTierFeaturesTried);
    }

    [Fact]
    public void Serializer_RoundTrip_KeepsTheExpansionFacts()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-30), Person("ana", "Ops Manager", true, "Ops")), "1", Now);
        state.Apply(Event(Now.AddDays(-10), Person("ana", "VP Operations", true, "Ops"), new UserActive("ana"), new HigherTierFeatureTried("SSO")), "2", Now);

        var copy = AccountStateSerializer.Deserialize(AccountStateSerializer.Serialize(state)).ToSignals(Today);

        Assert.Equal("Ops Manager", Assert.Single(copy.Users).PreviousTitle);
        Assert.Equal([new DepartmentActivity("Ops", 1, 0)], copy.Departments);
        Assert.Contains("SSO", copy.HigherTierFeaturesTried.Keys);
    }
}
