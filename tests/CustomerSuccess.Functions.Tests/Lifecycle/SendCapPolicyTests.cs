using CustomerSuccess.Functions.Lifecycle;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

public sealed class SendCapPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private static readonly LifecycleDueStep Renewal = new("a", "c1", "renewal", "value-recap", "k", 0, Now.AddHours(-1), 2);
    private static readonly LifecycleDueStep AtRisk = new("a", "c1", "at-risk", "check-in", "k", 0, Now, 1);

    [Fact]
    public void Decide_SeveralDue_PicksHighestPriority()
    {
        var policy = new SendCapPolicy(new LifecycleOptions());

        var decision = policy.Decide(new LifecycleContact("c1", "a@x.example", TimeZoneId: "UTC"), [Renewal, AtRisk], null, Now);

        Assert.Equal(AtRisk, decision.Send);
    }

    [Fact]
    public void Decide_SentWithinWindow_DefersUntilWindowEnds()
    {
        var policy = new SendCapPolicy(new LifecycleOptions { CapWindowDays = 3 });

        var decision = policy.Decide(new LifecycleContact("c1", "a@x.example", TimeZoneId: "UTC"), [AtRisk], Now.AddDays(-2), Now);

        Assert.Null(decision.Send);
        Assert.Equal(Now.AddDays(1), decision.NotBefore);
    }

    [Fact]
    public void Decide_QuietHoursInRecipientZone_DefersToLocalEnd()
    {
        var policy = new SendCapPolicy(new LifecycleOptions { QuietHours = new() { Start = new(21, 0), End = new(8, 0) } });

        // 10:00 UTC is 05:00 in New York (EST, UTC-5): quiet until 08:00 local = 13:00 UTC.
        var decision = policy.Decide(new LifecycleContact("c1", "a@x.example", TimeZoneId: "America/New_York"), [AtRisk], null, Now);

        Assert.Null(decision.Send);
        Assert.Equal("quiet hours", decision.Reason);
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 13, 0, 0, TimeSpan.Zero), decision.NotBefore);
    }

    [Fact]
    public void Decide_EveningInRecipientZone_DefersToNextMorning()
    {
        var policy = new SendCapPolicy(new LifecycleOptions { QuietHours = new() { Start = new(21, 0), End = new(8, 0) } });

        // 10:00 UTC is 21:00 in Sydney (AEDT, UTC+11): quiet until 08:00 the next local day = 21:00 UTC.
        var decision = policy.Decide(new LifecycleContact("c1", "a@x.example", TimeZoneId: "Australia/Sydney"), [AtRisk], null, Now);

        Assert.Equal(new DateTimeOffset(2026, 1, 5, 21, 0, 0, TimeSpan.Zero), decision.NotBefore);
    }

    [Fact]
    public void Decide_DaytimeInRecipientZone_Sends()
    {
        var policy = new SendCapPolicy(new LifecycleOptions { QuietHours = new() { Start = new(21, 0), End = new(8, 0) } });

        var decision = policy.Decide(new LifecycleContact("c1", "a@x.example", TimeZoneId: "Europe/Berlin"), [AtRisk], Now.AddDays(-3), Now);

        Assert.Equal(AtRisk, decision.Send);
    }
}
