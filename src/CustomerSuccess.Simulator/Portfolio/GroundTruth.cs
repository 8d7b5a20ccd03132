namespace CustomerSuccess.Simulator.Portfolio;

internal enum MrrMovementKind
{
    NewBusiness,
    Expansion,
    Contraction,
    Churn,
}

internal sealed record MrrMovement(int Day, string AccountId, MrrMovementKind Kind, long DeltaCents);

internal sealed record ChurnRecord(string AccountId, int Day, string Reason, long MrrCents, bool Involuntary);

/// <summary>Things the simulator sent that the app may act on; each alert and email is traced back to one of them.</summary>
internal enum FactKind
{
    SubscriptionStarted,
    PaymentFailed,
    Dispute,
    ChampionLeft,
    UrgentTicket,
    ComplaintTicket,
    CancellationNotice,
    Churned,

    /// <summary>A subscription period ends on this day (a renewal date the app has been told of).</summary>
    PeriodEnds,
}

internal sealed record Fact(string AccountId, int Day, FactKind Kind);

/// <summary>
/// One episode of a risk alert (its tier and due time) as the simulated CSMs were shown it: when they acknowledged it
/// (null: never), and whether a daily read showed it still open and unacknowledged after its due time.
/// </summary>
internal sealed record AlertEpisodeRecord(string Tier, DateTimeOffset DueAt, DateTimeOffset? AcknowledgedAt, bool SeenOpenPastDue);

/// <summary>What the simulator knows for certain because it made it happen: starting MRR, every MRR movement and every churn with its day and reason.</summary>
internal sealed class GroundTruth
{
    private readonly Lock _gate = new();

    public Dictionary<string, long> StartingMrr { get; } = new(StringComparer.Ordinal);

    public List<MrrMovement> Movements { get; } = [];

    public List<ChurnRecord> Churns { get; } = [];

    public List<Fact> Facts { get; } = [];

    /// <summary>Per account, per simulated day: product events sent (Segment track and page calls), the naive baseline's input.</summary>
    public Dictionary<string, Dictionary<int, int>> UsageByDay { get; } = new(StringComparer.Ordinal);

    /// <summary>The QBRs customers attended ("QBR Attended" sent), one entry per QBR: the account and the day.</summary>
    public List<(string AccountId, int Day)> QbrsHeld { get; } = [];

    /// <summary>Every risk alert episode the simulated CSMs were shown, by episode key (alert id, tier, due time).</summary>
    public Dictionary<string, AlertEpisodeRecord> AlertEpisodes { get; } = new(StringComparer.Ordinal);

    public void RecordQbr(string accountId, int day)
    {
        lock (_gate)
        {
            QbrsHeld.Add((accountId, day));
        }
    }

    /// <summary>Notes an episode the CSMs were shown on a daily read; <paramref name="openPastDue"/> once is enough.</summary>
    public void RecordAlertShown(string episode, string tier, DateTimeOffset dueAt, bool openPastDue)
    {
        lock (_gate)
        {
            AlertEpisodes[episode] = AlertEpisodes.TryGetValue(episode, out var known)
                ? known with { SeenOpenPastDue = known.SeenOpenPastDue || openPastDue }
                : new AlertEpisodeRecord(tier, dueAt, null, openPastDue);
        }
    }

    public void RecordAlertAcknowledged(string episode, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (AlertEpisodes.TryGetValue(episode, out var known) && known.AcknowledgedAt is null)
            {
                AlertEpisodes[episode] = known with { AcknowledgedAt = at };
            }
        }
    }

    public void RecordFact(string accountId, int day, FactKind kind)
    {
        lock (_gate)
        {
            Facts.Add(new Fact(accountId, day, kind));
        }
    }

    public void CountUsage(string accountId, int day)
    {
        lock (_gate)
        {
            if (!UsageByDay.TryGetValue(accountId, out var days))
            {
                days = [];
                UsageByDay[accountId] = days;
            }

            days[day] = days.GetValueOrDefault(day) + 1;
        }
    }

    public void Record(MrrMovement movement)
    {
        lock (_gate)
        {
            Movements.Add(movement);
        }
    }

    public void RecordChurn(ChurnRecord churn)
    {
        lock (_gate)
        {
            Churns.Add(churn);
            Facts.Add(new Fact(churn.AccountId, churn.Day, FactKind.Churned));
            Movements.Add(new MrrMovement(churn.Day, churn.AccountId, MrrMovementKind.Churn, -churn.MrrCents));
        }
    }

    /// <summary>Net and gross revenue retention and logo churn over the period, for the accounts live at day 0; ending MRR counts every account.</summary>
    public RetentionFigures Retention()
    {
        var start = StartingMrr.Values.Sum();
        var cohort = StartingMrr.Keys.ToHashSet(StringComparer.Ordinal);
        long Sum(MrrMovementKind kind) => Movements.Where(m => m.Kind == kind && cohort.Contains(m.AccountId)).Sum(m => m.DeltaCents);
        var expansion = Sum(MrrMovementKind.Expansion);
        var contraction = -Sum(MrrMovementKind.Contraction);
        var churned = -Sum(MrrMovementKind.Churn);
        var newBusiness = Movements.Where(m => m.Kind == MrrMovementKind.NewBusiness).Sum(m => m.DeltaCents);
        var logosChurned = Churns.Count(c => cohort.Contains(c.AccountId));
        return new RetentionFigures(
            start,
            start + Movements.Sum(m => m.DeltaCents),
            expansion,
            contraction,
            churned,
            newBusiness,
            start == 0 ? 0 : (double)(start + expansion - contraction - churned) / start,
            start == 0 ? 0 : (double)(start - contraction - churned) / start,
            cohort.Count,
            logosChurned,
            cohort.Count == 0 ? 0 : (double)logosChurned / cohort.Count);
    }
}

/// <summary>Revenue over the period; NRR, GRR and logo churn are over the accounts live on day 0 (new business is outside them).</summary>
internal sealed record RetentionFigures(
    long StartingMrrCents,
    long EndingMrrCents,
    long ExpansionCents,
    long ContractionCents,
    long ChurnedCents,
    long NewBusinessCents,
    double NetRevenueRetention,
    double GrossRevenueRetention,
    int StartingLogos,
    int LogosChurned,
    double LogoChurnRate);
