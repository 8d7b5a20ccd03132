using System.Globalization;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Reviews;

/// <summary>One day of the pack's health trend.</summary>
public sealed record QbrTrendDay(DateOnly Day, int Score, HealthBand Band);

/// <summary>How one dimension moved over the trend: from its first day to now, the points it moved the score (weight × change ÷ 100), and that in words.</summary>
public sealed record QbrDriver(HealthDimension Dimension, int From, int To, double Points, string Words);

/// <summary>The 90-day health trend: score and band then and now, each day, and the dimensions that moved it most.</summary>
public sealed record QbrHealth(int Score, HealthBand Band, HealthTrend Trend, int? ScoreThen, DateOnly? Since, IReadOnlyList<QbrTrendDay> Days, IReadOnlyList<QbrDriver> Drivers);

/// <summary>Adoption: active users, seats, the configured key features used in the last 30 days and not, milestones reached.</summary>
public sealed record QbrAdoption(int ActiveUsers30d, int ActiveUsers7d, int LicensedSeats, double? SeatUtilization, IReadOnlyList<string> KeyFeaturesUsed, IReadOnlyList<string> KeyFeaturesNotUsed);

/// <summary>Support over the last 60 days: tickets opened and solved, urgent ones open now, CSAT (good ÷ rated; null when none rated), the latest NPS.</summary>
public sealed record QbrSupport(int TicketsOpened, int TicketsSolved, int OpenUrgent, int SatisfactionRated, double? Csat, int? Nps, DateTimeOffset? NpsAt);

/// <summary>One success milestone (first value, then the configured ones): reached when, or not yet.</summary>
public sealed record QbrMilestone(string Name, DateTimeOffset? ReachedAt);

/// <summary>
/// A QBR pack for one account as of <see cref="AsOf"/>: who and what it is, its health trend with drivers in words,
/// adoption, support, value delivered against the success milestones, open risks, open expansion opportunities (the
/// Opportunity alerts' reasons, with their estimate) and the recommended next steps.
/// </summary>
public sealed record QbrPack(
    string AccountId,
    string? AccountName,
    string? CsmEmail,
    AccountSegment Segment,
    long ArrCents,
    DateTimeOffset? RenewalDate,
    DateTimeOffset AsOf,
    QbrHealth Health,
    QbrAdoption Adoption,
    QbrSupport Support,
    IReadOnlyList<QbrMilestone> Milestones,
    IReadOnlyList<string> Risks,
    IReadOnlyList<string> NextSteps,
    IReadOnlyList<string> Opportunities);

/// <summary>
/// Builds the QBR pack from the account's signals, its health view (90 days of history) and its open alerts. Pure.
/// <para>Drivers: each dimension's change from the first day of the trend to now, weighted as the score weighs it
/// (points = weight × change ÷ 100), the three that moved most. Next steps follow the band's motion in the playbooks
/// (Green: expansion motion and a reference request; Yellow: a check-in within 7 days and a risk assessment; Red:
/// executive escalation within 48 hours and a save plan), then the renewal (inside 120 days: value review and renewal
/// options; Red inside 90: the save team now), onboarding (first value not reached), stakeholder coverage (no
/// champion or executive sponsor) and a detractor's NPS (close the loop).</para>
/// </summary>
public static class QbrPackBuilder
{
    private const int DriversShown = 3;

