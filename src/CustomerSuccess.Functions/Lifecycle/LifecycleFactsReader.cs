using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>
/// <see cref="ILifecycleFactsSource"/> over what the other features publish: the account's signals
/// (<see cref="IAccountSignalSource"/>) and its latest health score (<see cref="IHealthScores"/>). An account not yet
/// scored is placed in its segment by revenue, as the health model would place it; contacts are its known users with
/// an email, minus those who left.
/// </summary>
internal sealed class LifecycleFactsReader(
    IAccountSignalSource signals,
    HealthScoreCalculator health,
    IHealthScores scores,
    IOptions<ProductOptions> product,
    TimeProvider time) : ILifecycleFactsSource
{
    public async Task<LifecycleAccountFacts?> GetAsync(string accountId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(accountId))
        {
            return null;
        }

        // The two reads side by side: a send waits on them, and an account that is gone is rare.
        var asOf = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var reading = signals.ReadAccountAsync(accountId, asOf, cancellationToken);
        var scoring = scores.GetLatestAsync(accountId, cancellationToken);
        await Task.WhenAll(reading, scoring);
        return await reading is { } accountSignals ? Build(accountSignals, await scoring, health, product.Value, asOf) : null;
    }

    /// <summary>The facts of a page of accounts, with their scores read in one go.</summary>
    public async Task<IReadOnlyList<LifecycleAccountFacts>> FromPageAsync(IReadOnlyList<AccountSignals> page, DateOnly asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var latest = await scores.GetLatestAsync([.. page.Select(a => a.AccountId)], cancellationToken);
        return [.. page.Select(a => Build(a, latest.GetValueOrDefault(a.AccountId), health, product.Value, asOf))];
    }

    /// <summary>Pure: signals and the latest score → facts.</summary>
    public static LifecycleAccountFacts Build(AccountSignals accountSignals, HealthScore? score, HealthScoreCalculator health, ProductOptions product, DateOnly asOf)
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
                PreviousBand = before is { } b ? health.BandOf(score.Segment, b) : null,
                DaysInBand = score.DaysInBand,
            };
        }

        var contacts = accountSignals.Users
            .Where(u => !u.Departed && LifecycleContactId.LooksLikeEmail(u.Email))
            .GroupBy(u => LifecycleContactId.Normalize(u.Email!), StringComparer.Ordinal)
            .Select(g => g.First())
            .Select(u => new LifecycleContact(LifecycleContactId.For(u.Email!), u.Email!.Trim(), u.FirstName, u.TimeZone))
            .ToList();
        return LifecycleAccountFacts.From(accountSignals, transition, health.SegmentOf(accountSignals.MrrCents), contacts, product, asOf);
    }
}
