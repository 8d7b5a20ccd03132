using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;

namespace CustomerSuccess.Functions.Pages;

/// <summary>An active alert as the pages show it: the alert and where it stands against its service level.</summary>
public sealed record AlertLine(Alert Alert, SlaStatus Sla);

/// <summary>Open alerts of one tier, counted by service-level status.</summary>
public sealed record TierSla(AlertTier Tier, int OnTime, int DueSoon, int Overdue)
{
    public int Total => OnTime + DueSoon + Overdue;
}

public sealed record PortfolioModel(PortfolioPage Portfolio, IReadOnlyList<TierSla> OpenAlerts, IReadOnlyList<string> Csms, DateTimeOffset AsOf);

public sealed record AccountModel(
    AccountHealthView Health,
    IReadOnlyList<AlertLine> OpenAlerts,
    IReadOnlyList<Alert> PastAlerts,
    IReadOnlyList<LifecycleEnrollment> Enrollments,
    DateTimeOffset AsOf);

public sealed record MyDayModel(string? Csm, IReadOnlyList<MyDayItem> Items, IReadOnlyList<string> Csms, DateTimeOffset AsOf);

public sealed record AlertsModel(AlertTier? Tier, string? Csm, IReadOnlyList<AlertLine> Alerts, DateTimeOffset AsOf);
