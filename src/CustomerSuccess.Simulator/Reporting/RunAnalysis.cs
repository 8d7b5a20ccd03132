using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Reporting;

internal sealed record ChurnPrediction(SimulatedAccount Account, ChurnRecord Churn, string? BandAt30, string? BandAt60, string? BandAt90, bool EligibleFor60, bool FlaggedAtLeast60Before, int? FirstFlagDay);

internal sealed record AtRiskAccount(SimulatedAccount Account, int? Score, string Band, int DaysToRenewal);

internal sealed record TierAcknowledgement(string Tier, int Raised, int Acknowledged, int OnTime, int WithDueTime);

/// <summary>
/// The figures of the end-of-run report, computed only from what happened in this run: the simulator's ground
/// truth (who churned, when, MRR movements) against what the app showed (bands, alerts, emails). No tuning.
/// </summary>
internal sealed class RunAnalysis
{
    public const int FlagLeadDays = 60;

    private static readonly string[] Tiers = ["Critical", "Warning", "Watch"];

    public RunAnalysis(SimulatedPortfolio portfolio, GroundTruth truth, AppObservations observed, int days)
    {
        Portfolio = portfolio;
        Truth = truth;
        Observed = observed;
        Days = days;
        Retention = truth.Retention();
        var byId = portfolio.Accounts.ToDictionary(a => a.AccountId, StringComparer.Ordinal);

        Predictions = [.. truth.Churns.OrderBy(c => c.Day).Select(c =>
        {
            var a = byId[c.AccountId];
            var history = observed.DailyBands.GetValueOrDefault(c.AccountId);
            var firstSeen = history?.Keys.DefaultIfEmpty(int.MaxValue).Min() ?? int.MaxValue;
            int? firstFlag = history?.Values.Where(p => p.Day < c.Day && p.Band is "Yellow" or "Red").Select(p => (int?)p.Day).FirstOrDefault();
            var eligible = c.Day - FlagLeadDays >= firstSeen;
            var flagged60 = history is not null && history.Values.Any(p => p.Day <= c.Day - FlagLeadDays && p.Band is "Yellow" or "Red");
            return new ChurnPrediction(a, c, BandAt(history, c.Day - 30), BandAt(history, c.Day - 60), BandAt(history, c.Day - 90), eligible, flagged60, firstFlag);
        })];

        var churned = truth.Churns.Select(c => c.AccountId).ToHashSet(StringComparer.Ordinal);
        Stayed = [.. portfolio.Accounts.Where(a => !churned.Contains(a.AccountId) && observed.DailyBands.ContainsKey(a.AccountId))];
        StayedEverFlagged = [.. Stayed.Where(a => observed.DailyBands[a.AccountId].Values.Any(p => p.Band is "Yellow" or "Red"))];
        StayedEverRed = [.. Stayed.Where(a => observed.DailyBands[a.AccountId].Values.Any(p => p.Band == "Red"))];

        foreach (var a in portfolio.Accounts)
        {
            var latest = Latest(a.AccountId);
            if (latest is null || a.ChurnedDay is not null)
            {
                continue;
            }

            LatestBands[a.AccountId] = latest;
        }

        AtRisk = [.. LatestBands.Where(kv => kv.Value.Band is "Red" or "Yellow")
            .Select(kv => byId[kv.Key])
            .Select(a => new AtRiskAccount(a, LatestBands[a.AccountId].Score, LatestBands[a.AccountId].Band!, PortfolioGenerator.DayOf(a.PeriodEnd, portfolio.Day0) - (days - 1)))
            .OrderBy(r => r.Band == "Red" ? 0 : 1).ThenBy(r => r.Score ?? 100).ThenBy(r => r.DaysToRenewal)];

        var end = portfolio.DateOf(days);
        Acknowledgements = [.. Tiers.Concat(observed.Alerts.Select(x => x.Tier)).Distinct(StringComparer.OrdinalIgnoreCase).Select(tier =>
        {
            var list = observed.Alerts.Where(x => string.Equals(x.Tier, tier, StringComparison.OrdinalIgnoreCase)).ToList();
            var withDue = list.Where(x => x.DueAt is not null && x.DueAt <= end).ToList();
            return new TierAcknowledgement(tier, list.Count, list.Count(x => x.AcknowledgedAt is not null), withDue.Count(x => x.AcknowledgedAt is { } ack && ack <= x.DueAt), withDue.Count);
        })];
    }

    public SimulatedPortfolio Portfolio { get; }

    public GroundTruth Truth { get; }

