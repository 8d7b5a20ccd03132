namespace CustomerSuccess.Simulator.Reporting;

/// <summary>One renewal as GET /api/renewals forecast it on <see cref="Day"/>: the account, the day it renews, the category and its ARR.</summary>
internal sealed record RenewalForecastSeen(int Day, string AccountId, int RenewalDay, string Category, long ArrCents);

/// <summary>One forecast category against the outcomes: how many forecasts, their ARR, and the share that churned.</summary>
internal sealed record RenewalCategoryFigures(string Category, int Forecasts, long ArrCents, Proportion Churned);

/// <summary>
/// The app's renewal forecast against what happened. Each forecast read on a snapshot day is paired with the outcome of
/// the renewal it names: churned when the simulator's record has the account churn between the forecast and
/// <see cref="RenewalForecastEvaluation.GraceDays"/> after the renewal date, renewed otherwise. Forecasts whose renewal
/// (with the grace days) falls past what the replay knows are left out (<see cref="OutcomeUnknown"/>).
/// <see cref="ChurnedRenewalsFlagged"/>: of the renewals that churned, those the forecast put at risk or likely to churn.
/// </summary>
internal sealed record RenewalForecastFigures(
    int GraceDays,
    IReadOnlyList<int> ForecastDays,
    int Forecasts,
    int OutcomeUnknown,
    IReadOnlyList<RenewalCategoryFigures> PerCategory,
    Proportion ChurnedRenewalsFlagged);

/// <summary>Pure: every input is passed in, so the figures can be checked on hand-made runs.</summary>
internal static class RenewalForecastEvaluation
{
    /// <summary>A churn this many days after the renewal date still counts against that renewal (a cancellation takes effect at the period's end, a failed card a little later).</summary>
    public const int GraceDays = 14;

    public static readonly string[] Categories = ["Likely", "AtRisk", "LikelyToChurn"];

    /// <param name="forecasts">Every renewal line read from the app on the snapshot days.</param>
    /// <param name="churnDays">The simulator's record: each account that churned, and when (the replay's days past the run included).</param>
    /// <param name="knownUntilDay">The last day whose churns the record holds.</param>
    public static RenewalForecastFigures Evaluate(IReadOnlyList<RenewalForecastSeen> forecasts, IReadOnlyDictionary<string, int> churnDays, int knownUntilDay)
    {
        ArgumentNullException.ThrowIfNull(forecasts);
        ArgumentNullException.ThrowIfNull(churnDays);
        var known = forecasts.Where(f => f.RenewalDay + GraceDays <= knownUntilDay).ToList();
        bool Churned(RenewalForecastSeen f) => churnDays.TryGetValue(f.AccountId, out var day) && day >= f.Day && day <= f.RenewalDay + GraceDays;

        var perCategory = Categories
            .Select(c => known.Where(f => f.Category == c).ToList())
            .Select((lines, i) => new RenewalCategoryFigures(Categories[i], lines.Count, lines.Sum(f => f.ArrCents), new Proportion(lines.Count(Churned), lines.Count)))
            .ToList();
        var churned = known.Where(Churned).ToList();
        return new RenewalForecastFigures(
            GraceDays,
            [.. forecasts.Select(f => f.Day).Distinct().Order()],
            known.Count,
            forecasts.Count - known.Count,
            perCategory,
            new Proportion(churned.Count(f => f.Category != "Likely"), churned.Count));
    }
}
