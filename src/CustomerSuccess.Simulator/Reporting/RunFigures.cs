using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Simulator.Reporting;

internal sealed record ProviderRow(Provider Provider, long Requests, long Events, long Acknowledged, long NotAcknowledged, IReadOnlyDictionary<int, long> Failures, long Duplicates, long HeldBack, long UnlinkedAtSend);

internal sealed record BandCount(int Green, int Yellow, int Red)
{
    public int Total => Green + Yellow + Red;
}

/// <summary>Live accounts of one segment on the last day: their bands, how many had no score, how many churned during the run.</summary>
internal sealed record SegmentBands(Segment Segment, BandCount Bands, int NotScored, int Churned);

internal sealed record AtRiskRow(SimulatedAccount Account, int Score, string Band, int DaysToRenewal);

/// <summary>Alerts of one tier as the alert API listed them (by the highest tier each reached), with acknowledgements.</summary>
internal sealed record TierRow(string Tier, int Listed, int Escalated, int Acknowledged, int OnTime, int DueByEnd);

/// <summary>Alert emails in the outbox of one category, and the distinct (account, rule) alerts they name.</summary>
internal sealed record AlertEmailRow(string Category, int Emails, int AlertsNamed);

internal sealed record LifecycleRow(string Sequence, string Step, int Emails);

/// <summary>
/// Every count the terminal summary and the HTML report show, computed once from the run, so the two never
/// disagree: what was sent, the bands (from the app's history), the alerts (as listed by the API and as emailed),
/// the lifecycle emails, revenue, and the prediction figures.
/// </summary>
internal sealed class RunFigures
{
    private RunFigures(SimulationResult result)
    {
        Result = result;
    }

    public SimulationResult Result { get; }

    public SimulationOptions Options => Result.Options;

    public int LastDay => Result.LastDay;

    public IReadOnlyList<ProviderRow> Sent { get; private init; } = [];

    public long EventsSent => Sent.Sum(r => r.Events);

    /// <summary>Live accounts (churned ones left out) per band per day, from the app's history.</summary>
    public IReadOnlyList<(int Day, BandCount Bands)> BandsByDay { get; private init; } = [];

    /// <summary>The last day's bands per segment: the same numbers as the last entry of <see cref="BandsByDay"/>.</summary>
    public IReadOnlyList<SegmentBands> LastDayBands { get; private init; } = [];

    public BandCount LastDayTotal => new(LastDayBands.Sum(s => s.Bands.Green), LastDayBands.Sum(s => s.Bands.Yellow), LastDayBands.Sum(s => s.Bands.Red));

    /// <summary>Day-to-day band changes of live accounts, by (from, to).</summary>
    public IReadOnlyDictionary<(string From, string To), int> Transitions { get; private init; } = new Dictionary<(string, string), int>();

    public IReadOnlyList<AtRiskRow> AtRisk { get; private init; } = [];

    public IReadOnlyList<TierRow> AlertTiers { get; private init; } = [];

    /// <summary>Risk alerts (Watch, Warning, Critical) the API listed; Opportunities are counted apart.</summary>
    public int AlertsListed => Result.Observed.Alerts.Values.Count(a => !a.IsOpportunity);

    /// <summary>Opportunity alerts the API listed.</summary>
    public int OpportunitiesListed => Result.Observed.Alerts.Values.Count(a => a.IsOpportunity);

    /// <summary>Alerts raised per simulated week (by the day the API first listed them) and tier.</summary>
    public IReadOnlyDictionary<(int Week, string Tier), int> AlertsPerWeek { get; private init; } = new Dictionary<(int, string), int>();

    public IReadOnlyList<AlertEmailRow> AlertEmails { get; private init; } = [];

    public int AlertEmailTotal => AlertEmails.Sum(r => r.Emails);

    /// <summary>Distinct (account, rule) alerts named in alert emails or digests that the API never listed: raised and resolved between two reads.</summary>
    public int AlertsEmailedButNeverListed { get; private init; }

