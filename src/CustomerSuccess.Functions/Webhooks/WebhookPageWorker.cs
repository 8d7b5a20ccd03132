using CustomerSuccess.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Applies stored deliveries in the background: page workers follow the hints the receiving requests hand over, and,
/// when running standalone, a periodic sweep takes what they missed (under the Functions host the WebhookSweep timer
/// does). No loop ends on an exception: a failed page is logged once and left in the inbox for the next sweep.
/// </summary>
internal sealed class WebhookPageWorker(
    WebhookHints hints,
    WebhookApplier applier,
    WebhookSweeper sweeper,
    HostingMode hostingMode,
    IOptionsMonitor<WebhooksOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookPageWorker> logger) : BackgroundService
{
    // Two page workers: while one writes a page, the other gathers the next, and Azurite keeps most of its capacity
    // for the receiving requests' inserts. A page waits at most this long for more hints to arrive.
    private const int PageWorkers = 2;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll([.. Enumerable.Range(0, PageWorkers).Select(_ => FollowHintsAsync(stoppingToken)), SweepPeriodicallyAsync(stoppingToken)]);

    private async Task FollowHintsAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var page = new List<PendingDelivery>();
            try
            {
                page = await hints.NextPageAsync(options.CurrentValue.MaxPageSize, Linger, timeProvider, stoppingToken);
                await applier.ApplyAsync(page, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                WebhookLog.PageFailed(logger, page.Count, ex.GetType().Name);
            }
        }
    }

    private async Task SweepPeriodicallyAsync(CancellationToken stoppingToken)
    {
        if (hostingMode.UnderFunctionsHost)
        {
            return;
        }

        var backlog = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A sweep that found a full page left more behind (a burst, or hints dropped): the next one starts at once.
                if (!backlog)
                {
                    await Task.Delay(TimeSpan.FromSeconds(options.CurrentValue.SweepIntervalSeconds), timeProvider, stoppingToken);
                }

                var summary = await sweeper.SweepAsync(maxPages: 1, stoppingToken);
                backlog = summary.Seen >= options.CurrentValue.MaxPageSize && summary.Seen > summary.Failed;
                if (summary.Seen > 0)
                {
                    WebhookLog.SweepApplied(logger, summary.Seen, summary.Applied, summary.Parked, summary.Quarantined, summary.Failed);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                backlog = false;
                WebhookLog.PageFailed(logger, 0, ex.GetType().Name);
            }
        }
    }
}
