using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>One tier's alert SLA by the simulator's record: episodes owed in the period, acknowledged by their due time.</summary>
internal sealed record SlaTierRecord(string Tier, int Due, int OnTime)
{
    public double? Rate => Due == 0 ? null : (double)OnTime / Due;
}

/// <summary>QBRs by the simulator's record over a window, by the formula the app documents: held ÷ (accounts due × days ÷ cadence).</summary>
internal sealed record QbrRecord(int FirstDay, int LastDay, int AccountsDue, double QbrsDue, int QbrsHeld)
{
    public double? Rate => AccountsDue == 0 ? null : QbrsHeld / QbrsDue;
}

/// <summary>What the period's expansions actually made good: expansion MRR ÷ churn and contraction MRR (null when nothing was lost).</summary>
internal sealed record ExpansionRecord(int Expansions, long ExpansionMrrCents, long ChurnAndContractionMrrCents)
{
    public double? Coverage => ChurnAndContractionMrrCents == 0 ? null : (double)ExpansionMrrCents / ChurnAndContractionMrrCents;
}

/// <summary>
/// The simulator's own record of the CS team's work and the revenue it protected, to stand beside the app's
/// GET /api/metrics: alert SLA attainment per tier, QBR completion and what expansions made good.
/// </summary>
internal sealed record OperationsRecord(IReadOnlyList<SlaTierRecord> Sla, QbrRecord? Qbr, ExpansionRecord Expansion)
{
    public static readonly string[] RiskTiers = ["Critical", "Warning", "Watch"];

    /// <summary>
    /// Episodes whose due time falls in [<paramref name="from"/>, <paramref name="until"/>) and were owed: acknowledged,
    /// or shown still open past their due time (an episode the app cleared before its due time with nobody acting on it
    /// was owed nothing, as in the app's rule). On time: acknowledged by the due time.
    /// </summary>
    public static IReadOnlyList<SlaTierRecord> SlaOf(IEnumerable<AlertEpisodeRecord> episodes, DateTimeOffset from, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        var owed = episodes.Where(e => e.DueAt >= from && e.DueAt < until && (e.AcknowledgedAt is not null || e.SeenOpenPastDue)).ToList();
        return [.. RiskTiers.Select(t => new SlaTierRecord(
            t,
            owed.Count(e => e.Tier == t),
            owed.Count(e => e.Tier == t && e.AcknowledgedAt <= e.DueAt)))];
    }

    /// <summary>
    /// Accounts due: above the tech-touch segment (the simulated CSMs hold QBRs with Mid-Market and Enterprise only),
    /// paying at the start of the window (started by its first day and not churned before it). QBRs held: those
    /// accounts' QBRs in the window.
    /// </summary>
    public static QbrRecord QbrsOf(IEnumerable<(string AccountId, Segment Segment, int StartDay)> accounts, IEnumerable<ChurnRecord> churns, IEnumerable<(string AccountId, int Day)> held, int firstDay, int lastDay, int cadenceDays)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentOutOfRangeException.ThrowIfLessThan(cadenceDays, 1);
        var churnedBefore = churns.Where(c => c.Day < firstDay).Select(c => c.AccountId).ToHashSet(StringComparer.Ordinal);
        var due = accounts
            .Where(a => a.Segment != Segment.Smb && a.StartDay <= firstDay && !churnedBefore.Contains(a.AccountId))
            .Select(a => a.AccountId)
            .ToHashSet(StringComparer.Ordinal);
        var count = held.Count(q => q.Day >= firstDay && q.Day <= lastDay && due.Contains(q.AccountId));
        return new QbrRecord(firstDay, lastDay, due.Count, due.Count * (double)(lastDay - firstDay + 1) / cadenceDays, count);
    }

    /// <summary>The MRR movements the simulator made on days [<paramref name="firstDay"/>, <paramref name="lastDay"/>], every account.</summary>
    public static ExpansionRecord ExpansionsOf(IEnumerable<MrrMovement> movements, int firstDay, int lastDay)
    {
        var inPeriod = movements.Where(m => m.Day >= firstDay && m.Day <= lastDay).ToList();
        var expansions = inPeriod.Where(m => m.Kind == MrrMovementKind.Expansion).ToList();
        var lost = -inPeriod.Where(m => m.Kind is MrrMovementKind.Churn or MrrMovementKind.Contraction).Sum(m => m.DeltaCents);
        return new ExpansionRecord(expansions.Count, expansions.Sum(m => m.DeltaCents), lost);
    }
}
