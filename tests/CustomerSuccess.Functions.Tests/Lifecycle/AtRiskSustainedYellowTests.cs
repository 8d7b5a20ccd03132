using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Health;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>The at-risk sequence, fed by the health model day by day, waits for a Yellow sustained over the band-change days.</summary>
public sealed class AtRiskSustainedYellowTests
{
    private static readonly DateTimeOffset Start = LifecycleSimulation.Start;

    // Healthy (100, Green) or fading: usage gone, everything else intact (55, Yellow, SMB weights).
    private static AccountSignals SignalsOn(DateTimeOffset at, bool fading)
    {
        var today = DateOnly.FromDateTime(at.UtcDateTime);
        return HealthTestData.Healthy() with
        {
            CustomerSince = at.AddDays(-400),
            ActiveUsers30d = fading ? 1 : 8,
            Days = HealthTestData.Days(60, age => new DailySignals
            {
                Day = today.AddDays(-age),
                ActiveUsers = 5,
                Logins = fading ? 0 : 4,
                Events = fading && age < 14 ? 0 : 100,
                Meetings = age == 3 ? 1 : 0,
                EmailReplies = age == 3 ? 3 : 0,
                Qbrs = age == 10 ? 1 : 0,
                SatisfactionGood = age == 10 ? 1 : 0,
            }),
        };
    }

    private static LifecycleSimulation RunWithModel(int days, Func<int, bool> fadingOnDay, List<int> yellowScoreDays)
    {
        var calculator = HealthTestData.Calculator(o => o.BandChangeDays = 3);
        var sim = new LifecycleSimulation();
        HealthScore? previous = null;
        sim.Run(days, day =>
        {
            var at = Start.AddDays(day);
            var signals = SignalsOn(at, fadingOnDay(day));
            var score = calculator.Score(signals, previous, null, at);
            if (calculator.BandOf(score.Segment, score.Score) == HealthBand.Yellow)
            {
                yellowScoreDays.Add(day);
            }

            var health = HealthTransitions.For(score, previous, signals, "run")!;
            previous = score;
            return LifecycleSimulation.Account(f => f with
            {
                CustomerSince = Start.AddYears(-1),
                OnboardingCompleted = true,
                Band = health.Band,
                PreviousBand = health.PreviousBand,
                BandSince = health.ScoredAt.AddDays(-health.DaysInBand),
            });
        });
        return sim;
    }

    [Fact]
    public void AtRisk_TwoYellowDays_SendsNothing()
    {
        var yellow = new List<int>();

        var sim = RunWithModel(12, day => day is 4 or 5, yellow);

        Assert.Equal([4, 5], yellow);
        Assert.DoesNotContain(sim.Sent, s => s.Sequence == "at-risk");
    }

    [Fact]
    public void AtRisk_YellowSustainedThreeDays_ChecksInOnTheThirdDay()
    {
        var yellow = new List<int>();

        var sim = RunWithModel(12, day => day >= 4, yellow);

        Assert.Equal(4, yellow[0]);
        Assert.Equal([(6, "at-risk", "check-in")], sim.Sent.Where(s => s.Sequence == "at-risk").Select(s => (s.Day, s.Sequence, s.Step)));
    }
}
