using System.Globalization;
using System.Net;
using System.Text;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>
/// One self-contained HTML file: inline CSS and inline SVG charts, no scripts, fonts or anything fetched.
/// Every figure is computed from this run; where the app gave nothing to compute from, the report says so.
/// </summary>
internal static class HtmlReport
{
    private const string Green = "#2e9d57";
    private const string Yellow = "#e0a800";
    private const string Red = "#d64545";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static string F(double d) => d.ToString("0.#", Inv);

    private static string Pct(double share) => share.ToString("P1", Inv);

    private static string Money(long cents) => (cents < 0 ? "-$" : "$") + Math.Abs(cents / 100m).ToString("N0", Inv);

    private static string BandColor(string? band) => band switch { "Green" => Green, "Yellow" => Yellow, "Red" => Red, _ => "#bbb" };

    public static string Render(SimulationResult r)
    {
        var a = r.Analysis;
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Customer success simulation</title><style>")
            .Append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1000px;color:#222;padding:0 1rem}")
            .Append("h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}")
            .Append("table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}")
            .Append(".note{color:#555;font-size:.9rem}.warn{color:#8a5a00;background:#fff6e0;padding:.5rem;border-left:4px solid #e0a800}.big{font-size:1.15rem;font-weight:600}svg{display:block;margin:.5rem 0}")
            .Append("</style></head><body>");
        h.Append(Inv, $"<h1>Customer success simulation</h1><p class=\"note\">{r.Options.Accounts} accounts over {r.Options.Days} simulated days from {a.Portfolio.Day0:yyyy-MM-dd}, seed {r.Options.Seed}, {r.Options.Speed} simulated hours per clock step; run took {r.Elapsed.TotalSeconds:0} s. The simulator reached the app only over HTTP (signed webhooks, the function-key APIs and the standalone runner's clock).</p>");
        foreach (var p in r.Problems)
        {
            h.Append("<p class=\"warn\">").Append(E(p)).Append("</p>");
        }

        Sent(h, r);
        Health(h, a);
        Transitions(h, a);
        AtRisk(h, a);
        Alerts(h, a);
        Emails(h, a);
        Revenue(h, a);
        Prediction(h, a);
        h.Append("</body></html>");
        return h.ToString();
    }

    private static void Sent(StringBuilder h, SimulationResult r)
    {
        h.Append("<h2>What the providers sent</h2><table><tr><th>provider</th><th>requests</th><th>events</th><th>acknowledged (2xx)</th><th>not acknowledged</th><th>duplicate deliveries</th><th>held back, out of order</th><th>events for ids not yet linked</th></tr>");
        foreach (var (provider, c) in r.Counters.All)
        {
            var failures = string.Join(", ", c.Failures.Select(f => $"{(f.Key == 0 ? "no answer" : f.Key.ToString(Inv))}: {f.Value}"));
            h.Append(Inv, $"<tr><td>{provider}</td><td>{c.Requests:N0}</td><td>{c.Events:N0}</td><td>{c.Acknowledged:N0}</td><td>{c.NotAcknowledged:N0} {E(failures)}</td><td>{c.DuplicateDeliveries:N0}</td><td>{c.DelayedOutOfOrder:N0}</td><td>{c.UnlinkedAtSend:N0}</td></tr>");
        }

        h.Append("</table>");
    }

