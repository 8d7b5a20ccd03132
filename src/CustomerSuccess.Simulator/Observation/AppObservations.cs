using System.Globalization;
using System.Text.Json;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Portfolio;
using static CustomerSuccess.Simulator.Observation.TolerantJson;

namespace CustomerSuccess.Simulator.Observation;

internal sealed record HealthPoint(int Day, int? Score, string? Band);

internal sealed record AlertView(string Id, string? AccountId, string Tier, DateTimeOffset? RaisedAt, DateTimeOffset? DueAt, DateTimeOffset? AcknowledgedAt, string? Status, string? Cause, string? AssignedTo, string? RuleId = null);

internal sealed record EmailView(string File, string? To, string? Subject, string Kind, string? Sequence, string? Step, DateTimeOffset? Date);

/// <summary>
/// Everything the simulator learns back from the app, all of it over the app's own HTTP APIs and the local email
/// outbox folder: a daily portfolio snapshot (GET /api/portfolio), each account's score history
/// (GET /api/accounts/{id}/health), the alerts (GET /api/alerts). The shapes are read tolerantly (see
/// <see cref="TolerantJson"/>); what could not be read is reported as missing, never invented.
/// </summary>
internal sealed class AppObservations
{
    private readonly AppClient _app;
    private readonly SimulatedPortfolio _portfolio;
    private readonly Dictionary<string, string> _keys = new(StringComparer.OrdinalIgnoreCase);

    public AppObservations(AppClient app, SimulatedPortfolio portfolio)
    {
        _app = app;
        _portfolio = portfolio;
        foreach (var a in portfolio.Accounts)
        {
            _keys[a.AccountId] = a.AccountId;
            _keys[a.StripeCustomerId] = a.AccountId;
            _keys[a.ZendeskOrganizationId.ToString(CultureInfo.InvariantCulture)] = a.AccountId;
            _keys.TryAdd(a.Name, a.AccountId);
        }
    }

    /// <summary>Per account, per simulated day: the band and score the app showed in its portfolio view that day.</summary>
    public Dictionary<string, SortedDictionary<int, HealthPoint>> DailyBands { get; } = new(StringComparer.Ordinal);

    public bool PortfolioApiAvailable { get; private set; }

    public bool HealthApiAvailable { get; private set; }

    public bool AlertsApiAvailable { get; private set; }

    public List<AlertView> Alerts { get; set; } = [];

    public List<EmailView> Emails { get; private set; } = [];

    /// <summary>Portfolio-level figures the app itself reports (e.g. NRR), if any.</summary>
    public Dictionary<string, double> AppFigures { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? Resolve(string? key) => key is not null && _keys.TryGetValue(key, out var id) ? id : null;

    private string? ResolveAccount(JsonElement item) =>
        Resolve(String(item, "accountId", "account_id", "id")) ?? Resolve(String(item, "stripeCustomerId", "stripe_customer_id", "customerId")) ?? Resolve(String(item, "name", "accountName"));

    /// <summary>Takes the day's portfolio snapshot; returns how many accounts carried a score.</summary>
    public async Task<int> SnapshotPortfolioAsync(int day, CancellationToken cancellationToken)
    {
        using var doc = await _app.GetJsonAsync("/api/portfolio", cancellationToken);
        if (doc is null)
        {
            return 0;
        }

        PortfolioApiAvailable = true;
        var scored = 0;
        foreach (var item in Items(doc.RootElement, "accounts", "atRisk"))
        {
            var id = ResolveAccount(item);
            if (id is null)
            {
                continue;
            }

            var score = Number(item, "score", "healthScore", "health_score");
            var band = Band(item, "band", "healthBand", "health_band");
            if (Member(item, "health") is { ValueKind: JsonValueKind.Object } health)
            {
                score ??= Number(health, "score");
                band ??= Band(health, "band");
            }

            if (score is null && band is null)
            {
                continue;
            }

            scored++;
            if (!DailyBands.TryGetValue(id, out var days))
            {
                days = [];
                DailyBands[id] = days;
            }

            days[day] = new HealthPoint(day, score is null ? null : (int)Math.Round(score.Value), band);
        }

        // The app lists only accounts at risk one by one; its band counts say how many it scored in all.
        if (Member(doc.RootElement, "bands") is { ValueKind: JsonValueKind.Object } bands)
        {
            var total = bands.EnumerateObject().Where(s => s.Value.ValueKind == JsonValueKind.Object)
                .SelectMany(s => s.Value.EnumerateObject()).Sum(b => b.Value.TryGetInt32(out var n) ? n : 0);
            scored = Math.Max(scored, total);
        }

        if (doc.RootElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in new[] { "nrr", "grr", "netRevenueRetention", "grossRevenueRetention", "logoChurn" })
            {
                if (Number(doc.RootElement, name) is { } v)
                {
                    AppFigures[name] = v;
                }
            }
        }

        return scored;
    }

