using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>How booked, held and missed meetings, renewal conversations and people's roles fold and project.</summary>
public sealed class AccountMeetingSignalsTests
{
    private static readonly DateTimeOffset Now = new(2025, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);

    private static AccountEvent Event(DateTimeOffset at, params AccountFact[] facts) =>
        new() { Account = new ExternalIdRef(ExternalIdKinds.SegmentGroup, "g1"), OccurredAt = at, Facts = facts };

    private static AccountState New() => AccountState.New("acct-1", Now.AddDays(-200));

    private static void Book(AccountState state, int daysAgo) =>
        state.Apply(Event(Now.AddDays(-daysAgo - 7), new MeetingLogged(MeetingOutcome.Scheduled, Now.AddDays(-daysAgo))), $"book-{daysAgo}", Now);

    private static void Mark(AccountState state, int daysAgo, MeetingOutcome outcome) =>
        state.Apply(Event(Now.AddDays(-daysAgo).AddHours(1), new MeetingLogged(outcome)), $"{outcome}-{daysAgo}", Now);

    [Fact]
    public void ToSignals_NoMeetingEver_AttendanceUnknown()
    {
        var signals = New().ToSignals(Today);

        Assert.Null(signals.MissedMeetingsInRow);
        Assert.Null(signals.LastMeetingMissedAt);
    }

    [Fact]
    public void ToSignals_TwoBookingsNeitherHeld_TwoMissedInRow()
    {
        var state = New();
        Book(state, 30);
        Mark(state, 30, MeetingOutcome.Held);
        Book(state, 16);
        Mark(state, 16, MeetingOutcome.NoShow);
        Book(state, 2); // nothing came of it

        var signals = state.ToSignals(Today);

        Assert.Equal(2, signals.MissedMeetingsInRow);
        Assert.Equal(Now.AddDays(-2), signals.LastMeetingMissedAt);
    }

    [Fact]
    public void ToSignals_HeldMeetingAfterMisses_EndsTheRun()
    {
        var state = New();
        Book(state, 20);
        Book(state, 10);
        Book(state, 3);
        Mark(state, 3, MeetingOutcome.Held);

        Assert.Equal(0, state.ToSignals(Today).MissedMeetingsInRow);
        Assert.Null(state.ToSignals(Today).LastMeetingMissedAt);
        Assert.Equal(2, state.ToSignals(Today.AddDays(-4)).MissedMeetingsInRow); // as of before that meeting
    }

    [Fact]
    public void ToSignals_BookingStartedLessThanADayAgo_NotMissedYet()
    {
        var state = New();
        Book(state, 10);
        state.Apply(Event(Now.AddDays(-3), new MeetingLogged(MeetingOutcome.Scheduled, Now.AddHours(-2))), "book-today", Now);

        Assert.Equal(1, state.ToSignals(Today).MissedMeetingsInRow);
    }

    [Fact]
    public void Apply_SameMeetingEventTwiceAndABookingWithoutStart_ChangeNothing()
    {
        var state = New();
        Mark(state, 5, MeetingOutcome.NoShow);

        var again = state.Apply(Event(Now.AddDays(-5).AddHours(1), new MeetingLogged(MeetingOutcome.NoShow)), "NoShow-5-redelivered", Now);
        var noStart = state.Apply(Event(Now, new MeetingLogged(MeetingOutcome.Scheduled)), "book-nostart", Now);

        Assert.False(again.Changed);
        Assert.False(noStart.Changed);
        Assert.Single(state.MeetingLog);
        Assert.Equal(1, state.ToSignals(Today).MissedMeetingsInRow);
    }

    [Fact]
    public void Apply_ManyMeetings_KeepsTheLatestOnly()
    {
        var state = New();
        for (var d = 40; d > 0; d--)
        {
            Mark(state, d, MeetingOutcome.NoShow);
        }

        Assert.Equal(AccountState.MeetingLogKept, state.MeetingLog.Count);
        Assert.Equal(AccountState.MeetingLogKept, state.ToSignals(Today).MissedMeetingsInRow);
    }

    [Fact]
    public void ToSignals_RenewalConversation_LatestKeptAndNotBeforeAsOf()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-20), new RenewalConversationHeld()), "r1", Now);
        state.Apply(Event(Now.AddDays(-50), new RenewalConversationHeld()), "r0", Now);

        Assert.Equal(Now.AddDays(-20), state.ToSignals(Today).LastRenewalConversationAt);
        Assert.Null(state.ToSignals(Today.AddDays(-30)).LastRenewalConversationAt); // the kept one came later
    }

    [Fact]
    public void ToSignals_People_CarryRoleTitleStakeholderAndLastSeen()
    {
        var state = New();
        state.Apply(Event(Now.AddDays(-3), new UserSeen("u1", "ann@acme.example", "Ann", null, "executive_sponsor", "VP Ops", false, true, false)), "id-1", Now);
        state.Apply(Event(Now.AddDays(-1), new UserActive("u1")), "act-1", Now);

        var user = Assert.Single(state.ToSignals(Today).Users);

        Assert.Equal(("executive_sponsor", "VP Ops", true), (user.Role, user.Title, user.Stakeholder));
        Assert.Equal(Now.AddDays(-1), user.LastSeen);
    }
}
