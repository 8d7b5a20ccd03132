using System.Globalization;
using System.Net;
using System.Text;
using CustomerSuccess.Simulator.Observation;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>
/// One self-contained HTML file (inline CSS and SVG; no scripts, fonts or anything fetched), rendered from the
/// same <see cref="RunFigures"/> as the terminal summary. Where the app gave nothing to compute from, it says so.
/// </summary>
internal static class HtmlReport
{
    private const string Green = "#2e9d57";
    private const string Yellow = "#e0a800";
    private const string Red = "#d64545";
    private const string Blue = "#4a78b5";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static string F(double d) => d.ToString("0.#", Inv);

    private static string N(long n) => n.ToString("N0", Inv);

    private static string BandColor(string? band) => band switch { "Green" => Green, "Yellow" => Yellow, "Red" => Red, _ => "#bbb" };

    /// <summary>The portfolio page of the app the run drove.</summary>
    public static string DashboardUrl(Uri app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.GetLeftPart(UriPartial.Authority) + "/api/dashboard";
    }

    public static string Render(RunFigures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var r = f.Result;
        var o = f.Options;
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Customer success simulation</title><style>")
            .Append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1000px;color:#222;padding:0 1rem}")
            .Append("h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}h3{font-size:1rem}")
            .Append("table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:right;vertical-align:top}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}")
            .Append(".note{color:#555;font-size:.9rem}.warn{color:#8a5a00;background:#fff6e0;padding:.5rem;border-left:4px solid #e0a800}.partial{color:#fff;background:#b03030;padding:.6rem;font-weight:600}")
            .Append(".statement{background:#eef3fa;border-left:4px solid #4a78b5;padding:.6rem}svg{display:block;margin:.5rem 0}")
            .Append("</style></head><body>");
        h.Append("<h1>Customer success simulation").Append(r.Partial ? " (partial)" : "").Append("</h1>");
        if (r.Partial)
        {
            h.Append(Inv, $"<p class=\"partial\">PARTIAL REPORT: the run was stopped after {r.DaysCompleted} of {o.Days} simulated days. Every figure covers days 0–{r.LastDay} only.</p>");
        }

        h.Append(Inv, $"<p class=\"note\">Scenario <b>{E(o.Scenario.Name)}</b> ({E(o.Scenario.Description)}); {o.Accounts} accounts over {o.Days} simulated days from {r.Portfolio.Day0:yyyy-MM-dd}, seed {o.Seed}, {o.Speed} simulated hours per clock step; the run took {r.Elapsed.TotalSeconds:0} s. The simulator reached the app only over HTTP (signed webhooks, the function-key APIs and the standalone runner's clock).</p>");
        foreach (var p in r.Problems)
        {
            h.Append("<p class=\"warn\">").Append(E(p)).Append("</p>");
        }

        // The one link out: the app's own pages, live while it runs; nothing below needs it.
        var dashboard = DashboardUrl(o.App);
        h.Append(Inv, $"<p class=\"note\">While the app is up, its pages show this portfolio live: <a href=\"{E(dashboard)}\">{E(dashboard)}</a> (sign in with the function key). Every figure below is in this file and stays readable after the app stops.</p>");

        Sent(h, f);
        Health(h, f);
        Transitions(h, f);
        AtRisk(h, f);
        Alerts(h, f);
        Emails(h, f);
        Revenue(h, f);
        Prediction(h, f);
        Expansion(h, f);
        RenewalForecast(h, f);
        h.Append(Inv, $"<h2>Where the time went</h2><p class=\"note\">{E(ReportText.Timing(f))}</p>");
        h.Append("</body></html>");
        return h.ToString();
    }

    private static void Sent(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>What the providers sent</h2><table><tr><th>provider</th><th>requests</th><th>events</th><th>acknowledged (2xx)</th><th>not acknowledged</th><th>repeated deliveries</th><th>held back, out of order</th><th>events for ids not yet linked</th></tr>");
        foreach (var p in f.Sent)
        {
            var failures = string.Join(", ", p.Failures.Select(x => $"{(x.Key == 0 ? "no answer" : x.Key.ToString(Inv))}: {x.Value}"));
            h.Append(Inv, $"<tr><td>{p.Provider}</td><td>{N(p.Requests)}</td><td>{N(p.Events)}</td><td>{N(p.Acknowledged)}</td><td>{N(p.NotAcknowledged)} {E(failures)}</td><td>{N(p.Duplicates)}</td><td>{N(p.HeldBack)}</td><td>{N(p.UnlinkedAtSend)}</td></tr>");
        }

        h.Append("</table>");
    }

