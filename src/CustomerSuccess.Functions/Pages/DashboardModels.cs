using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Playbooks;
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

/// <summary>The portfolio page: the filtered counts and at-risk page, the band trend of the last 90 days (of the segment filtered on, else of all), open alerts by tier.</summary>
/// <remarks><see cref="CountedAt"/>: when the counts and ranking were read (the hourly snapshot's time for the unfiltered first pages, else now).</remarks>
public sealed record PortfolioModel(PortfolioPage Portfolio, IReadOnlyList<TrendPoint> Trend, IReadOnlyList<TierSla> OpenAlerts, IReadOnlyList<string> Csms, DateTimeOffset AsOf, DateTimeOffset CountedAt);

/// <summary>One day of the band trend.</summary>
public sealed record TrendPoint(DateOnly Day, int Red, int Yellow, int Green)
{
    public int Total => Red + Yellow + Green;
}

/// <summary>
/// The account page. <see cref="Activity"/>: the external ids the account is known by and its latest events, newest
/// first (null when the account has no state yet: scored, but no event folded). <see cref="OpenTasks"/>: the open
/// playbook tasks, latest trigger first.
/// </summary>
public sealed record AccountModel(
    AccountHealthView Health,
    IReadOnlyList<AlertLine> OpenAlerts,
    IReadOnlyList<Alert> PastAlerts,
    IReadOnlyList<LifecycleEnrollment> Enrollments,
    DateTimeOffset AsOf,
    AccountActivity? Activity,
    IReadOnlyList<PlaybookTask> OpenTasks);

/// <summary>A CSM's ranked list, one page of it (<see cref="ListPage"/>).</summary>
public sealed record MyDayModel(string? Csm, IReadOnlyList<MyDayItem> Items, IReadOnlyList<string> Csms, DateTimeOffset AsOf, ListPage Paging);

/// <summary>The open alerts, one page of them (<see cref="ListPage"/>).</summary>
public sealed record AlertsModel(AlertTier? Tier, string? Csm, IReadOnlyList<AlertLine> Alerts, DateTimeOffset AsOf, ListPage Paging);

/// <summary>
/// Which page of a long list a page shows: <see cref="Number"/> counts from 0, <see cref="Size"/> rows each, of
/// <see cref="Total"/>. A CS leader's unfiltered alert list at 100,000 accounts holds thousands of rows (16 MB of HTML
/// for 10,000: docs/benchmarks.md, "Portfolio view"), so long lists come a page at a time.
/// </summary>
public sealed record ListPage(int Number, int Size, int Total)
{
    public const int DefaultSize = 100;

    public int Pages => Math.Max(1, (Total + Size - 1) / Size);

    /// <summary>The rows of page <paramref name="page"/> (clamped to the pages there are) and where they sit in the list.</summary>
    public static (IReadOnlyList<T> Rows, ListPage Page) Of<T>(IReadOnlyList<T> all, int? page, int size = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(all);
        var last = Math.Max(0, (all.Count - 1) / size);
        var number = Math.Clamp(page ?? 0, 0, last);
        return ([.. all.Skip(number * size).Take(size)], new ListPage(number, size, all.Count));
    }
}
