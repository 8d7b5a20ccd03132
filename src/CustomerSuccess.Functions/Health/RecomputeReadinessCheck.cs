using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// Readiness: the recompute keeps up. The timer starts a run every hour; readiness fails when the last run finished
/// more than <see cref="MaxAge"/> ago (a tick missed twice), or the run in progress started that long ago and has not
/// finished. Before the first run there is nothing to judge.
/// </summary>
internal sealed class RecomputeReadinessCheck(AppTables tables, TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        HealthRunPointerEntity? current;
        using var within = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        within.CancelAfter(Readiness.CheckTimeout);
        try
        {
            current = await tables[HealthTables.Runs].GetAsync<HealthRunPointerEntity>(HealthTables.RunPartition, HealthTables.CurrentRunRow, cancellationToken: within.Token);
        }
        catch (Exception ex) when (ex is TableStorageUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return HealthCheckResult.Unhealthy("the recompute's run record could not be read");
        }

        if (current is null)
        {
            return HealthCheckResult.Healthy("no recompute has run yet");
        }

        var now = time.GetUtcNow();
        if (current.Status == HealthRunStatus.Completed)
        {
            var finished = current.CompletedAt ?? current.StartedAt;
            return now - finished <= MaxAge
                ? HealthCheckResult.Healthy($"run {current.RunId} finished at {finished:O}")
                : HealthCheckResult.Unhealthy($"the last recompute (run {current.RunId}) finished at {finished:O}, more than {MaxAge.TotalHours:0} h ago");
        }

        return now - current.StartedAt <= MaxAge
            ? HealthCheckResult.Healthy($"run {current.RunId} in progress since {current.StartedAt:O}")
            : HealthCheckResult.Unhealthy($"run {current.RunId} started at {current.StartedAt:O} and has not finished");
    }
}