    /// <summary>Fills gaps in the daily bands from each account's own history (the health API), where it has one.</summary>
    public async Task CollectHistoriesAsync(int concurrency, CancellationToken cancellationToken)
    {
        var found = 0;
        await Parallel.ForEachAsync(_portfolio.Accounts, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (a, ct) =>
        {
            using var doc = await _app.GetJsonAsync($"/api/accounts/{Uri.EscapeDataString(a.AccountId)}/health", ct);
            if (doc is null)
            {
                return;
            }

            Interlocked.Increment(ref found);
            var history = Member(doc.RootElement, "history", "daily", "days", "scores") is { ValueKind: JsonValueKind.Array } h ? h.EnumerateArray() : Items(doc.RootElement);
            var points = new List<HealthPoint>();
            foreach (var item in history)
            {
                var at = Time(item, "day", "date", "scoredAt", "asOf", "timestamp");
                if (at is null)
                {
                    continue;
                }

                var day = PortfolioGenerator.DayOf(at.Value, _portfolio.Day0);
                var score = Number(item, "score");
                points.Add(new HealthPoint(day, score is null ? null : (int)Math.Round(score.Value), Band(item, "band")));
            }

            lock (DailyBands)
            {
                if (!DailyBands.TryGetValue(a.AccountId, out var days))
                {
                    days = [];
                    DailyBands[a.AccountId] = days;
                }

                foreach (var p in points)
                {
                    days.TryAdd(p.Day, p);
                }
            }
        });
        HealthApiAvailable = found > 0;
    }

    public async Task<List<AlertView>> ReadAlertsAsync(CancellationToken cancellationToken)
    {
        using var doc = await _app.GetJsonAsync("/api/alerts", cancellationToken);
        if (doc is null)
        {
            return Alerts;
        }

        AlertsApiAvailable = true;
        var alerts = new List<AlertView>();
        foreach (var item in Items(doc.RootElement, "alerts"))
        {
            var id = String(item, "id", "alertId", "alert_id");
            if (id is null)
            {
                continue;
            }

            alerts.Add(new AlertView(
                id,
                ResolveAccount(item) ?? String(item, "accountId", "account_id"),
                Tier(item, "tier", "severity", "level") ?? "Unknown",
                Time(item, "raisedAt", "createdAt", "created", "raised_at"),
                Time(item, "dueAt", "dueBy", "due", "slaDueAt", "due_at"),
                Time(item, "acknowledgedAt", "ackedAt", "acknowledged_at"),
                String(item, "status", "state"),
                String(item, "rule", "reason", "cause", "trigger", "title"),
                String(item, "assignedTo", "assignee", "csmEmail", "onCall", "recipient"),
                String(item, "ruleId", "rule_id")));
        }

        Alerts = alerts;
        return alerts;
    }

    /// <summary>Reads the outbox folder: one .eml per email, as the recipient would get it.</summary>
    public List<EmailView> ReadOutbox(string outbox)
    {
        var emails = new List<EmailView>();
        if (!Directory.Exists(outbox))
        {
            Emails = emails;
            return emails;
        }

        foreach (var file in Directory.EnumerateFiles(outbox, "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var headers = EmlHeaders.Read(file);
            var category = headers.GetValueOrDefault("x-category") ?? headers.GetValueOrDefault("x-email-category")
                ?? headers.Where(h => h.Key.Contains("category", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault()
                ?? Path.GetRelativePath(outbox, file);
            var tokens = category.ToUpperInvariant().Split(['/', '\\', '_', '.', ' '], StringSplitOptions.RemoveEmptyEntries).Select(t => t.ToLowerInvariant()).ToList();
            string kind = "other";
            string? sequence = null;
            string? step = null;
            var li = tokens.IndexOf("lifecycle");
            var ai = tokens.IndexOf("alert");
            if (li < 0)
            {
                ai = ai < 0 ? tokens.IndexOf("alerts") : ai;
            }

            if (li >= 0)
            {
                kind = "lifecycle";
                sequence = tokens.ElementAtOrDefault(li + 1);
                step = tokens.ElementAtOrDefault(li + 2);
            }
            else if (ai >= 0)
            {
                kind = "alert";
                sequence = tokens.ElementAtOrDefault(ai + 1);
            }

            DateTimeOffset? date = headers.TryGetValue("date", out var d) && DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
            emails.Add(new EmailView(file, headers.GetValueOrDefault("to"), headers.GetValueOrDefault("subject"), kind, sequence, step, date));
        }

        Emails = emails;
        return emails;
    }
}

/// <summary>The header block of an RFC 5322 message (folded lines unfolded), names lower-cased.</summary>
internal static class EmlHeaders
{
    public static Dictionary<string, string> Read(string path)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                break;
            }

            if ((line[0] == ' ' || line[0] == '\t') && last is not null)
            {
                headers[last] += " " + line.Trim();
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            last = line[..colon].Trim().ToLowerInvariant();
            headers[last] = line[(colon + 1)..].Trim();
        }

        return headers;
    }
}
