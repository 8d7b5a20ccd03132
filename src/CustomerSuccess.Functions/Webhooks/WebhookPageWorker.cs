using CustomerSuccess.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Applies stored deliveries in the background: page workers follow the hints the receiving requests hand over, and,
/// when running standalone, a periodic sweep takes what they missed (under the Functions host the WebhookSweep timer
/// does). Each loop runs through <see cref="WorkerLoop"/>: a failed page is logged once and left in the inbox for the
/// next sweep, and nothing ends a loop but the app stopping; <c>/api/healthz</c> shows each loop's liveness.
/// </summary>
internal sealed class WebhookPageWorker(
    WebhookHints hints,
    WebhookApplier applier,
    WebhookSweeper sweeper,
    HostingMode hostingMode,
    WorkerLiveness liveness,
    IOptionsMonitor<WebhooksOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookPageWorker> logger) : BackgroundService
{
    // Two page workers: while one writes a page, the other gathers the next, and Azurite keeps most of its capacity
    // for the receiving requests' inserts. A page waits at most this long for more hints to arrive.
    private const int PageWorkers = 2;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = Enumerable.Range(1, PageWorkers)
            .Select(i => WorkerLoop.RunAsync(liveness.Register($"webhook-apply-{i}"), ApplyNextPageAsync, logger, stoppingToken))
            .ToList();
        if (!hostingMode.UnderFunctionsHost)
        {
            var backlog = false;
            loops.Add(WorkerLoop.RunAsync(liveness.Register("webhook-sweep"), async ct => backlog = await SweepAsync(backlog, ct), logger, stoppingToken));
        }

        return Task.WhenAll(loops);
    }

    private async Task ApplyNextPageAsync(CancellationToken stoppingToken)
    {
        var page = await hints.NextPageAsync(options.CurrentValue.MaxPageSize, Linger, timeProvider, stoppingToken);
        await applier.ApplyAsync(page, stoppingToken);
    }

    /// <summary>Waits out the interval (unless the last sweep left a backlog), sweeps; true when this sweep left a backlog too.</summary>
    private async Task<bool> SweepAsync(bool backlog, CancellationToken stoppingToken)
    {
        if (!backlog)
        {
            await Task.Delay(TimeSpan.FromSeconds(options.CurrentValue.SweepIntervalSeconds), timeProvider, stoppingToken);
        }

        var summary = await sweeper.SweepAsync(maxPages: 1, stoppingToken);
        if (summary.Seen > 0)
        {
            WebhookLog.SweepApplied(logger, summary.Seen, summary.Applied, summary.Parked, summary.Quarantined, summary.Failed);
        }

        // A sweep that found a full page left more behind (a burst, or hints dropped): the next one starts at once.
        return summary.Seen >= options.CurrentValue.MaxPageSize && summary.Seen > summary.Failed;
    }
}
