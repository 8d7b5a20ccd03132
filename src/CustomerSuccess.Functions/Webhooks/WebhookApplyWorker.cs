using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Applies stored deliveries in the background: first the hints the receiving requests enqueue, and, when
/// running standalone, a periodic sweep of unapplied rows (under the Functions host the WebhookSweep timer
/// function does the sweep). A failure leaves the row unapplied for the next sweep.
/// </summary>
internal sealed class WebhookApplyWorker(
    WebhookApplyQueue queue,
    AccountEventApplier applier,
    HostingMode hostingMode,
    IOptionsMonitor<WebhooksOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookApplyWorker> logger) : BackgroundService
{
    private const int SweepBatch = 1000;

    // Two workers follow the hints: during a burst the receiving requests' inserts keep most of the storage's
    // capacity (measured: eight workers here cut the acknowledged rate by a quarter). Sweeps catch up afterwards
    // with Webhooks:ApplyConcurrency at once.
    private const int HintWorkers = 2;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll([.. Enumerable.Range(0, HintWorkers).Select(_ => DrainQueueAsync(stoppingToken)), SweepPeriodicallyAsync(stoppingToken)]);

    private async Task DrainQueueAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var pending in queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await applier.ApplyAsync(pending.Provider, pending.EventId, stoppingToken);
                }
                catch (Exception ex) when (ex is TableStorageUnavailableException or TableRequestFailedException or System.Text.Json.JsonException or InvalidDataException or TimeoutException or HttpRequestException)
                {
                    WebhookLog.ApplyFailed(logger, pending.Provider.ToString(), pending.EventId, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepPeriodicallyAsync(CancellationToken stoppingToken)
    {
        if (hostingMode.UnderFunctionsHost)
        {
            return;
        }

        try
        {
            var backlog = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                // A sweep that found a full batch left more behind (a burst, or hints dropped): the next one starts at once.
                if (!backlog)
                {
                    await Task.Delay(TimeSpan.FromSeconds(options.CurrentValue.SweepIntervalSeconds), timeProvider, stoppingToken);
                }

                backlog = false;
                try
                {
                    var (seen, applied, _) = await applier.SweepAsync(options.CurrentValue, SweepBatch, stoppingToken);
                    backlog = seen == SweepBatch && applied > 0;
                    if (applied > 0)
                    {
                        WebhookLog.SweepApplied(logger, applied);
                    }
                }
                catch (Exception ex) when (ex is TableStorageUnavailableException or TableRequestFailedException or TimeoutException or HttpRequestException)
                {
                    WebhookLog.ApplyFailed(logger, "*", "sweep", ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
