using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>What the evaluation knows of one account from the simulator's side: who it is, its story and when (if ever) it churns.</summary>
/// <summary>
/// One simulated account's outcome. <c>TroubleBeganDay</c> is the simulator's ground truth: the day the account's story
/// began to show in its signals (the fade, the champion's departure, the storm, the first failed payment; a slow
/// onboarder's start), or null when nothing foreshadows its end (a healthy adopter's unforeseen churn).
/// </summary>
internal sealed record AccountOutcome(string AccountId, Segment Segment, Behaviour Story, int StartDay, bool IsNewCustomer, int? OnboardingCompletedDay, int? ChurnDay, int? TroubleBeganDay = null)
{
    /// <summary>Still onboarding on day <paramref name="day"/>: a customer new in the run that has not completed onboarding yet.</summary>
    public bool OnboardingOn(int day) => IsNewCustomer && (OnboardingCompletedDay is null || OnboardingCompletedDay >= day);

    public bool LiveOn(int day) => day >= StartDay && (ChurnDay is null || day < ChurnDay);
}

/// <summary>One account's outcome in prediction.json: churn known up to 90 days past the run, and when its story began to show.</summary>
internal sealed record OutcomeRow(string AccountId, string Segment, string Story, int StartDay, int? OnboardingCompletedDay, int? ChurnDay, int? TroubleBeganDay)
{
    public static OutcomeRow Of(AccountOutcome a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new(a.AccountId, a.Segment.ToString(), a.Story.ToString(), a.StartDay, a.OnboardingCompletedDay, a.ChurnDay, a.TroubleBeganDay);
    }
}

internal sealed record ConfusionCounts(int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives);

/// <summary>One yes/no rule's figures, each a proportion with its counts and Wilson 95% interval.</summary>
internal sealed record RuleFigures(ConfusionCounts Counts, Proportion Recall, Proportion Precision, Proportion FalsePositiveRate, Proportion Accuracy, Proportion BaseRateAccuracy)
{
    public static RuleFigures Of(Confusion c) => new(
        new ConfusionCounts(c.TruePositives, c.FalsePositives, c.FalseNegatives, c.TrueNegatives), c.Recall, c.Precision, c.FalsePositiveRate, c.Accuracy, c.BaseRateAccuracy);
}

internal sealed record AucFigures(double? Value, double? Low, double? High, int Positives, int Negatives, IReadOnlyList<RocPoint> Curve)
{
    public static AucFigures Of(IReadOnlyList<double> positiveRisks, IReadOnlyList<double> negativeRisks, bool withCurve)
    {
        var auc = PredictionStatistics.RocAuc(positiveRisks, negativeRisks);
        (double Low, double High)? ci = auc is { } a ? PredictionStatistics.AucInterval(a, positiveRisks.Count, negativeRisks.Count) : null;
        return new AucFigures(auc, ci?.Low, ci?.High, positiveRisks.Count, negativeRisks.Count, withCurve ? PredictionStatistics.RocCurve(positiveRisks, negativeRisks) : []);
    }
}

/// <summary>The figures over a set of (account, snapshot day) pairs.</summary>
internal sealed record SnapshotFigures(string Label, IReadOnlyList<int> SnapshotDays, int Pairs, int Accounts, int Churners, RuleFigures YellowOrRed, RuleFigures YellowOrRedSustained, AucFigures ScoreAuc);

internal sealed record BaselineComparison(string Rule, IReadOnlyList<int> SnapshotDays, int Pairs, int Churners, RuleFigures Baseline, AucFigures BaselineAuc, RuleFigures ModelYellowOrRed, RuleFigures ModelYellowOrRedSustained, AucFigures ModelScoreAuc);

/// <summary>
/// A reference for the score's figures: the yes/no rule "the account's trouble had begun by the snapshot" (the
/// simulator's record of when each story began to show), over the same pairs. No score can read that record; it
/// shows how much of the churn was visible at all on the snapshot days, and what a flag that saw exactly the
/// accounts in trouble, and nothing else, would reach (its AUC, a single cut, is ½(1 + recall − false-positive rate)).
/// Stayers in trouble count against it: some troubled accounts recover.
/// </summary>
internal sealed record TroubleReference(RuleFigures TroubleShowing, AucFigures Auc);

internal sealed record LeadBucket(string Label, int FromDays, int? ToDays, int Churners);

/// <summary>Lead time, for accounts that churned inside the run: days from the first sustained flag to the churn.</summary>
internal sealed record LeadTimeFigures(int Churners, int Flagged, int NeverFlagged, IReadOnlyList<int> LeadDays, Quartiles? Quartiles, IReadOnlyList<LeadBucket> Buckets);