    private static void Health(StringBuilder h, RunAnalysis a)
    {
        h.Append("<h2>Portfolio health over time</h2>");
        var series = a.BandsOverTime();
        var max = series.Select(s => s.Green + s.Yellow + s.Red).DefaultIfEmpty(0).Max();
        if (max == 0)
        {
            h.Append("<p class=\"note\">No scored accounts were visible in GET /api/portfolio during the run.</p>");
        }
        else
        {
            const int W = 900, H = 240, P = 30;
            var bw = (double)(W - P) / series.Count;
            h.Append(Inv, $"<svg width=\"{W}\" height=\"{H + 20}\" viewBox=\"0 0 {W} {H + 20}\" role=\"img\" aria-label=\"accounts per band per day\">");
            foreach (var (day, g, y, red) in series)
            {
                var x = P + (day * bw);
                var top = (double)H;
                foreach (var (n, color) in new[] { (g, Green), (y, Yellow), (red, Red) })
                {
                    var hh = n * (H - 10) / (double)max;
                    top -= hh;
                    h.Append(Inv, $"<rect x=\"{F(x)}\" y=\"{F(top)}\" width=\"{F(Math.Max(bw, 1))}\" height=\"{F(hh)}\" fill=\"{color}\"/>");
                }
            }

            h.Append(Inv, $"<text x=\"0\" y=\"14\" font-size=\"11\">{max}</text><text x=\"{P}\" y=\"{H + 15}\" font-size=\"11\">day 0</text><text x=\"{W - 50}\" y=\"{H + 15}\" font-size=\"11\">day {series.Count - 1}</text></svg>");
            var last = series.LastOrDefault(s => s.Green + s.Yellow + s.Red > 0);
            h.Append(Inv, $"<p class=\"note\">Scored accounts per band per day (Green, Yellow, Red from the bottom). Last day: {last.Green} Green, {last.Yellow} Yellow, {last.Red} Red.</p>");
        }

        h.Append("<table><tr><th>segment at the end</th><th>Green</th><th>Yellow</th><th>Red</th><th>not scored</th></tr>");
        foreach (var segment in Enum.GetValues<Segment>())
        {
            var live = a.Portfolio.Accounts.Where(x => x.Segment == segment && x.ChurnedDay is null).ToList();
            int Count(string band) => live.Count(x => a.LatestBands.TryGetValue(x.AccountId, out var p) && p.Band == band);
            h.Append(Inv, $"<tr><td>{segment}</td><td>{Count("Green")}</td><td>{Count("Yellow")}</td><td>{Count("Red")}</td><td>{live.Count(x => !a.LatestBands.ContainsKey(x.AccountId))}</td></tr>");
        }

        h.Append("</table>");
    }

    private static void Transitions(StringBuilder h, RunAnalysis a)
    {
        h.Append("<h2>Band transitions</h2>");
        var t = a.Transitions();
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

        h.Append("</svg><p class=\"note\">Day-to-day band changes across all accounts, counted from the daily portfolio view.</p>");
    }

    private static void AtRisk(StringBuilder h, RunAnalysis a)
    {
        h.Append(Inv, $"<h2>At risk at the end ({a.AtRisk.Count})</h2><table><tr><th>account</th><th>segment</th><th>band</th><th>score</th><th>days to renewal</th><th>ARR</th><th>CSM</th><th>simulated story</th></tr>");
        foreach (var x in a.AtRisk.Take(50))
        {
            h.Append(Inv, $"<tr><td>{E(x.Account.Name)}</td><td>{x.Account.Segment}</td><td style=\"color:{BandColor(x.Band)}\">{x.Band}</td><td>{x.Score?.ToString(Inv) ?? "–"}</td><td>{x.DaysToRenewal}</td><td>{Money(x.Account.ArrCents)}</td><td>{E(x.Account.CsmEmail)}</td><td>{x.Account.Behaviour}</td></tr>");
        }

        h.Append("</table>");
    }

    private static void Alerts(StringBuilder h, RunAnalysis a)
    {
        h.Append("<h2>Alerts per tier per week</h2>");
        var perWeek = a.AlertsPerWeek();
        if (perWeek.Count == 0)
        {
            h.Append("<p class=\"note\">No alerts were visible in GET /api/alerts.</p>");
        }
        else
        {
            var weeks = (a.Days + 6) / 7;
            var tiers = new[] { ("Watch", "#6c8ebf"), ("Warning", Yellow), ("Critical", Red) };
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

            h.Append(Inv, $"<text x=\"0\" y=\"12\" font-size=\"11\">{max}</text></svg><p class=\"note\">Watch (blue), Warning (amber), Critical (red) alerts raised per simulated week.</p>");
        }

        h.Append("<table><tr><th>tier</th><th>raised</th><th>acknowledged</th><th>on time (of those due by the end)</th></tr>");
        foreach (var t in a.Acknowledgements)
        {
            h.Append(Inv, $"<tr><td>{E(t.Tier)}</td><td>{t.Raised}</td><td>{t.Acknowledged}</td><td>{(t.WithDueTime == 0 ? "–" : $"{t.OnTime}/{t.WithDueTime} ({Pct((double)t.OnTime / t.WithDueTime)})")}</td></tr>");
        }

        h.Append("</table>");
    }