    public AppObservations Observed { get; }

    public int Days { get; }

    public RetentionFigures Retention { get; }

    public List<ChurnPrediction> Predictions { get; }

    public List<SimulatedAccount> Stayed { get; }

    public List<SimulatedAccount> StayedEverFlagged { get; }

    public List<SimulatedAccount> StayedEverRed { get; }

    public Dictionary<string, HealthPoint> LatestBands { get; } = new(StringComparer.Ordinal);

    public List<AtRiskAccount> AtRisk { get; }

    public List<TierAcknowledgement> Acknowledgements { get; }

    public bool HasBands => Observed.DailyBands.Count > 0;

    public int EligibleFor60 => Predictions.Count(p => p.EligibleFor60);

    public int Flagged60 => Predictions.Count(p => p.EligibleFor60 && p.FlaggedAtLeast60Before);

    public int FlaggedBeforeChurn => Predictions.Count(p => p.FirstFlagDay is not null);

    /// <summary>Accounts that stayed but were flagged, split by what the simulator knows: on a path to churn after the period, in a story that recovers, or healthy (a false alarm proper).</summary>
    public (int ChurnAfterPeriod, int TroubledRecovered, int Healthy) StayedFlaggedBreakdown() => (
        StayedEverFlagged.Count(a => a.WillChurn || (a.Behaviour == Behaviour.PaymentFailures && !a.PaymentRecovers)),
        StayedEverFlagged.Count(a => !a.WillChurn && a.Behaviour is not Behaviour.HealthyAdopter and not Behaviour.ExpansionNearSeatLimit),
        StayedEverFlagged.Count(a => !a.WillChurn && a.Behaviour is Behaviour.HealthyAdopter or Behaviour.ExpansionNearSeatLimit));

    public HealthPoint? Latest(string accountId) =>
        Observed.DailyBands.TryGetValue(accountId, out var days) && days.Count > 0 ? days.Values.Last() : null;

    private static string? BandAt(SortedDictionary<int, HealthPoint>? history, int day)
    {
        if (history is null || day < 0)
        {
            return null;
        }

        for (var d = day; d >= day - 3; d--)
        {
            if (history.TryGetValue(d, out var p) && p.Band is not null)
            {
                return p.Band;
            }
        }

        return null;
    }

    /// <summary>Per day: accounts in each band (from the daily portfolio snapshots).</summary>
    public List<(int Day, int Green, int Yellow, int Red)> BandsOverTime()
    {
        var result = new List<(int, int, int, int)>();
        for (var day = 0; day < Days; day++)
        {
            int g = 0, y = 0, r = 0;
            foreach (var history in Observed.DailyBands.Values)
            {
                if (history.TryGetValue(day, out var p))
                {
                    switch (p.Band)
                    {
                        case "Green": g++; break;
                        case "Yellow": y++; break;
                        case "Red": r++; break;
                        default: break;
                    }
                }
            }

            result.Add((day, g, y, r));
        }

        return result;
    }

    /// <summary>Band changes from one observed day to the next, counted by (from, to).</summary>
    public Dictionary<(string From, string To), int> Transitions()
    {
        var counts = new Dictionary<(string, string), int>();
        foreach (var history in Observed.DailyBands.Values)
        {
            string? previous = null;
            foreach (var p in history.Values)
            {
                if (p.Band is null)
                {
                    continue;
                }

                if (previous is not null && previous != p.Band)
                {
                    counts[(previous, p.Band)] = counts.GetValueOrDefault((previous, p.Band)) + 1;
                }

                previous = p.Band;
            }
        }

        return counts;
    }

    public Dictionary<(int Week, string Tier), int> AlertsPerWeek() =>
        Observed.Alerts.Where(a => a.RaisedAt is not null)
            .GroupBy(a => (Week: Math.Max(0, PortfolioGenerator.DayOf(a.RaisedAt!.Value, Portfolio.Day0) / 7), a.Tier))
            .ToDictionary(g => g.Key, g => g.Count());

    public List<(string Sequence, string Step, int Count)> EmailsBySequence() =>
        [.. Observed.Emails.Where(e => e.Kind == "lifecycle")
            .GroupBy(e => (Sequence: e.Sequence ?? "?", Step: e.Step ?? "?"))
            .OrderBy(g => g.Key.Sequence, StringComparer.Ordinal).ThenBy(g => g.Key.Step, StringComparer.Ordinal)
            .Select(g => (g.Key.Sequence, g.Key.Step, g.Count()))];
}