    private static void Health(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>Portfolio health over time</h2>");
        var series = f.BandsByDay;
        var max = series.Select(s => s.Bands.Total).DefaultIfEmpty(0).Max();
        if (max == 0)
        {
            h.Append("<p class=\"note\">No scored accounts: the app's health history (GET /api/health/history) had nothing for this run.</p>");
            return;
        }

        const int W = 900, H = 240, P = 34;
        var bw = (double)(W - P) / series.Count;
        h.Append(Inv, $"<svg width=\"{W}\" height=\"{H + 20}\" viewBox=\"0 0 {W} {H + 20}\" role=\"img\" aria-label=\"live accounts per band per day\">");
        foreach (var (day, b) in series)
        {
            var x = P + (day * bw);
            var top = (double)H;
            foreach (var (n, color, name) in new[] { (b.Green, Green, "Green"), (b.Yellow, Yellow, "Yellow"), (b.Red, Red, "Red") })
            {
                var hh = n * (H - 10) / (double)max;
                top -= hh;
                h.Append(Inv, $"<rect x=\"{F(x)}\" y=\"{F(top)}\" width=\"{F(Math.Max(bw, 1))}\" height=\"{F(hh)}\" fill=\"{color}\"><title>day {day}: {n} {name}</title></rect>");
            }
        }

        h.Append(Inv, $"<text x=\"0\" y=\"14\" font-size=\"11\">{max}</text><text x=\"{P}\" y=\"{H + 15}\" font-size=\"11\">day 0</text><text x=\"{W - 50}\" y=\"{H + 15}\" font-size=\"11\">day {series[^1].Day}</text></svg>");
        var t = f.LastDayTotal;
        h.Append(Inv, $"<p class=\"note\">Live accounts (churned ones left out) per band per day, from the app's history: Green, Yellow, Red from the bottom. Day {f.LastDay}: {t.Green} Green, {t.Yellow} Yellow, {t.Red} Red, as in the table below.</p>");
        h.Append(Inv, $"<table><tr><th>segment, day {f.LastDay}</th><th>Green</th><th>Yellow</th><th>Red</th><th>live, no score</th><th>churned in the run</th></tr>");
        foreach (var s in f.LastDayBands)
        {
            h.Append(Inv, $"<tr><td>{s.Segment}</td><td>{s.Bands.Green}</td><td>{s.Bands.Yellow}</td><td>{s.Bands.Red}</td><td>{s.NotScored}</td><td>{s.Churned}</td></tr>");
        }

        h.Append(Inv, $"<tr><th>all</th><th>{t.Green}</th><th>{t.Yellow}</th><th>{t.Red}</th><th>{f.LastDayBands.Sum(s => s.NotScored)}</th><th>{f.LastDayBands.Sum(s => s.Churned)}</th></tr></table>");
        var observed = f.Result.Observed;
        if (observed.PortfolioApi == ApiState.Available)
        {
            var counts = string.Join("; ", observed.PortfolioBands.Select(s => $"{s.Key}: " + string.Join(", ", s.Value.Select(b => $"{b.Value} {b.Key}"))));
            h.Append(Inv, $"<p class=\"note\">The app's own portfolio view (GET /api/portfolio) at the end counts every account it scores, churned ones included, as of its last recompute: {E(counts)}.</p>");
        }
    }

    private static void Transitions(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>Band transitions</h2>");
        var t = f.Transitions;
        if (t.Count == 0)
        {
            h.Append("<p class=\"note\">No band changes observed.</p>");
            return;
        }

        string[] bands = ["Green", "Yellow", "Red"];
        var max = t.Values.Max();
        h.Append("<svg width=\"420\" height=\"200\" viewBox=\"0 0 420 200\" role=\"img\" aria-label=\"band transitions\">");
        for (var i = 0; i < 3; i++)
        {
            h.Append(Inv, $"<text x=\"10\" y=\"{62 + (i * 50)}\" font-size=\"12\">from {bands[i]}</text><text x=\"{120 + (i * 95)}\" y=\"20\" font-size=\"12\">to {bands[i]}</text>");
            for (var j = 0; j < 3; j++)
            {
                var n = t.GetValueOrDefault((bands[i], bands[j]));
                var opacity = n == 0 ? 0.05 : 0.15 + (0.85 * n / max);
                h.Append(Inv, $"<rect x=\"{110 + (j * 95)}\" y=\"{35 + (i * 50)}\" width=\"90\" height=\"45\" fill=\"{BandColor(bands[j])}\" fill-opacity=\"{F(opacity)}\"/><text x=\"{145 + (j * 95)}\" y=\"{62 + (i * 50)}\" font-size=\"13\">{(i == j ? "" : n.ToString(Inv))}</text>");
            }
        }

        h.Append("</svg><p class=\"note\">Day-to-day band changes of live accounts, from the app's history.</p>");
    }

    private static void AtRisk(StringBuilder h, RunFigures f)
    {
        h.Append(Inv, $"<h2>At risk on day {f.LastDay} ({f.AtRisk.Count})</h2><table><tr><th>account</th><th>segment</th><th>band</th><th>score</th><th>days to renewal</th><th>ARR</th><th>CSM</th><th>simulated story</th></tr>");
        foreach (var x in f.AtRisk.Take(50))
        {
            h.Append(Inv, $"<tr><td>{E(x.Account.Name)}</td><td>{x.Account.Segment}</td><td style=\"color:{BandColor(x.Band)}\">{x.Band}</td><td>{x.Score}</td><td>{x.DaysToRenewal}</td><td>{ReportText.Money(x.Account.ArrCents)}</td><td>{E(x.Account.CsmEmail)}</td><td>{x.Account.Behaviour}</td></tr>");
        }

        h.Append("</table>");
        if (f.AtRisk.Count > 50)
        {
            h.Append(Inv, $"<p class=\"note\">… and {f.AtRisk.Count - 50} more.</p>");
        }
    }

