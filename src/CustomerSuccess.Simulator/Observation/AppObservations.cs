using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Portfolio;
using static CustomerSuccess.Simulator.Observation.TolerantJson;

namespace CustomerSuccess.Simulator.Observation;

/// <summary>One account's score and band on one simulated day, as the app's history recorded it.</summary>
internal sealed record HealthPoint(int Day, int Score, string Band, string ComputedBand);

/// <summary>An alert as GET /api/alerts showed it the last time it was listed.</summary>
internal sealed record AlertView(string Id, string AccountId, string RuleId, string Tier, DateTimeOffset? RaisedAt, DateTimeOffset? DueAt, DateTimeOffset? AcknowledgedAt, string? Status, string? Reason, string? CsmEmail);

/// <summary>Every alert occurrence the API ever listed: its latest view, the first and last day it was seen and every tier it had.</summary>
internal sealed record SeenAlert(AlertView Latest, int FirstSeenDay, IReadOnlySet<string> Tiers, int LastSeenDay)
{
    /// <summary>The tier the app gives expansion opportunities: no risk, counted apart from the churn figures.</summary>
    public const string OpportunityTier = "Opportunity";

    public bool IsOpportunity => Tiers.Contains(OpportunityTier);
}

/// <summary>NRR, GRR and logo churn from the app's own MRR movements (GET /api/metrics), exactly as the app sends them.</summary>
internal sealed record AppMetrics(
    string From,
    string To,
    long StartingMrrCents,
    long EndingMrrCents,
    long NewMrrCents,
    long ExpansionMrrCents,
    long ContractionMrrCents,
    long ChurnedMrrCents,
    long ReactivationMrrCents,
    double? Nrr,
    double? Grr,
    int LogosAtStart,
    int LogosChurned,
    double? LogoChurnRate,
    AppTimeToValue? TimeToValue = null,
    AppOnboardingCompletion? Onboarding = null,
    AppQbrCompletion? Qbr = null,
    IReadOnlyList<AppAlertSla>? AlertSla = null,
    AppExpansionPipeline? ExpansionPipeline = null);

/// <summary>Time to value as GET /api/metrics sends it: accounts that reached first value in the period, median and p90 days from contract start.</summary>
internal sealed record AppTimeToValue(int Accounts, double? MedianDays, double? P90Days);

/// <summary>Onboarding completion as GET /api/metrics sends it.</summary>
internal sealed record AppOnboardingCompletion(int TargetDays, int AccountsDue, int CompletedOnTime, double? Rate);

/// <summary>QBR completion as GET /api/metrics sends it: QBRs held ÷ QBRs due (accounts due × period days ÷ cadence days).</summary>
internal sealed record AppQbrCompletion(int CadenceDays, int AccountsDue, double QbrsDue, int QbrsHeld, double? Rate);

/// <summary>One tier's alert SLA attainment as GET /api/metrics sends it.</summary>
internal sealed record AppAlertSla(string Tier, int Due, int OnTime, double? Rate);

/// <summary>Expansion pipeline coverage as GET /api/metrics sends it: opportunity MRR ÷ the period's churn and contraction MRR.</summary>
internal sealed record AppExpansionPipeline(int Opportunities, long OpportunityMrrCents, long ChurnAndContractionMrrCents, double? Coverage);

internal enum ApiState
{
    NotRead,
    Available,

    /// <summary>The app answered 404: it has no such API (yet).</summary>
    NotProvided,
    Failed,
}

/// <summary>
/// Everything the simulator learns back from the app, only over the app's own HTTP APIs and the local outbox folder:
/// the whole portfolio's daily history (GET /api/health/history), the alerts as they were listed day by day
/// (GET /api/alerts), the portfolio view at the end (GET /api/portfolio), the revenue figures (GET /api/metrics) and
/// the emails. What could not be read is reported as missing, never invented.
/// </summary>
internal sealed class AppObservations
{
    public const int HistoryPageSize = 1000;

    private readonly AppClient _app;
    private readonly SimulatedPortfolio _portfolio;
    private readonly HashSet<string> _accountIds;
    private readonly Dictionary<string, SeenAlert> _alerts = new(StringComparer.Ordinal);