    public static QbrPack Build(AccountSignals account, AccountHealthView health, IReadOnlyList<Alert> openAlerts, ProductOptions product, HealthWeights weights, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(openAlerts);
        ArgumentNullException.ThrowIfNull(product);
        ArgumentNullException.ThrowIfNull(weights);

        var first = health.History.Count > 0 ? health.History[0] : null;
        var drivers = first is null
            ? []
            : Enum.GetValues<HealthDimension>()
                .Select(d => (Dimension: d, From: first.Dimensions.GetValueOrDefault(d), To: health.Dimensions.GetValueOrDefault(d)))
                .Select(c => new QbrDriver(c.Dimension, c.From, c.To, weights.Get(c.Dimension) * (c.To - c.From) / 100d, DriverWords(c.Dimension, c.From, c.To, weights.Get(c.Dimension) * (c.To - c.From) / 100d)))
                .Where(d => d.From != d.To)
                .OrderByDescending(d => Math.Abs(d.Points))
                .ThenBy(d => d.Dimension)
                .Take(DriversShown)
                .ToList();
        var trend = new QbrHealth(health.Score, health.Band, health.Trend, first?.Score, first?.Day, [.. health.History.Select(h => new QbrTrendDay(h.Day, h.Score, h.Band))], drivers);

        var keyFeatures = product.KeyFeatures.ToList();
        var adoption = new QbrAdoption(
            account.ActiveUsers30d,
            account.ActiveUsers7d,
            account.LicensedSeats,
            account.LicensedSeats > 0 ? (double)account.ActiveUsers30d / account.LicensedSeats : null,
            [.. keyFeatures.Where(f => account.KeyFeaturesUsed30d.Contains(f))],
            [.. keyFeatures.Where(f => !account.KeyFeaturesUsed30d.Contains(f))]);

        var (opened, solved, good, bad) = (0, 0, 0, 0);
        foreach (var day in account.Days)
        {
            opened += day.TicketsOpened;
            solved += day.TicketsSolved;
            good += day.SatisfactionGood;
            bad += day.SatisfactionBad;
        }

        var support = new QbrSupport(opened, solved, account.OpenUrgentTickets, good + bad, good + bad == 0 ? null : (double)good / (good + bad), account.LastNpsScore, account.LastNpsAt);
        var milestones = new[] { product.FirstValueMilestone }.Concat(product.SuccessMilestones)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(m => new QbrMilestone(m, account.Milestones.TryGetValue(m, out var at) ? at : null))
            .ToList();

        var risks = openAlerts.Where(a => a.Tier.IsRisk()).OrderByDescending(a => a.Tier).ThenBy(a => a.DueBy).Select(a => $"{a.Tier}: {a.Reason}").ToList();
        if (account.CancelAtPeriodEnd || account.CancelAt is not null)
        {
            risks.Insert(0, "Notice of cancellation given");
        }

        // An open expansion opportunity is no risk: it is what the Green motion brings to the review.
        var opportunities = openAlerts.Where(a => !a.Tier.IsRisk()).OrderBy(a => a.RaisedAt).Select(a => a.Reason).ToList();
        return new QbrPack(
            account.AccountId, account.Name ?? health.AccountName, account.CsmEmail, health.Segment, account.MrrCents * 12, account.RenewalDate, asOf,
            trend, adoption, support, milestones, risks, NextSteps(account, health, milestones, asOf), opportunities);
    }

    private static List<string> NextSteps(AccountSignals account, AccountHealthView health, List<QbrMilestone> milestones, DateTimeOffset asOf)
    {
        var steps = new List<string>
        {
            health.Band switch
            {
                HealthBand.Green => "Expansion motion: bring one expansion opportunity backed by the value delivered, and ask for a reference.",
                HealthBand.Yellow => "Check in within 7 days and assess the risks named below.",
                _ => "Escalate to the executive sponsor within 48 hours and agree a save plan.",
            },
        };
        if (account.RenewalDate is { } renewal && renewal > asOf && renewal <= asOf.AddDays(120))
        {
            var days = (int)Math.Floor((renewal - asOf).TotalDays);
            steps.Add(health.Band == HealthBand.Red && days <= 90
                ? string.Create(CultureInfo.InvariantCulture, $"Renewal in {days} days while Red: assemble the save team (CS, Sales, Exec) now.")
                : string.Create(CultureInfo.InvariantCulture, $"Renewal in {days} days: review the value delivered and present the renewal options."));
        }

        if (milestones.Count > 0 && milestones[0].ReachedAt is null)
        {
            steps.Add("First value not reached yet: agree the path to it and a date.");
        }

        if (!account.Relationship.HasChampion || !account.Relationship.HasExecutiveSponsor)
        {
            steps.Add("Map at least two stakeholders: " + (account.Relationship.HasChampion ? "an executive sponsor is missing." : account.Relationship.HasExecutiveSponsor ? "a champion is missing." : "no champion or executive sponsor is known."));
        }

        if (account.LastNpsScore is <= 6)
        {
            steps.Add("The last NPS answer was a detractor's: close the loop on what drove it.");
        }

        return steps;
    }

    private static string DriverWords(HealthDimension dimension, int from, int to, double points) => string.Create(
        CultureInfo.InvariantCulture,
        $"{DimensionWords(dimension)} {(to > from ? "rose" : "fell")} from {from} to {to}, {(points < 0 ? "taking" : "adding")} {Math.Abs(points):0.#} points {(points < 0 ? "from" : "to")} the score");

    public static string DimensionWords(HealthDimension dimension) => dimension switch
    {
        HealthDimension.ProductUsage => "Product usage",
        _ => dimension.ToString(),
    };
}