    private static void Emails(StringBuilder h, RunAnalysis a)
    {
        h.Append("<h2>Emails per sequence</h2>");
        var rows = a.EmailsBySequence();
        var alertEmails = a.Observed.Emails.Count(e => e.Kind == "alert");
        if (rows.Count == 0)
        {
            h.Append("<p class=\"note\">No lifecycle emails in the outbox.</p>");
        }
        else
        {
            var bySequence = rows.GroupBy(x => x.Sequence).Select(g => (g.Key, g.Sum(x => x.Count))).ToList();
            var max = bySequence.Max(x => x.Item2);
            h.Append(Inv, $"<svg width=\"700\" height=\"{(bySequence.Count * 28) + 10}\" role=\"img\" aria-label=\"emails per sequence\">");
            for (var i = 0; i < bySequence.Count; i++)
            {
                var (sequence, n) = bySequence[i];
                h.Append(Inv, $"<text x=\"0\" y=\"{(i * 28) + 18}\" font-size=\"12\">{E(sequence)}</text><rect x=\"140\" y=\"{(i * 28) + 5}\" width=\"{F(500.0 * n / max)}\" height=\"18\" fill=\"#6c8ebf\"/><text x=\"{F(145 + (500.0 * n / max))}\" y=\"{(i * 28) + 18}\" font-size=\"12\">{n}</text>");
            }

            h.Append("</svg><table><tr><th>sequence</th><th>step</th><th>emails</th></tr>");
            foreach (var (sequence, step, count) in rows)
            {
                h.Append(Inv, $"<tr><td>{E(sequence)}</td><td>{E(step)}</td><td>{count}</td></tr>");
            }

            h.Append("</table>");
        }

        h.Append(Inv, $"<p class=\"note\">Alert emails to CSMs: {alertEmails}. Other: {a.Observed.Emails.Count(e => e.Kind == "other")}. The outbox folder holds each one as an .eml file, as the recipient gets it.</p>");
    }

    private static void Revenue(StringBuilder h, RunAnalysis a)
    {
        var ret = a.Retention;
        h.Append("<h2>Revenue retention for the period</h2><table><tr><th>figure</th><th>value</th></tr>")
            .Append(Inv, $"<tr><td>Starting MRR (accounts live on day 0)</td><td>{Money(ret.StartingMrrCents)}</td></tr>")
            .Append(Inv, $"<tr><td>Expansion</td><td>{Money(ret.ExpansionCents)}</td></tr><tr><td>Contraction</td><td>{Money(ret.ContractionCents)}</td></tr><tr><td>Churned MRR</td><td>{Money(ret.ChurnedCents)}</td></tr>")
            .Append(Inv, $"<tr><td>New business (outside NRR)</td><td>{Money(ret.NewBusinessCents)}</td></tr>")
            .Append(Inv, $"<tr><td class=\"big\">NRR</td><td class=\"big\">{Pct(ret.NetRevenueRetention)}</td></tr><tr><td class=\"big\">GRR</td><td class=\"big\">{Pct(ret.GrossRevenueRetention)}</td></tr>")
            .Append(Inv, $"<tr><td class=\"big\">Logo churn</td><td class=\"big\">{Pct(ret.LogoChurnRate)} ({ret.LogosChurned} of {ret.StartingLogos})</td></tr>");
        foreach (var (name, value) in a.Observed.AppFigures)
        {
            h.Append(Inv, $"<tr><td>The app reports {E(name)}</td><td>{value:0.###}</td></tr>");
        }

        h.Append("</table><p class=\"note\">From the simulator's own record of every MRR movement it caused (Stripe subscription changes it sent).</p>");
    }