    private static void Alerts(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>Alerts</h2>");
        var perWeek = f.AlertsPerWeek;
        if (perWeek.Count > 0)
        {
            var weeks = (f.LastDay / 7) + 1;
            var tiers = new[] { ("Watch", Blue), ("Warning", Yellow), ("Critical", Red) };
            var max = perWeek.Values.Max();
            const int H = 200;
            var gw = 860.0 / weeks;
            h.Append(Inv, $"<svg width=\"900\" height=\"{H + 30}\" viewBox=\"0 0 900 {H + 30}\" role=\"img\" aria-label=\"alerts per tier per week\">");
            for (var w = 0; w < weeks; w++)
            {
                for (var t = 0; t < tiers.Length; t++)
                {
                    var n = perWeek.GetValueOrDefault((w, tiers[t].Item1));
                    var hh = n * (H - 10) / (double)max;
                    h.Append(Inv, $"<rect x=\"{F(30 + (w * gw) + (t * gw / 3.5))}\" y=\"{F(H - hh)}\" width=\"{F(gw / 3.8)}\" height=\"{F(hh)}\" fill=\"{tiers[t].Item2}\"><title>week {w + 1} {tiers[t].Item1}: {n}</title></rect>");
                }

                h.Append(Inv, $"<text x=\"{F(30 + (w * gw))}\" y=\"{H + 15}\" font-size=\"10\">w{w + 1}</text>");
            }

            h.Append(Inv, $"<text x=\"0\" y=\"12\" font-size=\"11\">{max}</text></svg><p class=\"note\">Alerts first listed by GET /api/alerts per simulated week, by the highest tier each reached: Watch (blue), Warning (amber), Critical (red).</p>");
        }

        h.Append(Inv, $"<table><tr><th>tier reached</th><th>alerts listed</th><th>escalated</th><th>acknowledged</th><th>acknowledged on time (of those due by the end)</th></tr>");
        foreach (var t in f.AlertTiers)
        {
            h.Append(Inv, $"<tr><td>{E(t.Tier)}</td><td>{t.Listed}</td><td>{t.Escalated}</td><td>{t.Acknowledged}</td><td>{(t.DueByEnd == 0 ? "–" : $"{t.OnTime}/{t.DueByEnd} ({ReportText.Pct((double)t.OnTime / t.DueByEnd)})")}</td></tr>");
        }

        h.Append(Inv, $"<tr><th>all</th><th>{f.AlertsListed}</th><th>{f.AlertTiers.Sum(t => t.Escalated)}</th><th>{f.AlertTiers.Sum(t => t.Acknowledged)}</th><th></th></tr></table>");
        h.Append("<table><tr><th>alert emails in the outbox</th><th>emails</th><th>distinct alerts named</th></tr>");
        foreach (var row in f.AlertEmails)
        {
            h.Append(Inv, $"<tr><td>{E(row.Category)}</td><td>{row.Emails}</td><td>{row.AlertsNamed}</td></tr>");
        }

        h.Append(Inv, $"<tr><th>all</th><th>{f.AlertEmailTotal}</th><th></th></tr></table>");
        h.Append(Inv, $"<p class=\"note\">{E(ReportText.AlertEmailSummary(f))} The API lists alerts that are open or acknowledged when it is read (once a simulated day); Watch alerts reach CSMs only in the 08:00 digest. The simulated CSMs acknowledged {f.Result.Counters.AlertsAcknowledgedBySimulator} alerts through POST /api/alerts/{{accountId}}/{{ruleId}}/acknowledge.</p>");
    }

    private static void Emails(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>Lifecycle emails</h2>");
        if (f.Lifecycle.Count == 0)
        {
            h.Append("<p class=\"note\">No lifecycle emails in the outbox.</p>");
        }
        else
        {
            var bySequence = f.Lifecycle.GroupBy(x => x.Sequence).Select(g => (g.Key, g.Sum(x => x.Emails))).ToList();
            var max = bySequence.Max(x => x.Item2);
            h.Append(Inv, $"<svg width=\"700\" height=\"{(bySequence.Count * 28) + 10}\" role=\"img\" aria-label=\"emails per sequence\">");
            for (var i = 0; i < bySequence.Count; i++)
            {
                var (sequence, n) = bySequence[i];
                h.Append(Inv, $"<text x=\"0\" y=\"{(i * 28) + 18}\" font-size=\"12\">{E(sequence)}</text><rect x=\"140\" y=\"{(i * 28) + 5}\" width=\"{F(500.0 * n / max)}\" height=\"18\" fill=\"{Blue}\"/><text x=\"{F(145 + (500.0 * n / max))}\" y=\"{(i * 28) + 18}\" font-size=\"12\">{n}</text>");
            }

            h.Append("</svg><table><tr><th>sequence</th><th>step</th><th>emails</th></tr>");
            foreach (var row in f.Lifecycle)
            {
                h.Append(Inv, $"<tr><td>{E(row.Sequence)}</td><td>{E(row.Step)}</td><td>{row.Emails}</td></tr>");
            }

            h.Append(Inv, $"<tr><th>all</th><th></th><th>{f.LifecycleEmailTotal}</th></tr></table>");
        }

        h.Append(Inv, $"<p class=\"note\">The outbox holds {f.EmailTotal} emails: {f.LifecycleEmailTotal} lifecycle, {f.AlertEmailTotal} alert, {f.OtherEmails} other; each is an .eml file as the recipient gets it.</p>");
    }