    public IReadOnlyList<LifecycleRow> Lifecycle { get; private init; } = [];

    public int LifecycleEmailTotal => Lifecycle.Sum(r => r.Emails);

    public int OtherEmails { get; private init; }

    public int EmailTotal => Result.Observed.Outbox.Emails.Count;

    public RetentionFigures Retention { get; private init; } = null!;

    public PredictionReport? Prediction { get; private init; }

    /// <summary>Time to value and onboarding completion by the simulator's record, over the app's metrics period (null when the app's figures were not read).</summary>
    public ValueRecord? Value { get; private init; }

    /// <summary>Alert SLA, QBRs and expansions by the simulator's record, over the app's metrics periods (null when the app's figures were not read).</summary>
    public OperationsRecord? Operations { get; private init; }

    public static RunFigures From(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var observed = result.Observed;
        var lastDay = result.LastDay;
        var churnDay = result.Truth.Churns.ToDictionary(c => c.AccountId, c => c.Day, StringComparer.Ordinal);
        bool LiveOn(SimulatedAccount a, int day) => day >= a.StartDay && (!churnDay.TryGetValue(a.AccountId, out var c) || day < c);

        var bandsByDay = new List<(int, BandCount)>();
        for (var day = 0; day <= lastDay && observed.History.Count > 0; day++)
        {
            int g = 0, y = 0, r = 0;
            foreach (var a in result.Portfolio.Accounts)
            {
                if (LiveOn(a, day) && observed.History.TryGetValue(a.AccountId, out var h) && h.TryGetValue(day, out var p))
                {
                    g += p.Band == "Green" ? 1 : 0;
                    y += p.Band == "Yellow" ? 1 : 0;
                    r += p.Band == "Red" ? 1 : 0;
                }
            }

            bandsByDay.Add((day, new BandCount(g, y, r)));
        }

        HealthPoint? LastPoint(SimulatedAccount a) => observed.History.TryGetValue(a.AccountId, out var h) && h.TryGetValue(lastDay, out var p) ? p : null;
        var lastDayBands = Enum.GetValues<Segment>().Select(segment =>
        {
            var accounts = result.Portfolio.Accounts.Where(a => a.Segment == segment).ToList();
            var live = accounts.Where(a => LiveOn(a, lastDay)).ToList();
            int Count(string band) => live.Count(a => LastPoint(a)?.Band == band);
            return new SegmentBands(segment, new BandCount(Count("Green"), Count("Yellow"), Count("Red")), live.Count(a => LastPoint(a) is null), accounts.Count(a => churnDay.ContainsKey(a.AccountId)));
        }).ToList();

        var transitions = new Dictionary<(string, string), int>();
        foreach (var a in result.Portfolio.Accounts)
        {
            if (!observed.History.TryGetValue(a.AccountId, out var h))
            {
                continue;
            }

            string? previous = null;
            foreach (var p in h.Values.Where(p => p.Day <= lastDay && LiveOn(a, p.Day)))
            {
                if (previous is not null && previous != p.Band)
                {
                    transitions[(previous, p.Band)] = transitions.GetValueOrDefault((previous, p.Band)) + 1;
                }

                previous = p.Band;
            }
        }

        var atRisk = result.Portfolio.Accounts
            .Where(a => LiveOn(a, lastDay) && LastPoint(a) is { Band: "Yellow" or "Red" })
            .Select(a => new AtRiskRow(a, LastPoint(a)!.Score, LastPoint(a)!.Band, PortfolioGenerator.DayOf(a.PeriodEnd, result.Portfolio.Day0) - lastDay))
            .OrderBy(r => r.Band == "Red" ? 0 : 1).ThenBy(r => r.Score).ThenBy(r => r.DaysToRenewal).ToList();

        var end = result.Portfolio.DateOf(lastDay + 1);
        string[] tiers = ["Critical", "Warning", "Watch"];
        // The churn figures read risk alerts only: an Opportunity is not a flag of trouble.
        var alerts = observed.Alerts.Values.Where(a => !a.IsOpportunity).ToList();
        string Highest(SeenAlert a) => tiers.FirstOrDefault(a.Tiers.Contains) ?? a.Latest.Tier;
        var tierRows = tiers.Concat(alerts.Select(Highest)).Distinct(StringComparer.Ordinal).Select(tier =>
        {
            var list = alerts.Where(a => Highest(a) == tier).ToList();
            var due = list.Where(a => a.Latest.DueAt is { } d && d <= end).ToList();
            return new TierRow(tier, list.Count, list.Count(a => a.Tiers.Count > 1), list.Count(a => a.Latest.AcknowledgedAt is not null), due.Count(a => a.Latest.AcknowledgedAt is { } ack && ack <= a.Latest.DueAt), due.Count);
        }).ToList();
        var perWeek = alerts.GroupBy(a => (Week: a.FirstSeenDay / 7, Tier: Highest(a))).ToDictionary(g => g.Key, g => g.Count());

        var emails = observed.Outbox.Emails;
        var alertEmails = emails.Where(e => e.Kind is EmailKind.Alert or EmailKind.WatchDigest)
            .GroupBy(e => e.Overdue ? "alert/overdue (to the escalation contact)" : e.Category)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new AlertEmailRow(g.Key, g.Count(), g.SelectMany(e => e.Alerts).Distinct().Count()))
            .ToList();
        var listed = observed.Alerts.Values.Select(a => (a.Latest.AccountId, a.Latest.RuleId)).ToHashSet();
        var emailedNeverListed = emails.SelectMany(e => e.Alerts).Distinct().Count(x => !listed.Contains(x));
        var lifecycle = emails.Where(e => e.Kind == EmailKind.Lifecycle)
            .GroupBy(e => (Sequence: e.Sequence ?? "?", Step: e.Step ?? "?"))
            .OrderBy(g => g.Key.Sequence, StringComparer.Ordinal).ThenBy(g => g.Key.Step, StringComparer.Ordinal)
            .Select(g => new LifecycleRow(g.Key.Sequence, g.Key.Step, g.Count()))
            .ToList();

