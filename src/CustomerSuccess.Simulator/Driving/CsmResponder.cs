using CustomerSuccess.Simulator.Observation;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Driving;

/// <summary>
/// Plays the CSMs: each alert they see gets acknowledged after a human delay (shorter for higher tiers; now and
/// then someone is slow), through the app's API like a person clicking "acknowledge":
/// POST /api/alerts/{accountId}/{ruleId}/acknowledge with {"by": email, "note"}. An alert the app reopens (a worse
/// tier, or one tier up for being overdue) asks for a new acknowledgement, so each of its episodes (tier and due time)
/// is planned and acknowledged on its own; a reopened episode's delay runs from the read that first showed it.
/// </summary>
internal sealed class CsmResponder
{
    private readonly AppClient _app;
    private readonly SimulatedPortfolio _portfolio;
    private readonly GroundTruth _truth;
    private readonly Random _rng;
    private readonly Dictionary<string, DateTimeOffset> _planned = new(StringComparer.Ordinal);
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public CsmResponder(AppClient app, SimulatedPortfolio portfolio, GroundTruth truth, int seed)
    {
        _app = app;
        _portfolio = portfolio;
        _truth = truth;
        _rng = new Random(StableSeed.Of(seed, 0xc5));
    }

    public int Failed { get; private set; }

    /// <summary>
    /// Acknowledges the alerts whose human delay has passed by <paramref name="now"/>, or will pass before the app's clock
    /// next moves (<paramref name="nextStep"/>) and before the alert is due: the app cannot tell an acknowledgement now
    /// from one later in the same step, and a CSM on time must not be escalated for the step's length. Returns how many.
    /// </summary>
    public async Task<int> RespondAsync(IReadOnlyList<AlertView> alerts, DateTimeOffset now, DateTimeOffset nextStep, CancellationToken cancellationToken)
    {
        var acknowledged = 0;
        foreach (var alert in alerts)
        {
            var episode = Episode(alert);
            if (alert.DueAt is { } dueAt && alert.Tier != SeenAlert.OpportunityTier)
            {
                // The simulator's own record of the SLA: what its CSMs were shown, and an episode left open past its due time.
                _truth.RecordAlertShown(episode, alert.Tier, dueAt, alert.AcknowledgedAt is null && dueAt < now && !IsResolved(alert));
            }

            if (alert.AcknowledgedAt is not null || _done.Contains(episode))
            {
                continue;
            }

            if (!_planned.TryGetValue(episode, out var when))
            {
                var raised = _seen.Add(alert.Id) ? alert.RaisedAt ?? now : now;
                var medianHours = alert.Tier switch { "Critical" => 2.0, "Warning" => 8.0, _ => 24.0 };
                var slow = _rng.NextDouble() < 0.15 ? 4.0 : 1.0;
                when = raised.AddHours(medianHours * slow * -Math.Log(1 - (_rng.NextDouble() * 0.9)) / Math.Log(2));
                _planned[episode] = when;
            }

            if (when > now && (when > nextStep || (alert.DueAt is { } due && when > due)))
            {
                continue;
            }

            var by = alert.CsmEmail ?? _portfolio.Accounts.FirstOrDefault(a => a.AccountId == alert.AccountId)?.CsmEmail ?? _portfolio.Csms[0].Email;
            var path = $"/api/alerts/{Uri.EscapeDataString(alert.AccountId)}/{Uri.EscapeDataString(alert.RuleId)}/acknowledge";
            var status = await _app.PostJsonAsync(path, new { by, note = "Seen; reaching out to the account." }, cancellationToken);
            _done.Add(episode);
            if (status is >= 200 and < 300)
            {
                _truth.RecordAlertAcknowledged(episode, now);
                acknowledged++;
            }
            else
            {
                Failed++;
            }
        }

        return acknowledged;
    }

    private static bool IsResolved(AlertView alert) => string.Equals(alert.Status, "Resolved", StringComparison.OrdinalIgnoreCase);

    private static string Episode(AlertView alert) =>
        $"{alert.Id}|{alert.Tier}|{alert.DueAt?.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}";
}
