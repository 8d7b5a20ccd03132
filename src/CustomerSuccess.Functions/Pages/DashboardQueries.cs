using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Playbooks;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Pages;

/// <summary>
/// What each page shows, read through the features' own services (Health's queries, Alerts' commands and store,
/// Lifecycle's store, Accounts' <see cref="IAccountActivity"/>, Playbooks' <see cref="PlaybookTasks"/>), never their tables. The page and its JSON twin are the same model.
/// </summary>
public sealed class DashboardQueries(HealthQueries health, AlertCommands alerts, AlertStore alertStore, ILifecycleStore lifecycle, IAccountActivity activity, PortfolioTrendStore trend, IOptions<AlertsOptions> alertOptions, TimeProvider time, PlaybookTasks playbooks)
{
    /// <summary>Recent events an account page shows.</summary>
    public const int RecentEventsShown = 20;

    public async Task<PortfolioModel> PortfolioAsync(PortfolioQuery query, CancellationToken cancellationToken)
    {
        // Counted and ranked from the portfolio index while it is current (any filter, any page), else a scan.
        // The three reads are independent: an instance's first view loads the index and the open alerts side by side.
        var now = time.GetUtcNow();
        var portfolioRead = health.GetPortfolioPageAsync(query, cancellationToken);
        var openRead = alerts.ListActiveAsync(null, query.CsmEmail, null, cancellationToken);
        var trendRead = trend.ReadAsync(cancellationToken);
        await Task.WhenAll(portfolioRead, openRead, trendRead);
        var portfolio = await portfolioRead;
        var open = await openRead;
        var byTier = AlertTiers.Risk
            .Select(t =>
            {
                var sla = open.Where(a => a.Tier == t).Select(a => AlertSla.Of(a, now, alertOptions.Value)).ToList();
                return new TierSla(t, sla.Count(s => s == SlaStatus.OnTime), sla.Count(s => s == SlaStatus.DueSoon), sla.Count(s => s == SlaStatus.Overdue));
            })
            .ToList();
        var csms = open.Select(a => a.CsmEmail).Concat(portfolio.AtRisk.Select(a => a.CsmEmail)).Concat([query.CsmEmail])
            .OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
        var days = (await trendRead)
            .Select(d => (d.Day, Counts: d.Of(query.Segment)))
            .Select(d => new TrendPoint(d.Day, d.Counts[HealthBand.Red], d.Counts[HealthBand.Yellow], d.Counts[HealthBand.Green]))
            .ToList();
        return new PortfolioModel(portfolio, days, byTier, csms, now, portfolio.AsOf ?? now);
    }

    public async Task<AccountModel?> AccountAsync(string accountId, CancellationToken cancellationToken)
    {
        if (await health.GetAccountAsync(accountId, cancellationToken) is not { } view)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var all = await alertStore.GetForAccountAsync(accountId, cancellationToken);
        var open = all.Where(a => a.IsActive).OrderByDescending(a => a.Tier).ThenBy(a => a.DueBy).Select(a => new AlertLine(a, AlertSla.Of(a, now, alertOptions.Value))).ToList();
        var past = all.Where(a => !a.IsActive).OrderByDescending(a => a.ResolvedAt).ToList();
        var enrollments = await lifecycle.GetEnrollmentsAsync(accountId, cancellationToken);
        var known = await activity.ReadAsync(accountId, RecentEventsShown, cancellationToken);
        var tasks = await playbooks.ListAsync(accountId, cancellationToken);
        return new AccountModel(view, open, past, [.. enrollments.OrderByDescending(e => e.EnrolledAt)], now, known, [.. tasks.Where(t => t.IsOpen)]);
    }

    public async Task<MyDayModel> MyDayAsync(string? csm, int? page, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var open = await alerts.ListActiveAsync(null, csm, null, cancellationToken);
        var csms = open.Select(a => a.CsmEmail).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
        if (string.IsNullOrWhiteSpace(csm))
        {
            return new MyDayModel(null, [], csms, now, new ListPage(0, ListPage.DefaultSize, 0));
        }

        var atRisk = await health.GetPortfolioPageAsync(new PortfolioQuery(CsmEmail: csm, PageSize: PortfolioQuery.MaxPageSize), cancellationToken);
        var (items, paging) = ListPage.Of(MyDayRanking.Rank(open, atRisk.AtRisk, now), page);
        return new MyDayModel(csm, items, csms, now, paging);
    }

    public async Task<AlertsModel> AlertsAsync(AlertTier? tier, string? csm, int? page, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (open, paging) = ListPage.Of(await alerts.ListActiveAsync(tier, csm, null, cancellationToken), page);
        return new AlertsModel(tier, csm, [.. open.Select(a => new AlertLine(a, AlertSla.Of(a, now, alertOptions.Value)))], now, paging);
    }
}
