using System.Globalization;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Portfolio;
using Spectre.Console;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>The end-of-run summary in the terminal: what was sent, how the portfolio looks, who is at risk, alerts, emails, retention and how well the score saw churn coming.</summary>
internal static class TerminalReport
{
    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Pct(double share) => share.ToString("P1", CultureInfo.InvariantCulture);

    private static string Money(long cents) => (cents < 0 ? "-$" : "$") + Math.Abs(cents / 100m).ToString("N0", CultureInfo.InvariantCulture);

    public static void Write(IAnsiConsole console, SimulationResult r, string reportPath)
    {
        var a = r.Analysis;
        console.Write(new Rule($"[bold]Simulation: {r.Options.Accounts} accounts, {r.Options.Days} days, seed {r.Options.Seed}[/]").LeftJustified());

        var sent = new Table().Title("Webhooks sent").AddColumns("provider", "requests", "events", "2xx", "not 2xx", "duplicates", "held back (out of order)", "unlinked at send");
        foreach (var (provider, c) in r.Counters.All)
        {
            sent.AddRow(provider.ToString(), N(c.Requests), N(c.Events), N(c.Acknowledged), c.NotAcknowledged == 0 ? "0" : $"[red]{N(c.NotAcknowledged)}[/] ({string.Join(", ", c.Failures.Select(f => $"{(f.Key == 0 ? "no answer" : f.Key.ToString(CultureInfo.InvariantCulture))}: {f.Value}"))})", N(c.DuplicateDeliveries), N(c.DelayedOutOfOrder), N(c.UnlinkedAtSend));
        }

        console.Write(sent);

        var bands = new Table().Title("Health bands at the end, per segment").AddColumns("segment", "Green", "Yellow", "Red", "not scored");
        foreach (var segment in Enum.GetValues<Segment>())
        {
            var live = a.Portfolio.Accounts.Where(x => x.Segment == segment && x.ChurnedDay is null).ToList();
            int Count(string band) => live.Count(x => a.LatestBands.TryGetValue(x.AccountId, out var p) && p.Band == band);
            bands.AddRow(segment.ToString(), N(Count("Green")), N(Count("Yellow")), N(Count("Red")), N(live.Count(x => !a.LatestBands.ContainsKey(x.AccountId))));
        }

        console.Write(bands);

        var risk = new Table().Title("At risk (Red first, then by score and days to renewal)").AddColumns("account", "segment", "band", "score", "days to renewal", "ARR", "CSM");
        foreach (var x in a.AtRisk.Take(15))
        {
            risk.AddRow(Markup.Escape(x.Account.Name), x.Account.Segment.ToString(), x.Band == "Red" ? "[red]Red[/]" : "[yellow]Yellow[/]", x.Score?.ToString(CultureInfo.InvariantCulture) ?? "–", N(x.DaysToRenewal), Money(x.Account.ArrCents), Markup.Escape(x.Account.CsmEmail));
        }

        console.Write(risk);
        if (a.AtRisk.Count > 15)
        {
            console.MarkupLine($"… and {a.AtRisk.Count - 15} more in the report.");
        }

        var alerts = new Table().Title("Alerts by tier").AddColumns("tier", "raised", "acknowledged", "on time (of those due by the end)");
        foreach (var t in a.Acknowledgements)
        {
            alerts.AddRow(t.Tier, N(t.Raised), N(t.Acknowledged), t.WithDueTime == 0 ? "–" : $"{N(t.OnTime)}/{N(t.WithDueTime)} ({Pct((double)t.OnTime / t.WithDueTime)})");
        }

        console.Write(alerts);

        var emails = new Table().Title("Lifecycle emails by sequence and step").AddColumns("sequence", "step", "emails");
        foreach (var (sequence, step, count) in a.EmailsBySequence())
        {
            emails.AddRow(Markup.Escape(sequence), Markup.Escape(step), N(count));
        }

        emails.AddRow("[grey](alert emails to CSMs)[/]", "", N(a.Observed.Emails.Count(e => e.Kind == "alert")));
        console.Write(emails);

        var ret = a.Retention;
        var money = new Table().Title("Revenue over the period (simulator's ground truth)").AddColumns("figure", "value");
        money.AddRow("Starting MRR", Money(ret.StartingMrrCents));
        money.AddRow("Expansion / contraction / churned MRR", $"{Money(ret.ExpansionCents)} / {Money(ret.ContractionCents)} / {Money(ret.ChurnedCents)}");
        money.AddRow("New business MRR (not in NRR)", Money(ret.NewBusinessCents));
        money.AddRow("NRR", Pct(ret.NetRevenueRetention));
        money.AddRow("GRR", Pct(ret.GrossRevenueRetention));
        money.AddRow("Logo churn", $"{Pct(ret.LogoChurnRate)} ({ret.LogosChurned} of {ret.StartingLogos})");
        foreach (var (name, value) in a.Observed.AppFigures)
        {
            money.AddRow($"app reports {Markup.Escape(name)}", value.ToString("0.###", CultureInfo.InvariantCulture));
        }

        console.Write(money);

        console.Write(new Rule("[bold]How well the score predicted churn[/]").LeftJustified());
        if (!a.HasBands)
        {
            console.MarkupLine("[yellow]The app showed no health bands during the run, so the prediction cannot be judged.[/]");
        }
        else
        {
            var (later, recovered, healthy) = a.StayedFlaggedBreakdown();
            console.MarkupLine($"Churned in the period: {a.Predictions.Count}. Flagged Yellow/Red at least {RunAnalysis.FlagLeadDays} days before churn: [bold]{a.Flagged60} of {a.EligibleFor60}[/] that were observed that early{(a.EligibleFor60 == 0 ? "" : $" ({Pct((double)a.Flagged60 / a.EligibleFor60)})")}. Flagged at any time before churn: {a.FlaggedBeforeChurn} of {a.Predictions.Count}.");
            console.MarkupLine($"Accounts that stayed: {a.Stayed.Count}; ever Yellow/Red: {a.StayedEverFlagged.Count} ({(a.Stayed.Count == 0 ? "–" : Pct((double)a.StayedEverFlagged.Count / a.Stayed.Count))}), ever Red: {a.StayedEverRed.Count}. Of the flagged: {later} are on a path to churn after the period, {recovered} were in trouble and recovered, [bold]{healthy}[/] were healthy (false alarms).");
        }

        foreach (var problem in r.Problems)
        {
            console.MarkupLine($"[yellow]! {Markup.Escape(problem)}[/]");
        }

        console.MarkupLine($"Report: [link]{Markup.Escape(reportPath)}[/]  Outbox: {Markup.Escape(r.Options.Outbox)} ({N(a.Observed.Emails.Count)} emails)  Took {r.Elapsed.TotalSeconds:0} s (sending {r.Counters.SendTime.TotalSeconds:0} s, app settling {r.Counters.SettleTime.TotalSeconds:0} s, reading results {r.Counters.ObserveTime.TotalSeconds:0} s).");
    }
}