internal sealed record SegmentLead(string Segment, int Eligible, int Flagged);

/// <summary>
/// The early-warning figure: churners flagged (sustained) 60 days before they churn. <paramref name="TroubleShowingAtLead"/>
/// is the same figure among the eligible churners whose trouble had begun by then (at least the lead plus the sustained
/// days before the churn): the most that any score reading the account's signals could catch; the others showed
/// nothing yet 60 days ahead.
/// </summary>
internal sealed record LeadFigure(Proportion FlaggedSustained, int EligibleChurnedInRun, int EligibleChurnedAfterRun, int ChurnersNotEligible, IReadOnlyList<SegmentLead> PerSegment, Proportion? TroubleShowingAtLead = null);

internal sealed record AlertLoad(double? EmailsPerAccountMonth, int AlertEmails, double AccountMonths);

internal sealed record EarlyWarningFigures(LeadFigure AtLead, Proportion StayersFlaggedSustainedAtSnapshots, Proportion StayersEverFlaggedSustained, Proportion HealthyAdopterPostOnboardingDaysGreen, AlertLoad AlertEmails);

internal sealed record PredictionRun(string Scenario, int Seed, int Accounts, int Days, int DaysCompleted, bool Partial, string Day0);

/// <summary>snapshots.json: each account's health as the app explained it on each snapshot day (days since <paramref name="Day0"/>).</summary>
internal sealed record HealthSnapshotsFile(string Day0, IReadOnlyList<HealthSnapshotDay> Snapshots);

internal sealed record HealthSnapshotDay(int Day, IReadOnlyList<JsonElement> Accounts);

