using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// <see cref="ILifecycleFactsSource"/> over what the other features store: the account's signals (ingestion) and its
/// latest health score (health). An account not yet scored is placed in its segment by revenue, as the health model
/// would place it; contacts are its known users with an email, minus those who left.
/// </summary>
internal sealed class LifecycleFactsReader(
    ITableStore tables,
    AccountSignalReader signals,
    HealthScoreCalculator health,
    IHealthScores scores,
    IOptions<LifecycleOptions> options,
    TimeProvider time) : ILifecycleFactsSource
{
    public async Task<LifecycleAccountFacts?> GetAsync(string accountId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(accountId)
            || await tables.GetAsync(AccountIdentity.DirectoryTable, AccountIdentity.DirectoryPartition, accountId, ["RowKey"], cancellationToken) is null)
        {
            return null;
        }

        var asOf = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var accountSignals = await signals.ReadAccountAsync(accountId, asOf, cancellationToken);
        return await FromSignalsAsync(accountSignals, asOf, cancellationToken);
    }

    public async Task<LifecycleAccountFacts> FromSignalsAsync(AccountSignals accountSignals, DateOnly asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountSignals);
        var score = await scores.GetLatestAsync(accountSignals.AccountId, cancellationToken);
        return Build(accountSignals, score, health, options.Value, asOf);
    }

    /// <summary>Pure: signals and the latest score → facts.</summary>
    public static LifecycleAccountFacts Build(AccountSignals accountSignals, HealthScore? score, HealthScoreCalculator health, LifecycleOptions options, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(accountSignals);
        ArgumentNullException.ThrowIfNull(health);
        HealthTransition? transition = null;
        if (score is not null)
        {
            // The band before the current one, from the daily score history (null when the account has no earlier day).
            var before = score.History.ScoreOn(score.BandSince.AddDays(-1));
            transition = new HealthTransition
            {
                AccountId = score.AccountId,
                RunId = string.Empty,
                ScoredAt = score.ScoredAt,
                Segment = score.Segment,
                Score = score.Score,
                Band = score.Band,
                PreviousBand = before is { } b ? health.BandOf(b) : null,
                DaysInBand = score.DaysInBand,
            };
        }

        var contacts = accountSignals.Users
            .Where(u => !u.Departed && LifecycleContactId.LooksLikeEmail(u.Email))
            .GroupBy(u => LifecycleContactId.Normalize(u.Email!), StringComparer.Ordinal)
            .Select(g => g.First())
            .Select(u => new LifecycleContact(LifecycleContactId.For(u.Email!), u.Email!.Trim(), u.FirstName, u.TimeZone))
            .ToList();
        return LifecycleAccountFacts.From(accountSignals, transition, health.SegmentOf(accountSignals.MrrCents), contacts, options, asOf);
    }
}
