using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Reviews;

/// <summary>
/// Reads one account's QBR pack through the features' ports: its signals (<see cref="IAccountSignalSource"/>), its
/// health view with 90 days of history (<see cref="HealthQueries"/>: a point read and one partition), its open alerts
/// (<see cref="AlertCommands"/>: one partition), then the pure <see cref="QbrPackBuilder"/>.
/// </summary>
public sealed class QbrPackReader(IAccountSignalSource accounts, HealthQueries health, AlertCommands alerts, IOptions<ProductOptions> product, IOptions<HealthOptions> healthOptions, TimeProvider time)
{
    /// <summary>The pack, or null when the account is unknown or not scored yet.</summary>
    public async Task<QbrPack?> ReadAsync(string accountId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var signals = accounts.ReadAccountAsync(accountId, DateOnly.FromDateTime(now.UtcDateTime), cancellationToken);
        var view = health.GetAccountAsync(accountId, cancellationToken);
        var open = alerts.ListActiveAsync(null, null, accountId, cancellationToken);
        await Task.WhenAll(signals, view, open);
        if (await signals is not { } account || await view is not { } scored)
        {
            return null;
        }

        return QbrPackBuilder.Build(account, scored, await open, product.Value, healthOptions.Value.Weights.For(scored.Segment), now);
    }
}
