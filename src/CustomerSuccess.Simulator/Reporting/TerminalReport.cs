using System.Globalization;
using CustomerSuccess.Simulator.Observation;
using Spectre.Console;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>The end-of-run summary in the terminal, from the same <see cref="RunFigures"/> as the HTML report.</summary>
internal static class TerminalReport
{
    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static void Write(IAnsiConsole console, RunFigures f, string outputDirectory)
    {
        var r = f.Result;
        var o = f.Options;
        var title = $"{o.Scenario.Name} scenario · {o.Accounts} accounts · {o.Days} days · seed {o.Seed}";
        console.Write(new Rule($"[bold]{Markup.Escape(title)}{(r.Partial ? $" · [red]PARTIAL: stopped after day {r.DaysCompleted}[/]" : "")}[/]").LeftJustified());

        var sent = new Table().Title("Webhooks sent").AddColumns("provider", "requests", "events", "2xx", "not 2xx", "repeated", "late");
        foreach (var row in f.Sent)
        {
            sent.AddRow(row.Provider.ToString(), N(row.Requests), N(row.Events), N(row.Acknowledged), row.NotAcknowledged == 0 ? "0" : $"[red]{N(row.NotAcknowledged)}[/] ({Failures(row.Failures)})", N(row.Duplicates), N(row.HeldBack));
        }

        console.Write(sent);

        if (f.BandsByDay.Count > 0)
        {
            var bands = new Table().Title($"Live accounts on day {f.LastDay} (app's history)").AddColumns("segment", "Green", "Yellow", "Red", "no score", "churned");
            foreach (var s in f.LastDayBands)
            {
                bands.AddRow(s.Segment.ToString(), N(s.Bands.Green), N(s.Bands.Yellow), N(s.Bands.Red), N(s.NotScored), N(s.Churned));
            }

            var t = f.LastDayTotal;
            bands.AddRow("[bold]all[/]", N(t.Green), N(t.Yellow), N(t.Red), N(f.LastDayBands.Sum(s => s.NotScored)), N(f.LastDayBands.Sum(s => s.Churned)));
            console.Write(bands);
            console.MarkupLine($"At risk (Yellow or Red) on day {f.LastDay}: {N(f.AtRisk.Count)} accounts, {N(f.AtRisk.Count(a => a.Band == "Red"))} Red (report.html lists them).");
        }

        var alerts = new Table().Title("Alerts listed by GET /api/alerts (read daily)").AddColumns("tier reached", "alerts", "escalated", "acknowledged", "on time");
        foreach (var t in f.AlertTiers)
        {
            alerts.AddRow(t.Tier, N(t.Listed), N(t.Escalated), N(t.Acknowledged), t.DueByEnd == 0 ? "–" : $"{N(t.OnTime)}/{N(t.DueByEnd)}");
        }

        console.Write(alerts);
        console.MarkupLine(Markup.Escape(ReportText.AlertEmailSummary(f)));
        console.MarkupLine(Markup.Escape(ReportText.LifecycleSummary(f)));

        console.Write(new Rule("[bold]Revenue[/]").LeftJustified());
        foreach (var line in ReportText.RevenueLines(f))
        {
            console.MarkupLine(Markup.Escape(line));
        }

        console.Write(new Rule("[bold]How well the score predicts churn[/]").LeftJustified());
        if (f.Prediction is not { } p)
        {
            console.MarkupLine("[yellow]No prediction figures: the app's health history could not be read.[/]");
        }
        else
        {
            foreach (var line in ReportText.PredictionLines(p))
            {
                console.MarkupLine(Markup.Escape(line));
            }
        }

        foreach (var problem in r.Problems)
        {
            console.MarkupLine($"[yellow]! {Markup.Escape(problem)}[/]");
        }

        console.MarkupLine(Markup.Escape(ReportText.Timing(f)));
        var written = string.Join(", ", new[]
        {
            OutputFiles.Report,
            f.Prediction is null ? null : OutputFiles.Prediction,
            r.Observed.HealthSnapshots.Count == 0 ? null : OutputFiles.Snapshots,
            OutputFiles.Portfolio,
        }.OfType<string>());
        console.MarkupLine($"Outputs in {Markup.Escape(outputDirectory)}: {written}, outbox ({N(f.EmailTotal)} emails){(r.Partial ? " [red](partial)[/]" : "")}.");
    }

    private static string Failures(IReadOnlyDictionary<int, long> failures) =>
        string.Join(", ", failures.Select(x => $"{(x.Key == 0 ? "no answer" : x.Key.ToString(CultureInfo.InvariantCulture))}: {x.Value}"));
}