    private static void Revenue(StringBuilder h, RunFigures f)
    {
        var s = f.Retention;
        var observed = f.Result.Observed;
        var m = observed.MetricsApi == ApiState.Available ? observed.Metrics : null;
        var missing = observed.MetricsApi switch
        {
            ApiState.NotProvided => "not available from the app",
            ApiState.Available => "",
            _ => "could not be read",
        };
        h.Append("<h2>Revenue over the period</h2><table><tr><th>figure</th><th>simulator's record</th><th>the app (GET /api/metrics)</th><th>difference</th></tr>");
        void Money(string name, long sim, long? app) => h.Append(Inv, $"<tr><td>{name}</td><td>{ReportText.Money(sim)}</td><td>{(app is { } a ? ReportText.Money(a) : missing)}</td><td>{(app is { } b ? ReportText.Money(b - sim) : "")}</td></tr>");
        void Share(string name, double sim, double? app) => h.Append(Inv, $"<tr><td>{name}</td><td>{ReportText.Pct(sim)}</td><td>{(m is null ? missing : ReportText.Pct(app))}</td><td>{(app is { } b ? $"{(b - sim) * 100:+0.0;-0.0;0.0} pts" : "")}</td></tr>");
        Money("Starting MRR (accounts live on day 0)", s.StartingMrrCents, m?.StartingMrrCents);
        Money("Ending MRR", s.EndingMrrCents, m?.EndingMrrCents);
        Money("New business", s.NewBusinessCents, m?.NewMrrCents);
        Money("Expansion", s.ExpansionCents, m?.ExpansionMrrCents);
        Money("Contraction", s.ContractionCents, m?.ContractionMrrCents);
        Money("Churned MRR", s.ChurnedCents, m?.ChurnedMrrCents);
        Money("Reactivation", 0, m?.ReactivationMrrCents);
        Share("NRR", s.NetRevenueRetention, m?.Nrr);
        Share("GRR", s.GrossRevenueRetention, m?.Grr);
        Share("Logo churn", s.LogoChurnRate, m?.LogoChurnRate);
        h.Append(Inv, $"<tr><td>Logos at start / churned</td><td>{s.StartingLogos} / {s.LogosChurned}</td><td>{(m is null ? missing : $"{m.LogosAtStart} / {m.LogosChurned}")}</td><td></td></tr></table>");
        h.Append("<p class=\"note\">The simulator's record holds every MRR movement it caused, on the day it caused it (MRR is price × seats, an annual plan's divided by 12). NRR and GRR are over the accounts live on day 0; new business is outside them. ");
        if (m is null)
        {
            h.Append(E($"The app's own figures are {missing} (GET /api/metrics{(observed.MetricsApi == ApiState.NotProvided ? " answered 404" : "")}); none is shown in their place."));
        }
        else
        {
            h.Append("Why the app's figures can differ: the app knows only what Stripe told it and dates each movement when the event is applied, and a few events arrive a step late and out of order; ")
                .Append("existing customers' subscriptions first reach the app during day 0, so the app's period starts on day 1 and its cohort is the accounts it held when day 1 began (movements on day 0 fall outside it); ")
                .Append("an account that gives notice stays in MRR until its period ends in both records; a failed payment is not churn until Stripe cancels the subscription.");
        }

        h.Append("</p>");
        if (f.Value is { } v && m is { TimeToValue: { } t, Onboarding: { } o })
        {
            h.Append("<h3>Value metrics</h3><table><tr><th>figure</th><th>simulator's record</th><th>the app (GET /api/metrics)</th></tr>")
                .Append(Inv, $"<tr><td>Time to value: new customers reaching first value in the period</td><td>{v.TimeToValueAccounts}</td><td>{t.Accounts}</td></tr>")
                .Append(Inv, $"<tr><td>Time to value: median / p90 days from subscription start</td><td>{v.MedianDays:0.#} / {v.P90Days:0.#}</td><td>{t.MedianDays:0.#} / {t.P90Days:0.#}</td></tr>")
                .Append(Inv, $"<tr><td>Onboarding completed within {o.TargetDays} days: on time / due</td><td>{v.OnboardingOnTime} / {v.OnboardingDue} ({ReportText.Pct(v.OnboardingRate)})</td><td>{o.CompletedOnTime} / {o.AccountsDue} ({ReportText.Pct(o.Rate)})</td></tr></table>")
                .Append("<p class=\"note\">The simulator's record is the day it sent each new customer's first-value and onboarding milestones, by the formulas the app documents for GET /api/metrics. The app dates a milestone when the Segment event is applied and starts the contract at the first subscription Stripe told it of, so a day's difference in either is expected.</p>");
        }

        Operations(h, f);
    }

