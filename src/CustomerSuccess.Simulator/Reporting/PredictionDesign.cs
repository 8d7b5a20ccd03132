namespace CustomerSuccess.Simulator.Reporting;

/// <summary>
/// The fixed design of the prediction figures, chosen before any run and the same for every scenario: when the
/// app's view is sampled, over what horizon churn counts, what "sustained" means, and the naive baseline.
/// </summary>
internal static class PredictionDesign
{
    /// <summary>Snapshots are taken on days 30, 60, 90 ... (day 0 is left out: the app has only just met every account).</summary>
    public const int SnapshotEveryDays = 30;

    /// <summary>At a snapshot on day T, an account counts as a churner if it churns on a day in (T, T + 90].</summary>
    public const int HorizonDays = 90;

    /// <summary>A flag is sustained on day D when the account was Yellow or Red on each of the 7 days ending with D.</summary>
    public const int SustainedDays = 7;

    /// <summary>The lead the early-warning figure uses: flagged (sustained) 60 days before the churn.</summary>
    public const int LeadDays = 60;

    /// <summary>Baseline: product events in the last 28 days against the 28 before (whole weeks, so weekends balance).</summary>
    public const int BaselineWindowDays = 28;

    /// <summary>Baseline flags an account whose usage fell by at least this share.</summary>
    public const double BaselineDrop = 0.30;

    /// <summary>The seeds' bar: "&gt;75% predictive accuracy".</summary>
    public const double SeedsAccuracyBar = 0.75;

    public static IEnumerable<int> SnapshotDays(int days)
    {
        for (var t = SnapshotEveryDays; t < days; t += SnapshotEveryDays)
        {
            yield return t;
        }
    }

    /// <summary>
    /// Whether a churn on <paramref name="churnDay"/> can be judged by the 60-day figure: the app scored the account on
    /// all 7 days ending 60 days before, and that day is inside the run (the churn itself may come after it).
    /// </summary>
    public static bool EligibleForLead(int churnDay, int firstScoredDay, int lastDay) =>
        churnDay - LeadDays - (SustainedDays - 1) >= firstScoredDay && churnDay - LeadDays <= lastDay;
}