        var figures = new RunFigures(result)
        {
            Sent = [.. result.Counters.All.Select(x => new ProviderRow(x.Provider, x.Counters.Requests, x.Counters.Events, x.Counters.Acknowledged, x.Counters.NotAcknowledged, new Dictionary<int, long>(x.Counters.Failures), x.Counters.DuplicateDeliveries, x.Counters.DelayedOutOfOrder, x.Counters.UnlinkedAtSend))],
            BandsByDay = bandsByDay,
            LastDayBands = lastDayBands,
            Transitions = transitions,
            AtRisk = atRisk,
            AlertTiers = tierRows,
            AlertsPerWeek = perWeek,
            AlertEmails = alertEmails,
            AlertsEmailedButNeverListed = emailedNeverListed,
            Lifecycle = lifecycle,
            OtherEmails = emails.Count(e => e.Kind == EmailKind.Other),
            Retention = result.Truth.Retention(),
            Value = observed.Metrics is { Onboarding: { } onboarding }
                ? ValueRecord.Compute(
                    result.Portfolio.Accounts.Where(a => a.IsNewCustomer).Select(a => new NewCustomerRecord(a.StartDay, a.FirstValueDay, a.OnboardingCompletedDay)),
                    Math.Min(1, lastDay),
                    lastDay,
                    onboarding.TargetDays)
                : null,
            Operations = observed.Metrics is null ? null : new OperationsRecord(
                OperationsRecord.SlaOf(result.Truth.AlertEpisodes.Values, result.Portfolio.DateOf(Math.Min(1, lastDay)), result.Portfolio.DateOf(lastDay + 1)),
                observed.QbrWindow is { } w ? OperationsRecord.QbrsOf(result.Portfolio.Accounts.Select(a => (a.AccountId, a.Segment, a.StartDay)), result.Truth.Churns, result.Truth.QbrsHeld, w.FirstDay, w.LastDay, w.Qbr.CadenceDays) : null,
                OperationsRecord.ExpansionsOf(result.Truth.Movements, Math.Min(1, lastDay), lastDay)),
            Prediction = observed.HistoryApi == ApiState.Available ? Predict(result, alertEmails.Where(r => r.Category != OpportunityEmailCategory).Sum(r => r.Emails)) : null,
        };
        return figures;
    }

    /// <summary>When the account's story began to show in the signals the app receives (null: nothing foreshadows it).</summary>
    internal static int? TroubleBeganDay(SimulatedAccount a) => a.Behaviour switch
    {
        Behaviour.SilentChurner or Behaviour.ChampionLeaves or Behaviour.SupportStorm or Behaviour.PaymentFailures => a.TurnDay,
        Behaviour.SlowOnboarder => a.StartDay,
        _ => null,
    };

    /// <summary>The category of the app's Opportunity emails: not alert load in the churn figures.</summary>
    public const string OpportunityEmailCategory = "alert/opportunity";

    private static PredictionReport Predict(SimulationResult result, int alertEmails)
    {
        // Outcomes from the replay (it churns exactly as the run did up to its last day, and goes on past it).
        var projected = result.Projection.Portfolio.Accounts.ToDictionary(a => a.AccountId, StringComparer.Ordinal);
        // Known outcomes end 90 days after the last day completed (the replay may reach further when a run was stopped).
        var churns = result.Projection.Truth.Churns.Where(c => c.Day <= result.LastDay + PredictionDesign.HorizonDays).ToDictionary(c => c.AccountId, c => c.Day, StringComparer.Ordinal);
        var accounts = result.Portfolio.Accounts.Select(a =>
        {
            var p = projected[a.AccountId];
            return new AccountOutcome(a.AccountId, a.Segment, a.Behaviour, a.StartDay, a.IsNewCustomer, p.OnboardingCompletedDay, churns.TryGetValue(a.AccountId, out var c) ? c : null, TroubleBeganDay(a));
        }).ToList();
        var run = new PredictionRun(result.Options.Scenario.Name, result.Options.Seed, result.Options.Accounts, result.Options.Days, result.DaysCompleted, result.Partial, result.Portfolio.Day0.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        var story = result.Portfolio.Accounts.ToDictionary(a => a.AccountId, a => a.Behaviour, StringComparer.Ordinal);
        var expansions = result.Projection.Truth.Movements
            .Where(m => m.Kind == MrrMovementKind.Expansion && m.Day <= result.LastDay + PredictionDesign.HorizonDays && story.ContainsKey(m.AccountId))
            .Select(m => new ExpansionMade(m.AccountId, story[m.AccountId], m.Day))
            .ToList();
        var opportunities = result.Observed.Alerts.Values.Where(a => a.IsOpportunity)
            .Select(a => new OpportunitySeen(a.Latest.AccountId, a.FirstSeenDay, a.LastSeenDay))
            .ToList();
        return PredictionEvaluation.WithSeedsBar(PredictionEvaluation.Evaluate(run, accounts, result.Observed.History, result.Truth.UsageByDay, alertEmails))
            with
            {
                Outcomes = [.. accounts.Select(OutcomeRow.Of)],
                Expansion = ExpansionEvaluation.Evaluate(expansions, opportunities, result.LastDay),
                RenewalForecast = result.Observed.RenewalForecasts.Count == 0 ? null : RenewalForecastEvaluation.Evaluate(result.Observed.RenewalForecasts, churns, result.LastDay + PredictionDesign.HorizonDays),
            };
    }
}