    private static void Operations(StringBuilder h, RunFigures f)
    {
        var observed = f.Result.Observed;
        if (f.Operations is not { } r || observed.Metrics is not { } m)
        {
            return;
        }

        h.Append("<h3>The CS team's work</h3><table><tr><th>figure</th><th>simulator's record</th><th>the app (GET /api/metrics)</th></tr>");
        foreach (var t in r.Sla)
        {
            var app = m.AlertSla?.FirstOrDefault(a => a.Tier == t.Tier);
            h.Append(Inv, $"<tr><td>Alert SLA attainment, {E(t.Tier)}: on time / due</td><td>{t.OnTime} / {t.Due} ({ReportText.Pct(t.Rate)})</td><td>{(app is null ? "not sent" : $"{app.OnTime} / {app.Due} ({ReportText.Pct(app.Rate)})")}</td></tr>");
        }

        if (r.Qbr is { } q && observed.QbrWindow is { } w)
        {
            h.Append(Inv, $"<tr><td>QBR completion, days {q.FirstDay}-{q.LastDay}: held / due (accounts)</td><td>{q.QbrsHeld} / {q.QbrsDue:0.#} ({q.AccountsDue}) {ReportText.Pct(q.Rate)}</td><td>{w.Qbr.QbrsHeld} / {w.Qbr.QbrsDue:0.#} ({w.Qbr.AccountsDue}) {ReportText.Pct(w.Qbr.Rate)}</td></tr>");
        }

        if (m.ExpansionPipeline is { } p)
        {
            var e = r.Expansion;
            h.Append(Inv, $"<tr><td>Expansion MRR: made (simulator) / open opportunities' estimate (app)</td><td>{e.Expansions} expansions, {ReportText.Money(e.ExpansionMrrCents)}</td><td>{p.Opportunities} opportunities, {ReportText.Money(p.OpportunityMrrCents)}</td></tr>")
                .Append(Inv, $"<tr><td>MRR lost to churn and contraction</td><td>{ReportText.Money(e.ChurnAndContractionMrrCents)}</td><td>{ReportText.Money(p.ChurnAndContractionMrrCents)}</td></tr>")
                .Append(Inv, $"<tr><td>Coverage of the MRR lost</td><td>{(e.Coverage is { } ec ? ec.ToString("0.00", Inv) : "none lost")}</td><td>{(p.Coverage is { } pc ? pc.ToString("0.00", Inv) : "none lost")}</td></tr>");
        }

        h.Append("</table><p class=\"note\">SLA: the simulator records each alert episode (tier and due time) its CSMs were shown, when they acknowledged it, and whether a daily read showed it still open past its due time; "
            + "the app counts each account's latest alert of a rule once, at its current tier, so an alert escalated for being overdue counts at its new tier only, and an episode the simulator's CSMs never saw (raised and cleared between two daily reads) is in the app's count alone. "
            + $"QBRs: the last {AppObservations.QbrWindowDays} days, because the app counts QBRs from the daily counters it keeps; both sides use the app's cadence, and the simulator counts the QBRs its customers attended with the Mid-Market and Enterprise accounts paying at the window's start. "
            + "Expansion: the app's figure is a pipeline (estimates of what open opportunities could add), the simulator's is what expansions did add; the two answer different questions and are shown side by side, not as a check of each other.</p>");
    }

