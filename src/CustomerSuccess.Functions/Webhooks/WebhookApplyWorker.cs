using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Applies stored deliveries in the background: first the hints the receiving requests enqueue, and, when
/// running standalone, a periodic sweep of unapplied rows (under the Functions host the WebhookSweep timer
/// function does the sweep). Each delivery is applied in isolation (a failure is recorded against it, and it is
/// quarantined in the end), and each loop runs through <see cref="WorkerLoop"/>: nothing ends it but the app stopping.
/// </summary>
internal sealed class WebhookApplyWorker(
    WebhookApplyQueue queue,
    AccountEventApplier applier,
    HostingMode hostingMode,
    WorkerLiveness liveness,
    IOptionsMonitor<WebhooksOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookApplyWorker> logger) : BackgroundService
{
    private const int SweepBatch = 1000;

    // Two workers follow the hints: during a burst the receiving requests' inserts keep most of the storage's
    // capacity (measured: eight workers here cut the acknowledged rate by a quarter). Sweeps catch up afterwards
    // with Webhooks:ApplyConcurrency at once.
    private const int HintWorkers = 2;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = Enumerable.Range(1, HintWorkers)
            .Select(i => WorkerLoop.RunAsync(liveness.Register($"webhook-apply-{i}"), ApplyNextHintAsync, logger, stoppingToken))
            .ToList();
        if (!hostingMode.UnderFunctionsHost)
        {
            var backlog = false;
            loops.Add(WorkerLoop.RunAsync(liveness.Register("webhook-sweep"), async ct => backlog = await SweepAsync(backlog, ct), logger, stoppingToken));
        }

        return Task.WhenAll(loops);
    }

    private async Task ApplyNextHintAsync(CancellationToken stoppingToken)
    {
        var pending = await queue.Reader.ReadAsync(stoppingToken);
        await applier.ApplyIsolatedAsync(pending.Provider, pending.EventId, stoppingToken);
    }

    /// <summary>Waits out the interval (unless the last sweep left a backlog), sweeps; true when this sweep left a backlog too.</summary>
    private async Task<bool> SweepAsync(bool backlog, CancellationToken stoppingToken)
    {
        if (!backlog)
        {
            await Task.Delay(TimeSpan.FromSeconds(options.CurrentValue.SweepIntervalSeconds), timeProvider, stoppingToken);
        }

        var sweep = await applier.SweepAsync(options.CurrentValue, SweepBatch, stoppingToken);
        if (sweep.Applied > 0)
        {
            WebhookLog.SweepApplied(logger, sweep.Applied);
        }

        // A sweep that found a full batch left more behind (a burst, or hints dropped): the next one starts at once.
        return sweep.Seen == SweepBatch && sweep.Applied > 0;
    }
}
