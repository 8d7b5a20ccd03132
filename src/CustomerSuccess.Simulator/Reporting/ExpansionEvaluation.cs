using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>An expansion the simulator made (a Stripe subscription update with more seats): the account, its story and the day.</summary>
internal sealed record ExpansionMade(string AccountId, Behaviour Story, int Day);

/// <summary>An Opportunity alert as GET /api/alerts listed it: the account, the first and the last day it was listed.</summary>
internal sealed record OpportunitySeen(string AccountId, int FirstSeenDay, int LastSeenDay);

/// <summary>Recall for one story's expansions.</summary>
internal sealed record StoryRecall(string Story, int Expansions, int Preceded);

/// <summary>
/// How well Opportunity alerts foretell the expansions the simulator made, computed like the churn figures (a
/// proportion with its counts and Wilson interval). Recall: expansions made on day <see cref="EligibleFromDay"/> or later
/// inside the run, preceded by an Opportunity alert of the account listed on a day in the <see cref="WindowDays"/> up
/// to the expansion. Precision: Opportunity alerts of the run followed by an expansion of the account from the day they
/// were first listed to <see cref="WindowDays"/> after the last day they were listed (outcomes after the run come from
/// the replay, known to <see cref="WindowDays"/> past the run at least).
/// </summary>
internal sealed record ExpansionFigures(
    int WindowDays,
    int EligibleFromDay,
    int Expansions,
    int ExpansionsNotEligible,
    Proportion Recall,
    int OpportunityAlerts,
    Proportion Precision,
    IReadOnlyList<StoryRecall> PerStory);

/// <summary>Pure: every input is passed in, so the figures can be checked on hand-made runs.</summary>
internal static class ExpansionEvaluation
{
    /// <summary>How far an alert may come before the expansion it foretells (and an expansion after the alert).</summary>
    public const int WindowDays = 60;

    /// <summary>Expansions before this day are left out of recall: the app raises nothing in an account's first 7 days of
    /// scores (warm-up) and reads usage only after a week.</summary>
    public const int EligibleFromDay = 14;

    /// <param name="expansions">Every expansion the run and its replay made (days past the run included).</param>
    /// <param name="opportunities">Every Opportunity alert the API listed during the run.</param>
    /// <param name="lastDay">The run's last day.</param>
    public static ExpansionFigures Evaluate(IReadOnlyList<ExpansionMade> expansions, IReadOnlyList<OpportunitySeen> opportunities, int lastDay)
    {
        ArgumentNullException.ThrowIfNull(expansions);
        ArgumentNullException.ThrowIfNull(opportunities);
        var byAccount = opportunities.ToLookup(o => o.AccountId, StringComparer.Ordinal);
        var inRun = expansions.Where(e => e.Day <= lastDay).ToList();
        var eligible = inRun.Where(e => e.Day >= EligibleFromDay).ToList();
        bool Preceded(ExpansionMade e) => byAccount[e.AccountId].Any(o => o.FirstSeenDay <= e.Day && o.LastSeenDay >= e.Day - WindowDays);
        var preceded = eligible.Count(Preceded);

        var expansionDays = expansions.ToLookup(e => e.AccountId, e => e.Day, StringComparer.Ordinal);
        var followed = opportunities.Count(o => expansionDays[o.AccountId].Any(d => d >= o.FirstSeenDay && d <= o.LastSeenDay + WindowDays));

        var perStory = eligible.GroupBy(e => e.Story)
            .OrderBy(g => g.Key.ToString(), StringComparer.Ordinal)
            .Select(g => new StoryRecall(g.Key.ToString(), g.Count(), g.Count(Preceded)))
            .ToList();
        return new ExpansionFigures(
            WindowDays,
            EligibleFromDay,
            inRun.Count,
            inRun.Count - eligible.Count,
            new Proportion(preceded, eligible.Count),
            opportunities.Count,
            new Proportion(followed, opportunities.Count),
            perStory);
    }
}