    public AppObservations(AppClient app, SimulatedPortfolio portfolio)
    {
        _app = app;
        _portfolio = portfolio;
        _accountIds = portfolio.Accounts.Select(a => a.AccountId).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Per account, per simulated day: the score and band the app recorded (Green days included).</summary>
    public Dictionary<string, SortedDictionary<int, HealthPoint>> History { get; } = new(StringComparer.Ordinal);

    public ApiState HistoryApi { get; internal set; }

    /// <summary>History items for accounts the simulator never created (should be none).</summary>
    public int HistoryItemsForUnknownAccounts { get; private set; }

    public ApiState AlertsApi { get; private set; }

    /// <summary>Every alert occurrence ever listed, by alert id (account, rule, occurrence).</summary>
    public IReadOnlyDictionary<string, SeenAlert> Alerts => _alerts;

    /// <summary>How many times the alert list was read.</summary>
    public int AlertReads { get; private set; }

    public ApiState PortfolioApi { get; private set; }

    /// <summary>The app's band counts per segment at the end (GET /api/portfolio), segment → band → accounts.</summary>
    public Dictionary<string, Dictionary<string, int>> PortfolioBands { get; } = new(StringComparer.Ordinal);

    public ApiState MetricsApi { get; internal set; }

    public AppMetrics? Metrics { get; private set; }

    public Outbox Outbox { get; private set; } = Outbox.Empty;

    public ApiState RenewalsApi { get; private set; }

    /// <summary>Every renewal line GET /api/renewals listed on the days it was read.</summary>
    public List<Reporting.RenewalForecastSeen> RenewalForecasts { get; } = [];

    /// <summary>
    /// Per snapshot day, each account's health as GET /api/accounts/{id}/health gave it that evening: score, band,
    /// dimensions, flags and every sub-signal. Written to snapshots.json, for a retroactive analysis of the model's
    /// parts against the outcomes in prediction.json (which sub-signal told churners from stayers).
    /// </summary>
    public SortedDictionary<int, List<JsonElement>> HealthSnapshots { get; } = [];

    /// <summary>Reads the health of each of <paramref name="accountIds"/> as the app explains it now and keeps it under <paramref name="day"/>; accounts it does not know (404) are left out.</summary>
    public async Task ReadHealthSnapshotAsync(int day, IEnumerable<string> accountIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountIds);
        var read = new List<JsonElement>();
        foreach (var id in accountIds)
        {
            var (_, doc) = await _app.GetJsonWithStatusAsync($"/api/accounts/{Uri.EscapeDataString(id)}/health", cancellationToken);
            using (doc)
            {
                if (doc is not null)
                {
                    read.Add(doc.RootElement.Clone());
                }
            }
        }

        HealthSnapshots[day] = read;
    }

    /// <summary>Reads the renewal forecast as the app gives it today and keeps each line with the day it was read.</summary>
    public async Task ReadRenewalsAsync(int day, CancellationToken cancellationToken)
    {
        var (status, doc) = await _app.GetJsonWithStatusAsync("/api/renewals", cancellationToken);
        using (doc)
        {
            if (doc is null)
            {
                RenewalsApi = status == 404 ? ApiState.NotProvided : ApiState.Failed;
                return;
            }

            RenewalsApi = ApiState.Available;
            foreach (var item in Items(doc.RootElement, "accounts"))
            {
                if (String(item, "accountId") is not { } accountId || !_accountIds.Contains(accountId) || Time(item, "renewalDate") is not { } renewal)
                {
                    continue;
                }

                RenewalForecasts.Add(new Reporting.RenewalForecastSeen(
                    day,
                    accountId,
                    Portfolio.PortfolioGenerator.DayOf(renewal, _portfolio.Day0),
                    RenewalCategory(item, "category"),
                    (long)(Number(item, "arrCents") ?? 0)));
            }
        }
    }

    /// <summary>Reads the alert list, folds it into every alert seen so far, and returns the alerts listed now.</summary>
    public async Task<IReadOnlyList<AlertView>> ReadAlertsAsync(int day, CancellationToken cancellationToken)
    {
        using var doc = await _app.GetJsonAsync("/api/alerts", cancellationToken);
        if (doc is null)
        {
            AlertsApi = AlertsApi == ApiState.Available ? ApiState.Available : ApiState.Failed;
            return [];
        }

        AlertsApi = ApiState.Available;
        AlertReads++;
        var listed = new List<AlertView>();
        foreach (var item in Items(doc.RootElement, "alerts"))
        {
            var accountId = String(item, "accountId");
            var ruleId = String(item, "ruleId");
            if (accountId is null || ruleId is null)
            {
                continue;
            }

            var view = new AlertView(
                String(item, "alertId") ?? $"{accountId}-{ruleId}",
                accountId,
                ruleId,
                Tier(item, "tier") ?? "Unknown",
                Time(item, "raisedAt"),
                Time(item, "dueBy"),
                Time(item, "acknowledgedAt"),
                String(item, "status"),
                String(item, "reason"),
                String(item, "csmEmail"));
            listed.Add(view);
            Record(view, day);
        }

        return listed;
    }

    /// <summary>Folds one listing of an alert into what is known of it.</summary>
    internal void Record(AlertView view, int day) =>
        _alerts[view.Id] = _alerts.TryGetValue(view.Id, out var seen)
            ? new SeenAlert(view, seen.FirstSeenDay, new HashSet<string>(seen.Tiers) { view.Tier }, Math.Max(seen.LastSeenDay, day))
            : new SeenAlert(view, day, new HashSet<string> { view.Tier }, day);