    private static void Prediction(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>How well the score predicts churn</h2>");
        if (f.Prediction is not { } p)
        {
            h.Append("<p class=\"warn\">No prediction figures: the app's health history (GET /api/health/history) could not be read.</p>");
            return;
        }

        h.Append("<p class=\"statement\">").Append(E(p.SeedsBar)).Append("</p>");
        var i = p.EarlyWarning;
        h.Append("<h3>Early-warning figures</h3><table><tr><th>figure</th><th>value (95% CI; counts)</th><th>target</th></tr>")
            .Append(Inv, $"<tr><td>Churners flagged Yellow or Red, sustained ({PredictionDesign.SustainedDays} days), {PredictionDesign.LeadDays} days before they churned</td><td>{E(ReportText.Ci(i.AtLead.FlaggedSustained))}<br>{i.AtLead.EligibleChurnedInRun} churned in the run, {i.AtLead.EligibleChurnedAfterRun} in the {PredictionDesign.HorizonDays} days after; by segment {E(string.Join(", ", i.AtLead.PerSegment.Select(s => $"{s.Segment} {s.Flagged}/{s.Eligible}")))}; {i.AtLead.ChurnersNotEligible} other churners not scored that early</td><td>≥ 75%</td></tr>")
            .Append(Inv, $"<tr><td>The same, among the churners whose trouble was already showing {PredictionDesign.LeadDays + PredictionDesign.SustainedDays} days before they churned (the simulator's record of when each story began): what any score could catch</td><td>{(i.AtLead.TroubleShowingAtLead is { } showing ? E(ReportText.Ci(showing)) + $"<br>{i.AtLead.FlaggedSustained.Total - showing.Total} other churners showed nothing yet" : "n/a")}</td><td></td></tr>")
            .Append(Inv, $"<tr><td>False-positive rate among accounts that stayed (sustained flag at the snapshot days)</td><td>{E(ReportText.Ci(i.StayersFlaggedSustainedAtSnapshots))}<br>ever flagged (sustained) during the run: {E(ReportText.Ci(i.StayersEverFlaggedSustained))}</td><td>≤ 25%</td></tr>")
            .Append(Inv, $"<tr><td>ROC AUC of the score</td><td>{E(ReportText.Auc(p.Overall.ScoreAuc))}</td><td>≥ 0.80</td></tr>")
            .Append(Inv, $"<tr><td>Healthy adopters' days in Green after onboarding</td><td>{E(ReportText.Ci(i.HealthyAdopterPostOnboardingDaysGreen))}</td><td>≥ 90%</td></tr>")
            .Append(Inv, $"<tr><td>Alert emails per account per month</td><td>{i.AlertEmails.EmailsPerAccountMonth:0.00} ({i.AlertEmails.AlertEmails} emails over {i.AlertEmails.AccountMonths:0.0} live account-months)</td><td>≤ 1</td></tr></table>");

        h.Append(Inv, $"<h3>At the snapshots (days {string.Join(", ", p.Overall.SnapshotDays)})</h3>");
        RuleTable(h, [("Yellow or Red at T", p.Overall.YellowOrRed), ($"Yellow or Red sustained {PredictionDesign.SustainedDays} days at T", p.Overall.YellowOrRedSustained)]);
        h.Append(Inv, $"<p class=\"note\">{p.Overall.Pairs} account-snapshots of {p.Overall.Accounts} accounts past onboarding; {p.Overall.Churners} churned within {PredictionDesign.HorizonDays} days of their snapshot. Score ROC AUC {E(ReportText.Auc(p.Overall.ScoreAuc))}.</p>");
        RocChart(h, p);
        LeadChart(h, p.LeadTime);

        h.Append("<h3>Per snapshot, per segment, per story, and onboarding apart</h3><table><tr><th>accounts</th><th>snapshots</th><th>churned / of</th><th>Y/R recall</th><th>Y/R precision</th><th>Y/R false-positive rate</th><th>sustained recall</th><th>sustained FPR</th><th>AUC</th></tr>");
        foreach (var s in p.PerSnapshot.Concat(p.PerSegment).Concat(p.PerStory).Append(p.Onboarding))
        {
            h.Append(Inv, $"<tr><td>{E(s.Label)}</td><td>{E(string.Join(", ", s.SnapshotDays))}</td><td>{s.Churners} / {s.Pairs}</td><td>{E(ReportText.Ci(s.YellowOrRed.Recall))}</td><td>{E(ReportText.Ci(s.YellowOrRed.Precision))}</td><td>{E(ReportText.Ci(s.YellowOrRed.FalsePositiveRate))}</td><td>{E(ReportText.Ci(s.YellowOrRedSustained.Recall))}</td><td>{E(ReportText.Ci(s.YellowOrRedSustained.FalsePositiveRate))}</td><td>{E(ReportText.Auc(s.ScoreAuc))}</td></tr>");
        }

        h.Append("</table>");
        var b = p.Baseline;
        h.Append(Inv, $"<h3>Against a naive baseline: {E(b.Rule)}</h3>");
        if (b.Pairs == 0)
        {
            h.Append("<p class=\"note\">The baseline needs two 28-day windows of usage, so snapshots from day 56 on; this run has none.</p>");
        }
        else
        {
            RuleTable(h, [("baseline", b.Baseline), ("score: Yellow or Red", b.ModelYellowOrRed), ("score: sustained", b.ModelYellowOrRedSustained)]);
            h.Append(Inv, $"<p class=\"note\">On the same {b.Pairs} account-snapshots (days {string.Join(", ", b.SnapshotDays)}; {b.Churners} churned): baseline AUC {E(ReportText.Auc(b.BaselineAuc))}, score AUC {E(ReportText.Auc(b.ModelScoreAuc))}. The baseline reads only the product events the simulator sent; its ranking is by (recent+1)/(previous+1).</p>");
        }

        if (p.TroubleShowing is { } t)
        {
            h.Append(Inv, $"<p class=\"note\">For reference, the simulator's record \"trouble had begun by the snapshot\" as a flag, on all {p.Overall.Pairs} account-snapshots (no score can read it): recall {E(ReportText.Ci(t.TroubleShowing.Recall))}, false-positive rate {E(ReportText.Ci(t.TroubleShowing.FalsePositiveRate))}, AUC {E(ReportText.Auc(t.Auc))}. Churn that was not showing yet, and troubled accounts that recover, cap what any score reading the signals can reach.</p>");
        }

        Churners(h, f);
        h.Append("<h3>How to read these figures</h3>").Append($"<p class=\"note\">A snapshot on day T takes each live account the app scored that day and asks: did it churn in the next {PredictionDesign.HorizonDays} days? Churn after the run's last day is known too: the simulator plays the same portfolio on without sending anything (the app never sees those days), so no snapshot is censored. "
            + $"Recall: churners flagged, of all churners. Precision: churners, of all flagged. False-positive rate: flagged, of all who did not churn. Accuracy is shown next to the accuracy of predicting that nobody churns, which is high whenever churn is rare. "
            + $"ROC AUC: the chance that a churner scored lower than a stayer (0.5 is chance). Sustained: Yellow or Red on each of the {PredictionDesign.SustainedDays} days ending on the day. Lead time: from the first day a flag became sustained to the churn, for accounts that churned inside the run. "
            + "Intervals are Wilson 95% (Hanley-McNeil for AUC); one account appears at several snapshots, so pooled intervals are somewhat too narrow. The scenario's stories follow CS practice and were not fitted to the health model.</p>");
    }