/// <summary>The sentences both reports print, built once from the figures.</summary>
internal static class ReportText
{
    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"94.8%" (invariant, no space), or "n/a".</summary>
    public static string Pct(double? v, int decimals = 1) => v is { } x ? (x * 100).ToString(decimals == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + "%" : "n/a";

    public static string Money(long cents) => (cents < 0 ? "-$" : "$") + Math.Abs(cents / 100m).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"62.5% (95% CI 40.6–80.0%; 10 of 16)", or "no cases".</summary>
    public static string Ci(Proportion p) => p.Total == 0
        ? "no cases"
        : $"{Pct(p.Value)} (95% CI {Pct(p.Low)}–{Pct(p.High)}; {p.Successes} of {p.Total})";

    public static string Auc(AucFigures a) => a.Value is { } v
        ? string.Create(CultureInfo.InvariantCulture, $"{v:0.00} (95% CI {a.Low:0.00}–{a.High:0.00}; {a.Positives} churners, {a.Negatives} stayers)")
        : "n/a (needs churners and stayers)";

    public static string AlertEmailSummary(RunFigures f)
    {
        if (f.AlertEmailTotal == 0)
        {
            return "Alert emails to CSMs: none.";
        }

        var parts = string.Join(", ", f.AlertEmails.Select(r => $"{N(r.Emails)} {r.Category.Replace("alert/", "", StringComparison.Ordinal)}"));
        return $"Alert emails to CSMs: {N(f.AlertEmailTotal)} ({parts}). One alert emails on each raise and escalation; "
            + $"{N(f.AlertsEmailedButNeverListed)} alert(s) named in emails were raised and resolved between two daily reads, so the API never listed them.";
    }

    public static string LifecycleSummary(RunFigures f) => f.LifecycleEmailTotal == 0
        ? "Lifecycle emails: none."
        : $"Lifecycle emails: {N(f.LifecycleEmailTotal)} (" + string.Join(", ", f.Lifecycle.GroupBy(l => l.Sequence).Select(g => $"{g.Key} {N(g.Sum(x => x.Emails))}")) + ").";

    public static IEnumerable<string> RevenueLines(RunFigures f)
    {
        var s = f.Retention;
        yield return $"Simulator's record: starting MRR {Money(s.StartingMrrCents)}, ending {Money(s.EndingMrrCents)}; NRR {Pct(s.NetRevenueRetention)}, GRR {Pct(s.GrossRevenueRetention)}, logo churn {Pct(s.LogoChurnRate)} ({s.LogosChurned} of {s.StartingLogos}).";
        var observed = f.Result.Observed;
        yield return observed.MetricsApi switch
        {
            ApiState.Available when observed.Metrics is { } m => $"The app's figures (GET /api/metrics): starting MRR {Money(m.StartingMrrCents)}, ending {Money(m.EndingMrrCents)}; NRR {Pct(m.Nrr)}, GRR {Pct(m.Grr)}, logo churn {Pct(m.LogoChurnRate)} ({m.LogosChurned} of {m.LogosAtStart}). Differences are explained in report.html.",
            ApiState.NotProvided => "The app's figures: not available from the app (GET /api/metrics answered 404).",
            _ => "The app's figures: GET /api/metrics could not be read.",
        };
        if (f.Value is { } v && observed.Metrics is { TimeToValue: { } t, Onboarding: { } o })
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Time to value (new customers, days from subscription start to first value): simulator's record {v.TimeToValueAccounts} accounts, median {v.MedianDays:0.#}, p90 {v.P90Days:0.#}; the app {t.Accounts} accounts, median {t.MedianDays:0.#}, p90 {t.P90Days:0.#}.");
            yield return $"Onboarding completed within {o.TargetDays} days: simulator's record {v.OnboardingOnTime} of {v.OnboardingDue} ({Pct(v.OnboardingRate)}); the app {o.CompletedOnTime} of {o.AccountsDue} ({Pct(o.Rate)}).";
        }

        foreach (var line in OperationsLines(f))
        {
            yield return line;
        }
    }

