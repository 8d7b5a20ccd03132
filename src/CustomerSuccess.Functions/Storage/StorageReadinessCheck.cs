using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CustomerSuccess.Functions.Storage;

/// <summary>Readiness: Table storage answers one cheap request (the first table of the account's list) within 5 s.</summary>
internal sealed class StorageReadinessCheck(TableServiceClient service) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var within = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        within.CancelAfter(Timeout);
        try
        {
            await foreach (var _ in service.QueryAsync(maxPerPage: 1, cancellationToken: within.Token).AsPages(pageSizeHint: 1).WithCancellation(within.Token))
            {
                break;
            }

            return HealthCheckResult.Healthy("Table storage answers.");
        }
        catch (Exception ex) when (ex is RequestFailedException or OperationCanceledException or AggregateException or IOException or HttpRequestException)
        {
            return HealthCheckResult.Unhealthy($"Table storage unreachable ({ex.GetType().Name}).");
        }
    }
}