    private static void Expansion(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>Opportunity alerts before expansions</h2>");
        if (f.Prediction?.Expansion is not { } x)
        {
            h.Append("<p class=\"warn\">No expansion figures: the app's health history (GET /api/health/history) could not be read.</p>");
            return;
        }

        h.Append("<table><tr><th>figure</th><th>value (95% CI; counts)</th></tr>")
            .Append(Inv, $"<tr><td>Recall: expansions (day {x.EligibleFromDay} or later) preceded by an Opportunity alert listed in the {x.WindowDays} days before</td><td>{E(ReportText.Ci(x.Recall))}</td></tr>")
            .Append(Inv, $"<tr><td>Precision: Opportunity alerts followed by an expansion within {x.WindowDays} days</td><td>{E(ReportText.Ci(x.Precision))}</td></tr></table>");
        h.Append("<table><tr><th>story</th><th>expansions</th><th>preceded by an Opportunity</th></tr>");
        foreach (var s in x.PerStory)
        {
            h.Append(Inv, $"<tr><td>{E(s.Story)}</td><td>{s.Expansions}</td><td>{s.Preceded}</td></tr>");
        }

        h.Append(Inv, $"</table><p class=\"note\">{E(ReportText.ExpansionSummary(x))} An expansion is a Stripe subscription update with more seats that the simulator sent (the expanding-account story's purchase, or seats added at a renewal); outcomes after the run come from the replay. Opportunity alerts are counted apart from the alert table above and from the churn figures.</p>");
    }

    private static void RenewalForecast(StringBuilder h, RunFigures f)
    {
        h.Append("<h2>Renewal forecast against what renewed</h2>");
        if (f.Prediction?.RenewalForecast is not { } r)
        {
            h.Append("<p class=\"warn\">No renewal forecast figures: the app's renewal forecast (GET /api/renewals) was not read on a snapshot day.</p>");
            return;
        }

        h.Append("<table><tr><th>forecast category</th><th>forecasts</th><th>ARR forecast</th><th>churned (95% CI; counts)</th></tr>");
        foreach (var c in r.PerCategory)
        {
            h.Append(Inv, $"<tr><td>{E(c.Category)}</td><td>{c.Forecasts}</td><td>{c.ArrCents / 100m:N0}</td><td>{E(ReportText.Ci(c.Churned))}</td></tr>");
        }

        h.Append(Inv, $"</table><p class=\"note\">{E(ReportText.RenewalSummary(r))} Each forecast is a line of GET /api/renewals read on a snapshot day; its outcome is the simulator's record (the replay's days after the run included). {r.OutcomeUnknown} forecasts renew too late for their outcome to be known and are left out.</p>");
    }

    private static void RuleTable(StringBuilder h, IEnumerable<(string Name, RuleFigures Figures)> rules)
    {
        h.Append("<table><tr><th>rule</th><th>flagged churners / missed / flagged stayers / quiet stayers</th><th>recall</th><th>precision</th><th>false-positive rate</th><th>accuracy</th><th>accuracy of \"nobody churns\"</th></tr>");
        foreach (var (name, r) in rules)
        {
            h.Append(Inv, $"<tr><td>{E(name)}</td><td>{r.Counts.TruePositives} / {r.Counts.FalseNegatives} / {r.Counts.FalsePositives} / {r.Counts.TrueNegatives}</td><td>{E(ReportText.Ci(r.Recall))}</td><td>{E(ReportText.Ci(r.Precision))}</td><td>{E(ReportText.Ci(r.FalsePositiveRate))}</td><td>{E(ReportText.Ci(r.Accuracy))}</td><td>{E(ReportText.Ci(r.BaseRateAccuracy))}</td></tr>");
        }

        h.Append("</table>");
    }