    /// <summary>Alert SLA per tier, QBR completion and the expansion pipeline: the simulator's record beside the app's GET /api/metrics.</summary>
    public static IEnumerable<string> OperationsLines(RunFigures f)
    {
        var observed = f.Result.Observed;
        if (f.Operations is not { } r || observed.Metrics is not { } m)
        {
            yield break;
        }

        if (m.AlertSla is { } appSla)
        {
            var tiers = r.Sla.Select(t => appSla.FirstOrDefault(a => a.Tier == t.Tier) is { } a
                ? $"{t.Tier} {t.OnTime} of {t.Due} ({Pct(t.Rate)}) against the app's {a.OnTime} of {a.Due} ({Pct(a.Rate)})"
                : $"{t.Tier} {t.OnTime} of {t.Due} ({Pct(t.Rate)}), the app none");
            yield return "Alert SLA attainment (acknowledged by the due time), simulator's record: " + string.Join("; ", tiers) + ".";
        }

        if (r.Qbr is { } q && observed.QbrWindow is { } w)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"QBR completion, days {q.FirstDay}-{q.LastDay} (one QBR per account every {w.Qbr.CadenceDays} days): simulator's record {q.QbrsHeld} held of {q.QbrsDue:0.#} due over {q.AccountsDue} accounts ({Pct(q.Rate)}); the app {w.Qbr.QbrsHeld} of {w.Qbr.QbrsDue:0.#} over {w.Qbr.AccountsDue} ({Pct(w.Qbr.Rate)}).");
        }

        if (m.ExpansionPipeline is { } p)
        {
            var e = r.Expansion;
            yield return string.Create(CultureInfo.InvariantCulture, $"Expansion pipeline: the app's {p.Opportunities} open opportunities estimated at {Money(p.OpportunityMrrCents)} MRR against {Money(p.ChurnAndContractionMrrCents)} lost to churn and contraction (coverage {Coverage(p.Coverage)}); simulator's record: {e.Expansions} expansions made {Money(e.ExpansionMrrCents)} MRR against {Money(e.ChurnAndContractionMrrCents)} lost ({Coverage(e.Coverage)}).");
        }
    }

    private static string Coverage(double? coverage) => coverage is { } c ? c.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "none lost";

    public static IEnumerable<string> PredictionLines(PredictionReport p)
    {
        var o = p.Overall;
        if (o.SnapshotDays.Count == 0)
        {
            yield return $"No snapshot yet: the first is on day {PredictionDesign.SnapshotEveryDays}, and this run covers days 0-{p.Run.DaysCompleted - 1}.";
            yield return p.SeedsBar;
            yield break;
        }

        yield return $"Snapshots on days {string.Join(", ", o.SnapshotDays)}: {N(o.Pairs)} account-snapshots past onboarding, {N(o.Churners)} churned within {PredictionDesign.HorizonDays} days.";
        yield return $"  Yellow or Red: recall {Ci(o.YellowOrRed.Recall)}, precision {Ci(o.YellowOrRed.Precision)}, false-positive rate {Ci(o.YellowOrRed.FalsePositiveRate)}.";
        yield return $"  Sustained ({PredictionDesign.SustainedDays} days): recall {Ci(o.YellowOrRedSustained.Recall)}, false-positive rate {Ci(o.YellowOrRedSustained.FalsePositiveRate)}.";
        yield return $"  Accuracy {Ci(o.YellowOrRed.Accuracy)} against {Ci(o.YellowOrRed.BaseRateAccuracy)} for \"nobody churns\"; score ROC AUC {Auc(o.ScoreAuc)}.";
        var b = p.Baseline;
        yield return b.Pairs == 0
            ? "  Baseline: needs snapshots from day 56 on (two 28-day windows of usage)."
            : $"  Baseline \"{b.Rule}\" on days {string.Join(", ", b.SnapshotDays)}: recall {Ci(b.Baseline.Recall)}, false-positive rate {Ci(b.Baseline.FalsePositiveRate)}, AUC {Auc(b.BaselineAuc)}; the score on the same snapshots: recall {Ci(b.ModelYellowOrRed.Recall)}, false-positive rate {Ci(b.ModelYellowOrRed.FalsePositiveRate)}, AUC {Auc(b.ModelScoreAuc)}.";
        if (p.TroubleShowing is { } t)
        {
            yield return $"  For reference, the simulator's record \"trouble had begun by the snapshot\" as a flag (no score can read it): recall {Ci(t.TroubleShowing.Recall)}, false-positive rate {Ci(t.TroubleShowing.FalsePositiveRate)}, AUC {Auc(t.Auc)}. Churn not yet showing, and troubled accounts that recover, cap what any score reading the signals can reach.";
        }

        var l = p.LeadTime;
        yield return l.Quartiles is { } q
            ? string.Create(CultureInfo.InvariantCulture, $"  Lead time from the first sustained flag to churn ({l.Churners} churned in the run): median {q.Median:0} days (quartiles {q.Q1:0}–{q.Q3:0}); never flagged before churn: {l.NeverFlagged}.")
            : $"  Lead time: no churner in the run was flagged (sustained) before churning ({l.NeverFlagged} churned).";
        yield return $"  Still onboarding (counted apart): {N(p.Onboarding.Pairs)} account-snapshots, {N(p.Onboarding.Churners)} churned; Yellow or Red recall {Ci(p.Onboarding.YellowOrRed.Recall)}, false-positive rate {Ci(p.Onboarding.YellowOrRed.FalsePositiveRate)}.";
        var i = p.EarlyWarning;
        yield return $"Early-warning figures: flagged (sustained) {PredictionDesign.LeadDays} days before churn {Ci(i.AtLead.FlaggedSustained)} [{i.AtLead.EligibleChurnedInRun} churned in the run, {i.AtLead.EligibleChurnedAfterRun} after it; by segment " +
            string.Join(", ", i.AtLead.PerSegment.Select(s => $"{s.Segment} {s.Flagged}/{s.Eligible}")) + "].";
        if (i.AtLead.TroubleShowingAtLead is { } showing)
        {
            yield return $"  Of those churners, {showing.Total} had trouble showing in their signals by then ({PredictionDesign.LeadDays + PredictionDesign.SustainedDays}+ days before churning; the simulator's record): flagged {Ci(showing)}. The other {i.AtLead.FlaggedSustained.Total - showing.Total} showed nothing yet.";
        }

        yield return $"  False-positive rate among accounts that stayed {Ci(i.StayersFlaggedSustainedAtSnapshots)} (sustained flag at snapshots; ever flagged during the run: {Ci(i.StayersEverFlaggedSustained)}).";
        yield return string.Create(CultureInfo.InvariantCulture, $"  Healthy adopters' days in Green after onboarding {Ci(i.HealthyAdopterPostOnboardingDaysGreen)}; alert emails per account per month {i.AlertEmails.EmailsPerAccountMonth:0.00} ({i.AlertEmails.AlertEmails} emails over {i.AlertEmails.AccountMonths:0.0} account-months).");
        yield return p.SeedsBar;
        if (p.Expansion is { } x)
        {
            yield return ExpansionSummary(x);
        }

        if (p.RenewalForecast is { } r)
        {
            yield return RenewalSummary(r);
        }
    }

    public static string RenewalSummary(RenewalForecastFigures r) =>
        $"Renewal forecast against outcomes ({N(r.Forecasts)} forecasts read on days {string.Join(", ", r.ForecastDays)}; churn up to {r.GraceDays} days after the renewal date counts against it): "
        + string.Join("; ", r.PerCategory.Select(c => $"{c.Category} {N(c.Forecasts)}, churned {Ci(c.Churned)}"))
        + $". Renewals that churned and were forecast at risk or likely to churn: {Ci(r.ChurnedRenewalsFlagged)}.";

    public static string ExpansionSummary(ExpansionFigures x) =>
        $"Opportunity alerts before expansions: recall {Ci(x.Recall)} (expansions from day {x.EligibleFromDay} preceded by an Opportunity listed in the {x.WindowDays} days before; {x.ExpansionsNotEligible} earlier ones left out), "
        + $"precision {Ci(x.Precision)} (Opportunity alerts followed by an expansion within {x.WindowDays} days).";

    public static string Timing(RunFigures f)
    {
        var c = f.Result.Counters;
        static string S(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        return $"Took {S(f.Result.Elapsed)} s: generating events {S(c.GenerateTime)} s, packaging {S(c.PackTime)} s, sending {S(c.SendTime)} s (signing {S(c.SignTime)} s of it, summed over parallel sends), "
            + $"waiting for the app to settle {S(c.SettleTime)} s, daily reads and acknowledgements {S(c.ObserveTime)} s, reading results {S(c.CollectTime)} s; replaying outcomes {S(c.ProjectionTime)} s beside the run ({S(c.ProjectionWait)} s waited for at the end). "
            + $"The simulator's own CPU over the run: {S(c.SimulatorCpu)} s.";
    }
}

/// <summary>The files a run writes into its output folder (and clears at the start of the next).</summary>
internal static class OutputFiles
{
    public const string Report = "report.html";
    public const string Prediction = "prediction.json";
    public const string Portfolio = "portfolio.json";
    public const string Snapshots = "snapshots.json";

    public static readonly string[] All = [Report, Prediction, Portfolio, Snapshots];
}
