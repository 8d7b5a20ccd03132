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

/// <summary>What the simulator knows for certain because it made it happen: starting MRR, every MRR movement and every churn with its day and reason.</summary>
internal sealed class GroundTruth
{
    private readonly Lock _gate = new();

    public Dictionary<string, long> StartingMrr { get; } = new(StringComparer.Ordinal);

    public List<MrrMovement> Movements { get; } = [];

    public List<ChurnRecord> Churns { get; } = [];

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
            Movements.Add(new MrrMovement(churn.Day, churn.AccountId, MrrMovementKind.Churn, -churn.MrrCents));
        }
    }

    /// <summary>Net and gross revenue retention and logo churn over the period, for the accounts live at day 0.</summary>
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

internal sealed record RetentionFigures(
    long StartingMrrCents,
    long ExpansionCents,
    long ContractionCents,
    long ChurnedCents,
    long NewBusinessCents,
    double NetRevenueRetention,
    double GrossRevenueRetention,
    int StartingLogos,
    int LogosChurned,
    double LogoChurnRate);
