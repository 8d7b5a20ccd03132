using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Simulator.Portfolio;

/// <summary>
/// Plays a fresh copy of the seed's portfolio day by day without sending anything. The behaviour model depends on
/// the seed and the scenario only (never on the app), so this copy lives exactly the run's story: played past the
/// run's last day, it tells which accounts churn in the days after, so prediction figures need no censoring.
/// Also what --dry-run prints: the volume and the churn a scenario gives, before any app is started.
/// </summary>
internal sealed class OutcomeProjection
{
    private OutcomeProjection(SimulatedPortfolio portfolio, GroundTruth truth, long[,] eventsPerDay)
    {
        Portfolio = portfolio;
        Truth = truth;
        EventsPerDay = eventsPerDay;
    }

    public SimulatedPortfolio Portfolio { get; }

    public GroundTruth Truth { get; }

    /// <summary>[day, provider]: events planned per simulated day and provider.</summary>
    public long[,] EventsPerDay { get; }

    public long EventsBefore(int day)
    {
        long n = 0;
        for (var d = 0; d < Math.Min(day, EventsPerDay.GetLength(0)); d++)
        {
            for (var p = 0; p < EventsPerDay.GetLength(1); p++)
            {
                n += EventsPerDay[d, p];
            }
        }

        return n;
    }

    public static OutcomeProjection Play(int accounts, int seed, Scenario scenario, DateTimeOffset day0, int days, CancellationToken cancellationToken = default)
    {
        var portfolio = PortfolioGenerator.Generate(accounts, seed, day0, scenario);
        var truth = new GroundTruth();
        var model = new CustomerBehaviourModel(portfolio, truth, seed, scenario);
        var perDay = new long[days, Enum.GetValues<Provider>().Length];
        for (var day = 0; day < days; day++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var e in model.PlanDay(day))
            {
                perDay[day, (int)e.Provider]++;
            }
        }

        return new OutcomeProjection(portfolio, truth, perDay);
    }
}
