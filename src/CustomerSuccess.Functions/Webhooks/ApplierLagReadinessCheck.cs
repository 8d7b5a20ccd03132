using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Readiness: no acknowledged delivery has waited longer than <see cref="WebhooksOptions.ReadinessMaxLagSeconds"/> to
/// be applied. One query over the inbox (small: rows leave once applied) for a row received before the limit.
/// </summary>
internal sealed class ApplierLagReadinessCheck(WebhookInbox inbox, IOptionsMonitor<WebhooksOptions> options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var limit = TimeSpan.FromSeconds(options.CurrentValue.ReadinessMaxLagSeconds);
        var before = time.GetUtcNow() - limit;
        using var within = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        within.CancelAfter(Readiness.CheckTimeout);
        try
        {
            var late = await inbox.PendingAsync(before, provider: null, max: 1, within.Token);
            return late.Count == 0
                ? HealthCheckResult.Healthy($"no delivery waiting longer than {limit.TotalMinutes:0.#} min")
                : HealthCheckResult.Unhealthy($"a delivery received at {late[0].Row.ReceivedAt:O} is still not applied (limit {limit.TotalMinutes:0.#} min)");
        }
        catch (Exception ex) when (ex is TableStorageUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return HealthCheckResult.Unhealthy("the inbox could not be read");
        }
    }
}