    private static void RocChart(StringBuilder h, PredictionReport p)
    {
        const int S = 300, P = 40;
        string Path(IReadOnlyList<RocPoint> curve) => string.Join(" ", curve.Select((c, k) => $"{(k == 0 ? 'M' : 'L')}{F(P + (c.FalsePositiveRate * S))},{F(P + S - (c.TruePositiveRate * S))}"));
        h.Append(Inv, $"<svg width=\"{S + P + 220}\" height=\"{S + P + 40}\" role=\"img\" aria-label=\"ROC curve\"><rect x=\"{P}\" y=\"{P}\" width=\"{S}\" height=\"{S}\" fill=\"none\" stroke=\"#999\"/>")
            .Append(Inv, $"<path d=\"M{P},{P + S} L{P + S},{P}\" stroke=\"#bbb\" stroke-dasharray=\"4 4\" fill=\"none\"/>");
        if (p.Overall.ScoreAuc.Curve.Count > 1)
        {
            h.Append(Inv, $"<path d=\"{Path(p.Overall.ScoreAuc.Curve)}\" stroke=\"{Blue}\" stroke-width=\"2\" fill=\"none\"/>");
        }

        if (p.Baseline.BaselineAuc.Curve.Count > 1)
        {
            h.Append(Inv, $"<path d=\"{Path(p.Baseline.BaselineAuc.Curve)}\" stroke=\"{Yellow}\" stroke-width=\"2\" fill=\"none\"/>");
        }

        h.Append(Inv, $"<text x=\"{P + (S / 2) - 60}\" y=\"{P + S + 30}\" font-size=\"12\">false-positive rate</text><text x=\"4\" y=\"{P - 10}\" font-size=\"12\">true-positive rate (recall)</text>")
            .Append(Inv, $"<text x=\"{P + S + 15}\" y=\"{P + 20}\" font-size=\"12\" fill=\"{Blue}\">score, AUC {(p.Overall.ScoreAuc.Value is { } a ? a.ToString("0.00", Inv) : "n/a")}</text>")
            .Append(Inv, $"<text x=\"{P + S + 15}\" y=\"{P + 40}\" font-size=\"12\" fill=\"{Yellow}\">baseline, AUC {(p.Baseline.BaselineAuc.Value is { } bl ? bl.ToString("0.00", Inv) : "n/a")}</text>")
            .Append(Inv, $"<text x=\"{P + S + 15}\" y=\"{P + 60}\" font-size=\"12\" fill=\"#999\">chance</text></svg>")
            .Append("<p class=\"note\">ROC curve of the score as a ranking over the snapshots (blue; the baseline in amber, on its own snapshots from day 56). Each point flags every account at or below one score.</p>");
    }

    private static void LeadChart(StringBuilder h, LeadTimeFigures l)
    {
        h.Append(Inv, $"<h3>Lead time from the first sustained flag to churn ({l.Churners} accounts churned in the run)</h3>");
        var bars = l.Buckets.Select(b => (b.Label, b.Churners, Blue)).Append(("never flagged", l.NeverFlagged, Red)).ToList();
        var max = Math.Max(1, bars.Max(b => b.Item2));
        const int H = 160;
        h.Append(Inv, $"<svg width=\"640\" height=\"{H + 40}\" role=\"img\" aria-label=\"lead time distribution\">");
        for (var k = 0; k < bars.Count; k++)
        {
            var (label, n, color) = bars[k];
            var hh = (H - 20) * n / (double)max;
            h.Append(Inv, $"<rect x=\"{20 + (k * 85)}\" y=\"{F(H - hh)}\" width=\"70\" height=\"{F(hh)}\" fill=\"{color}\"/><text x=\"{45 + (k * 85)}\" y=\"{F(H - hh - 4)}\" font-size=\"12\">{n}</text><text x=\"{20 + (k * 85)}\" y=\"{H + 16}\" font-size=\"11\">{E(label)}</text>");
        }

        h.Append("</svg>");
        h.Append(l.Quartiles is { } q
            ? string.Create(Inv, $"<p class=\"note\">Median {q.Median:0} days, quartiles {q.Q1:0}–{q.Q3:0} days ({l.Flagged} flagged before churning). A flag counts from the day it became sustained.</p>")
            : "<p class=\"note\">No account that churned in the run had a sustained flag before churning.</p>");
    }

    private static void Churners(StringBuilder h, RunFigures f)
    {
        var r = f.Result;
        var byId = r.Portfolio.Accounts.ToDictionary(a => a.AccountId, StringComparer.Ordinal);
        var churns = r.Projection.Truth.Churns.Where(c => byId.ContainsKey(c.AccountId) && c.Day <= r.LastDay + PredictionDesign.HorizonDays).OrderBy(c => c.Day).ToList();
        h.Append(Inv, $"<h3>Every churn up to {PredictionDesign.HorizonDays} days after the run ({churns.Count}, {churns.Count(c => c.Day <= r.LastDay)} inside the run)</h3><table><tr><th>account</th><th>segment</th><th>story</th><th>churn day</th><th>reason</th><th>band 90 days before</th><th>60 days before</th><th>30 days before</th><th>first sustained flag (day)</th></tr>");
        foreach (var c in churns)
        {
            var a = byId[c.AccountId];
            var history = r.Observed.History.GetValueOrDefault(c.AccountId);
            string Cell(int day) => history is not null && day >= 0 && day <= r.LastDay && history.TryGetValue(day, out var pt) ? $"<td style=\"color:{BandColor(pt.Band)}\">{pt.Band} {pt.Score}</td>" : "<td>–</td>";
            int? first = history?.Keys.Where(d => d < c.Day && d <= r.LastDay).Cast<int?>().FirstOrDefault(d => PredictionEvaluation.SustainedOn(history, d!.Value));
            h.Append(Inv, $"<tr><td>{E(a.Name)}</td><td>{a.Segment}</td><td>{a.Behaviour}</td><td>{c.Day}{(c.Day > r.LastDay ? " (after the run)" : "")}</td><td>{E(c.Reason)}</td>{Cell(c.Day - 90)}{Cell(c.Day - 60)}{Cell(c.Day - 30)}<td>{first?.ToString(Inv) ?? "–"}</td></tr>");
        }

        h.Append("</table><p class=\"note\">“–”: the app had no score for that day (before the run, before the account started, or after the run's last day).</p>");
    }
}