    /// <summary>Reads the whole portfolio history for days [0, <paramref name="lastDay"/>] page by page; false if it could not be read in full.</summary>
    /// <remarks>Figures use the run's days only; the day after (the recompute at the midnight ending the run) is read too, for comparing with the portfolio view.</remarks>
    public async Task<bool> ReadHistoryAsync(int lastDay, CancellationToken cancellationToken)
    {
        History.Clear();
        HistoryItemsForUnknownAccounts = 0;
        var from = Date(0);
        var to = Date(lastDay);
        string? continuation = null;
        do
        {
            var path = $"/api/health/history?from={from}&to={to}&pageSize={HistoryPageSize}" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            var (status, doc) = await _app.GetJsonWithStatusAsync(path, cancellationToken);
            using (doc)
            {
                if (doc is null)
                {
                    HistoryApi = status == 404 ? ApiState.NotProvided : ApiState.Failed;
                    return false;
                }

                foreach (var item in Items(doc.RootElement))
                {
                    var accountId = String(item, "accountId");
                    var dayText = String(item, "day");
                    if (accountId is null || !DateOnly.TryParseExact(dayText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    {
                        continue;
                    }

                    if (!_accountIds.Contains(accountId))
                    {
                        HistoryItemsForUnknownAccounts++;
                        continue;
                    }

                    var day = date.DayNumber - DateOnly.FromDateTime(_portfolio.Day0.UtcDateTime).DayNumber;
                    if (!History.TryGetValue(accountId, out var days))
                    {
                        days = [];
                        History[accountId] = days;
                    }

                    var band = Band(item, "band") ?? "Unknown";
                    days[day] = new HealthPoint(day, (int)Math.Round(Number(item, "score") ?? 0), band, Band(item, "computedBand") ?? band);
                }

                continuation = String(doc.RootElement, "continuation");
            }
        }
        while (continuation is not null);

        HistoryApi = ApiState.Available;
        return true;
    }

    /// <summary>The app's band counts per segment as its portfolio view shows them now.</summary>
    public async Task ReadPortfolioAsync(CancellationToken cancellationToken)
    {
        var (status, doc) = await _app.GetJsonWithStatusAsync("/api/portfolio", cancellationToken);
        using (doc)
        {
            if (doc is null)
            {
                PortfolioApi = status == 404 ? ApiState.NotProvided : ApiState.Failed;
                return;
            }

            PortfolioApi = ApiState.Available;
            PortfolioBands.Clear();
            if (Member(doc.RootElement, "bands") is { ValueKind: JsonValueKind.Object } bands)
            {
                foreach (var segment in bands.EnumerateObject().Where(s => s.Value.ValueKind == JsonValueKind.Object))
                {
                    PortfolioBands[segment.Name] = segment.Value.EnumerateObject().ToDictionary(b => b.Name, b => b.Value.TryGetInt32(out var n) ? n : 0, StringComparer.Ordinal);
                }
            }
        }
    }

    /// <summary>
    /// GET /api/metrics over the last <see cref="QbrWindowDays"/> days of the run, for QBR completion: the app counts QBRs
    /// from the daily counters it keeps (62 days), so over a longer period it has no rate.
    /// </summary>
    public async Task ReadQbrWindowAsync(int lastDay, CancellationToken cancellationToken)
    {
        var firstDay = Math.Max(0, lastDay - QbrWindowDays + 1);
        var (_, doc) = await _app.GetJsonWithStatusAsync($"/api/metrics?from={Date(firstDay)}&to={Date(lastDay)}", cancellationToken);
        using (doc)
        {
            QbrWindow = doc is not null && ParseMetrics(doc.RootElement) is { Qbr: { } qbr } ? (firstDay, lastDay, qbr) : null;
        }
    }

    public const int QbrWindowDays = 60;

    /// <summary>The app's QBR completion over the run's last days (first and last day of the window), or null when not read.</summary>
    public (int FirstDay, int LastDay, AppQbrCompletion Qbr)? QbrWindow { get; internal set; }

    /// <summary>GET /api/metrics for days [<paramref name="firstDay"/>, <paramref name="lastDay"/>]; a 404 means the app does not provide the figures.</summary>
    public async Task ReadMetricsAsync(int firstDay, int lastDay, CancellationToken cancellationToken)
    {
        var (status, doc) = await _app.GetJsonWithStatusAsync($"/api/metrics?from={Date(firstDay)}&to={Date(lastDay)}", cancellationToken);
        using (doc)
        {
            if (doc is null)
            {
                MetricsApi = status == 404 ? ApiState.NotProvided : ApiState.Failed;
                return;
            }

            UseMetrics(ParseMetrics(doc.RootElement));
        }
    }

    /// <summary>The app's revenue figures as GET /api/metrics sends them (camelCase); null if they do not have that shape.</summary>
    internal static AppMetrics? ParseMetrics(JsonElement json)
    {
        try
        {
            return json.Deserialize<AppMetrics>(MetricsJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal void UseMetrics(AppMetrics? metrics)
    {
        Metrics = metrics;
        MetricsApi = metrics is null ? ApiState.Failed : ApiState.Available;
    }

    private static readonly JsonSerializerOptions MetricsJson = new(JsonSerializerDefaults.Web) { RespectRequiredConstructorParameters = true };

    public void ReadOutbox(string folder) => Outbox = Outbox.Read(folder);

    private string Date(int day) => _portfolio.DateOf(day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