/// <summary>prediction.json: every prediction figure of a run with the counts behind it (schema in the README).</summary>
internal sealed record PredictionReport(
    int SchemaVersion,
    PredictionRun Run,
    IReadOnlyDictionary<string, object> Design,
    SnapshotFigures Overall,
    IReadOnlyList<SnapshotFigures> PerSnapshot,
    IReadOnlyList<SnapshotFigures> PerSegment,
    IReadOnlyList<SnapshotFigures> PerStory,
    SnapshotFigures Onboarding,
    BaselineComparison Baseline,
    LeadTimeFigures LeadTime,
    EarlyWarningFigures EarlyWarning,
    string SeedsBar)
{
    /// <summary>The rule "trouble showing at the snapshot" on the same pairs as <see cref="Overall"/>; null in reports written before it.</summary>
    public TroubleReference? TroubleShowing { get; init; }

    /// <summary>Opportunity alerts against the expansions the simulator made (null when not evaluated).</summary>
    public ExpansionFigures? Expansion { get; init; }

    /// <summary>The app's renewal forecast on the snapshot days against what renewed (null when not read).</summary>
    public RenewalForecastFigures? RenewalForecast { get; init; }

    /// <summary>
    /// Each account's outcome by the simulator's record, for a retroactive analysis of one's own against the app's
    /// history (GET /api/health/history): the seeds' "set thresholds based on actual churn data".
    /// </summary>
    public IReadOnlyList<OutcomeRow> Outcomes { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>
/// Turns the app's daily history and the simulator's outcomes into the prediction figures. Pure: every input is
/// passed in, so the figures can be checked on hand-made histories.
/// </summary>
internal static class PredictionEvaluation
{
    private static readonly LeadBucket[] Buckets =
    [
        new("0-6 days", 0, 6, 0), new("7-13", 7, 13, 0), new("14-29", 14, 29, 0), new("30-59", 30, 59, 0), new("60-89", 60, 89, 0), new("90+", 90, null, 0),
    ];

    private sealed record Pair(AccountOutcome Account, int Day, bool Churns, HealthPoint Point, bool Sustained, bool Onboarding);

    public static PredictionReport Evaluate(
        PredictionRun run,
        IReadOnlyList<AccountOutcome> accounts,
        IReadOnlyDictionary<string, SortedDictionary<int, HealthPoint>> history,
        IReadOnlyDictionary<string, Dictionary<int, int>> usage,
        int alertEmails)
    {
        ArgumentNullException.ThrowIfNull(run);
        var lastDay = run.DaysCompleted - 1;
        var snapshots = PredictionDesign.SnapshotDays(run.DaysCompleted).ToList();
        var pairs = new List<Pair>();
        foreach (var account in accounts)
        {
            if (!history.TryGetValue(account.AccountId, out var days))
            {
                continue;
            }

            foreach (var t in snapshots)
            {
                if (!account.LiveOn(t) || !days.TryGetValue(t, out var point))
                {
                    continue;
                }

                var churns = account.ChurnDay is { } c && c > t && c <= t + PredictionDesign.HorizonDays;
                pairs.Add(new Pair(account, t, churns, point, SustainedOn(days, t), account.OnboardingOn(t)));
            }
        }

        var settled = pairs.Where(p => !p.Onboarding).ToList();
        var baselineDays = snapshots.Where(t => t >= 2 * PredictionDesign.BaselineWindowDays).ToList();
        return new PredictionReport(
            1,
            run,
            Design(snapshots, baselineDays),
            Figures("accounts past onboarding, all snapshots", snapshots, settled, withCurve: true),
            [.. snapshots.Select(t => Figures($"day {t}", [t], [.. settled.Where(p => p.Day == t)], withCurve: false))],
            [.. Enum.GetValues<Segment>().Select(s => Figures(s.ToString(), snapshots, [.. settled.Where(p => p.Account.Segment == s)], withCurve: false))],
            [.. Enum.GetValues<Behaviour>().Select(b => Figures(b.ToString(), snapshots, [.. settled.Where(p => p.Account.Story == b)], withCurve: false)).Where(f => f.Pairs > 0)],
            Figures("accounts still onboarding", snapshots, [.. pairs.Where(p => p.Onboarding)], withCurve: false),
            Baseline(baselineDays, [.. settled.Where(p => baselineDays.Contains(p.Day))], usage),
            LeadTime(accounts, history, lastDay),
            EarlyWarning(accounts, history, settled, lastDay, run.DaysCompleted, alertEmails),
            "")
        {
            TroubleShowing = Trouble(settled),
        };
    }

    private static TroubleReference Trouble(IReadOnlyList<Pair> pairs)
    {
        static bool Showing(Pair p) => p.Account.TroubleBeganDay is { } began && began <= p.Day;
        static double Risk(Pair p) => Showing(p) ? 1 : 0;
        return new TroubleReference(
            RuleFigures.Of(Confusion.Of(pairs.Select(p => (Showing(p), p.Churns)))),
            AucFigures.Of([.. pairs.Where(p => p.Churns).Select(Risk)], [.. pairs.Where(p => !p.Churns).Select(Risk)], withCurve: false));
    }

    public static PredictionReport WithSeedsBar(PredictionReport report) => report with { SeedsBar = SeedsBarStatement(report) };

    private static Dictionary<string, object> Design(IReadOnlyList<int> snapshots, IReadOnlyList<int> baselineDays) => new()
    {
        ["snapshotDays"] = snapshots,
        ["horizonDays"] = PredictionDesign.HorizonDays,
        ["sustainedDays"] = PredictionDesign.SustainedDays,
        ["leadDays"] = PredictionDesign.LeadDays,
        ["baselineSnapshotDays"] = baselineDays,
        ["baseline"] = $"product events (Segment track and page calls sent) in the {PredictionDesign.BaselineWindowDays} days before the snapshot fell by at least {ReportText.Pct(PredictionDesign.BaselineDrop, 0)} against the {PredictionDesign.BaselineWindowDays} days before those",
        ["outcomes"] = $"churn days from the simulator: inside the run as it happened; after the run from the same portfolio played {PredictionDesign.HorizonDays} days further without sending anything",
        ["onboarding"] = "a customer that started during the run and had not completed onboarding by the snapshot day; counted apart",
        ["intervals"] = "Wilson 95% for proportions, Hanley-McNeil 95% for AUC; pairs of one account at several snapshots are not independent, so intervals over pooled snapshots are somewhat too narrow",
    };

    /// <summary>Yellow or Red on each of the <see cref="PredictionDesign.SustainedDays"/> days ending with <paramref name="day"/> (a missing day breaks it).</summary>
    public static bool SustainedOn(SortedDictionary<int, HealthPoint> days, int day)
    {
        for (var d = day - PredictionDesign.SustainedDays + 1; d <= day; d++)
        {
            if (!days.TryGetValue(d, out var p) || !IsFlag(p))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsFlag(HealthPoint p) => p.Band is "Yellow" or "Red";

    private static SnapshotFigures Figures(string label, IReadOnlyList<int> days, IReadOnlyList<Pair> pairs, bool withCurve) => new(
        label,
        days,
        pairs.Count,
        pairs.Select(p => p.Account.AccountId).Distinct(StringComparer.Ordinal).Count(),
        pairs.Count(p => p.Churns),
        RuleFigures.Of(Confusion.Of(pairs.Select(p => (IsFlag(p.Point), p.Churns)))),
        RuleFigures.Of(Confusion.Of(pairs.Select(p => (p.Sustained, p.Churns)))),
        AucFigures.Of([.. pairs.Where(p => p.Churns).Select(Risk)], [.. pairs.Where(p => !p.Churns).Select(Risk)], withCurve));

    // The score ranks accounts: the lower the score, the likelier the churn.
    private static double Risk(Pair p) => -p.Point.Score;

    private static BaselineComparison Baseline(IReadOnlyList<int> days, IReadOnlyList<Pair> pairs, IReadOnlyDictionary<string, Dictionary<int, int>> usage)
    {
        const int W = PredictionDesign.BaselineWindowDays;
        (bool Flag, double Risk) Of(Pair p)
        {
            var byDay = usage.GetValueOrDefault(p.Account.AccountId);
            int Sum(int from, int to)
            {
                var n = 0;
                for (var d = from; d < to; d++)
                {
                    n += byDay?.GetValueOrDefault(d) ?? 0;
                }

                return n;
            }

            var recent = Sum(p.Day - W, p.Day);
            var before = Sum(p.Day - (2 * W), p.Day - W);
            return (before > 0 && recent <= (1 - PredictionDesign.BaselineDrop) * before, 1 - ((recent + 1.0) / (before + 1.0)));
        }

        var scored = pairs.Select(p => (Pair: p, Baseline: Of(p))).ToList();
        return new BaselineComparison(
            $"usage fell ≥{ReportText.Pct(PredictionDesign.BaselineDrop, 0)} month over month ({W}-day windows)",
            days,
            pairs.Count,
            pairs.Count(p => p.Churns),
            RuleFigures.Of(Confusion.Of(scored.Select(x => (x.Baseline.Flag, x.Pair.Churns)))),
            AucFigures.Of([.. scored.Where(x => x.Pair.Churns).Select(x => x.Baseline.Risk)], [.. scored.Where(x => !x.Pair.Churns).Select(x => x.Baseline.Risk)], withCurve: true),
            RuleFigures.Of(Confusion.Of(pairs.Select(p => (IsFlag(p.Point), p.Churns)))),
            RuleFigures.Of(Confusion.Of(pairs.Select(p => (p.Sustained, p.Churns)))),
            AucFigures.Of([.. pairs.Where(p => p.Churns).Select(Risk)], [.. pairs.Where(p => !p.Churns).Select(Risk)], withCurve: false));
    }

    /// <summary>First day a flag became sustained (the 7th Yellow-or-Red day in a row) before the churn, for churns inside the run.</summary>
    private static LeadTimeFigures LeadTime(IReadOnlyList<AccountOutcome> accounts, IReadOnlyDictionary<string, SortedDictionary<int, HealthPoint>> history, int lastDay)
    {
        var leads = new List<int>();
        var never = 0;
        foreach (var account in accounts)
        {
            if (account.ChurnDay is not { } churn || churn > lastDay || !history.TryGetValue(account.AccountId, out var days) || days.Keys.FirstOrDefault(int.MaxValue) >= churn)
            {
                continue;
            }

            int? first = null;
            foreach (var d in days.Keys.Where(d => d < churn))
            {
                if (SustainedOn(days, d))
                {
                    first = d;
                    break;
                }
            }

            if (first is { } f)
            {
                leads.Add(churn - f);
            }
            else
            {
                never++;
            }
        }

        var buckets = Buckets.Select(b => b with { Churners = leads.Count(l => l >= b.FromDays && (b.ToDays is null || l <= b.ToDays)) }).ToList();
        return new LeadTimeFigures(leads.Count + never, leads.Count, never, [.. leads.Order()], PredictionStatistics.QuartilesOf(leads.Select(l => (double)l)), buckets);
    }

    private static EarlyWarningFigures EarlyWarning(IReadOnlyList<AccountOutcome> accounts, IReadOnlyDictionary<string, SortedDictionary<int, HealthPoint>> history, IReadOnlyList<Pair> settled, int lastDay, int daysCompleted, int alertEmails)
    {
        // Churners judged 60 days ahead: those the app scored on all 7 days ending 60 days before the churn.
        int inRun = 0, afterRun = 0, flagged = 0, notEligible = 0, showing = 0, showingFlagged = 0;
        var perSegment = Enum.GetValues<Segment>().ToDictionary(s => s, _ => (Eligible: 0, Flagged: 0));
        foreach (var account in accounts.Where(a => a.ChurnDay is not null))
        {
            var churn = account.ChurnDay!.Value;
            var days = history.GetValueOrDefault(account.AccountId);
            var firstScored = days is { Count: > 0 } ? days.Keys.First() : int.MaxValue;
            if (days is null || !PredictionDesign.EligibleForLead(churn, firstScored, lastDay))
            {
                notEligible++;
                continue;
            }

            var isFlagged = SustainedOn(days, churn - PredictionDesign.LeadDays);
            if (churn <= lastDay)
            {
                inRun++;
            }
            else
            {
                afterRun++;
            }

            flagged += isFlagged ? 1 : 0;
            if (account.TroubleBeganDay is { } began && began <= churn - PredictionDesign.LeadDays - PredictionDesign.SustainedDays)
            {
                showing++;
                showingFlagged += isFlagged ? 1 : 0;
            }

            var s = perSegment[account.Segment];
            perSegment[account.Segment] = (s.Eligible + 1, s.Flagged + (isFlagged ? 1 : 0));
        }

        var atLead = new LeadFigure(new Proportion(flagged, inRun + afterRun), inRun, afterRun, notEligible, [.. perSegment.Select(kv => new SegmentLead(kv.Key.ToString(), kv.Value.Eligible, kv.Value.Flagged))], new Proportion(showingFlagged, showing));

        // Accounts that stayed: no churn in the run nor in the horizon after it.
        var stayerPairs = settled.Where(p => p.Account.ChurnDay is null).ToList();
        var stayers = accounts.Where(a => a.ChurnDay is null && history.ContainsKey(a.AccountId)).ToList();
        var everFlagged = stayers.Count(a => history[a.AccountId].Keys.Where(d => d <= lastDay && !a.OnboardingOn(d)).Any(d => SustainedOn(history[a.AccountId], d)));

        // Healthy adopters after onboarding: the share of their scored days in Green.
        int green = 0, healthyDays = 0;
        foreach (var a in accounts.Where(a => a.Story == Behaviour.HealthyAdopter))
        {
            if (!history.TryGetValue(a.AccountId, out var days))
            {
                continue;
            }

            foreach (var (day, point) in days)
            {
                if (day <= lastDay && a.LiveOn(day) && !a.OnboardingOn(day))
                {
                    healthyDays++;
                    green += point.Band == "Green" ? 1 : 0;
                }
            }
        }

        // Alert emails per live account-month of the run.
        var accountDays = accounts.Sum(a => Enumerable.Range(0, daysCompleted).Count(a.LiveOn));
        var accountMonths = accountDays / 30.0;
        var load = new AlertLoad(accountMonths > 0 ? alertEmails / accountMonths : null, alertEmails, Math.Round(accountMonths, 2));

        return new EarlyWarningFigures(atLead, new Proportion(stayerPairs.Count(p => p.Sustained), stayerPairs.Count), new Proportion(everFlagged, stayers.Count), new Proportion(green, healthyDays), load);
    }

    /// <summary>The figures against the seeds' "&gt;75% predictive accuracy", stated plainly whatever they are.</summary>
    public static string SeedsBarStatement(PredictionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var o = report.Overall;
        if (o.Pairs == 0)
        {
            return "The seeds ask for \">75% predictive accuracy\". This run has no account scored on a snapshot day (every 30 days from day 30), so there is nothing to measure against it yet.";
        }

        static string Pct(double? v) => ReportText.Pct(v);
        static string Ci(Proportion p) => ReportText.Ci(p);
        var rule = o.YellowOrRed;
        var accuracy = rule.Accuracy.Value ?? 0;
        var baseRate = rule.BaseRateAccuracy.Value ?? 0;
        var verdict = accuracy > PredictionDesign.SeedsAccuracyBar ? "above" : "not above";
        var skill = accuracy <= baseRate
            ? $"That is no better than predicting that nobody churns ({Pct(baseRate)}), so accuracy alone shows no skill here."
            : $"Predicting that nobody churns would score {Pct(baseRate)}, so accuracy says little on its own.";
        var auc = o.ScoreAuc.Value is { } a
            ? string.Create(CultureInfo.InvariantCulture, $" As a ranking, the score's ROC AUC is {a:0.00} (95% CI {o.ScoreAuc.Low:0.00}–{o.ScoreAuc.High:0.00}; 0.5 is chance).")
            : " There were not both churners and stayers to compute an ROC AUC.";
        return $"The seeds ask for \">75% predictive accuracy\". Over {o.Pairs} account-snapshots (days {string.Join(", ", o.SnapshotDays)}; {o.Churners} churned within {PredictionDesign.HorizonDays} days), " +
            $"\"Yellow or Red at the snapshot\" was right {Ci(rule.Accuracy)}: {verdict} the 75% bar. {skill} " +
            $"It caught {Ci(rule.Recall)} of the accounts that churned, and {Ci(rule.Precision)} of the accounts it flagged did churn.{auc}";
    }
}