    private static void Prediction(StringBuilder h, RunAnalysis a)
    {
        h.Append("<h2>How well the score predicted the simulated churn</h2>");
        if (!a.HasBands)
        {
            h.Append("<p class=\"warn\">The app showed no health bands during the run, so the prediction cannot be judged.</p>");
        }
        else
        {
            var (later, recovered, healthy) = a.StayedFlaggedBreakdown();
            h.Append(Inv, $"<p class=\"big\">Flagged Yellow or Red at least {RunAnalysis.FlagLeadDays} days before churn: {a.Flagged60} of {a.EligibleFor60}{(a.EligibleFor60 == 0 ? "" : $" ({Pct((double)a.Flagged60 / a.EligibleFor60)})")}.</p>")
                .Append(Inv, $"<p>Counted over the {a.EligibleFor60} churned accounts the app had scored at least {RunAnalysis.FlagLeadDays} days before they churned (of {a.Predictions.Count} churned in the period). Flagged at any time before churn: {a.FlaggedBeforeChurn} of {a.Predictions.Count}.</p>")
                .Append(Inv, $"<p>Accounts that stayed: {a.Stayed.Count}. Ever Yellow or Red: {a.StayedEverFlagged.Count} ({(a.Stayed.Count == 0 ? "–" : Pct((double)a.StayedEverFlagged.Count / a.Stayed.Count))}); ever Red: {a.StayedEverRed.Count}. Of those flagged, {later} are on a path to churn that completes after the period, {recovered} were in a troubled story that recovered, and <b>{healthy} were healthy accounts: false alarms</b>.</p>");
            BandsBeforeChurnChart(h, a);
        }

        h.Append("<table><tr><th>account</th><th>segment</th><th>story</th><th>churned on day</th><th>reason</th><th>band 90 days before</th><th>60 days before</th><th>30 days before</th><th>first flagged (day)</th></tr>");
        foreach (var p in a.Predictions)
        {
            static string Cell(string? band) => band is null ? "<td>–</td>" : $"<td style=\"color:{BandColor(band)}\">{band}</td>";
            h.Append(Inv, $"<tr><td>{E(p.Account.Name)}</td><td>{p.Account.Segment}</td><td>{p.Account.Behaviour}</td><td>{p.Churn.Day}</td><td>{E(p.Churn.Reason)}</td>{Cell(p.BandAt90)}{Cell(p.BandAt60)}{Cell(p.BandAt30)}<td>{p.FirstFlagDay?.ToString(Inv) ?? "–"}</td></tr>");
        }

        h.Append("</table><p class=\"note\">“–”: the app had not scored the account that early (before the run started, or not yet scored). The simulated behaviours follow CS practice and were not fitted to the scoring model; these figures are what this run produced.</p>");
    }

    private static void BandsBeforeChurnChart(StringBuilder h, RunAnalysis a)
    {
        var columns = new[] { ("90 days before", a.Predictions.Select(p => p.BandAt90)), ("60 days before", a.Predictions.Select(p => p.BandAt60)), ("30 days before", a.Predictions.Select(p => p.BandAt30)) };
        const int H = 160;
        h.Append(Inv, $"<svg width=\"420\" height=\"{H + 30}\" role=\"img\" aria-label=\"bands of churned accounts before churn\">");
        for (var c = 0; c < columns.Length; c++)
        {
            var bands = columns[c].Item2.ToList();
            var total = Math.Max(1, bands.Count);
            var top = (double)H;
            foreach (var band in new string?[] { "Green", "Yellow", "Red", null })
            {
                var n = bands.Count(b => b == band);
                var hh = (H - 10) * n / (double)total;
                top -= hh;
                h.Append(Inv, $"<rect x=\"{20 + (c * 130)}\" y=\"{F(top)}\" width=\"100\" height=\"{F(hh)}\" fill=\"{BandColor(band)}\"><title>{band ?? "not scored"}: {n}</title></rect>");
            }

            h.Append(Inv, $"<text x=\"{20 + (c * 130)}\" y=\"{H + 18}\" font-size=\"12\">{columns[c].Item1}</text>");
        }

        h.Append("</svg><p class=\"note\">Bands of the churned accounts 90, 60 and 30 days before they churned (grey: not scored yet).</p>");
    }
}
