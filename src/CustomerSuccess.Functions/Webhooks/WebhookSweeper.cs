using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Applies what is stored but not applied yet, a page at a time: the inbox (the WebhookSweep timer, the standalone
/// sweep, a replay of unapplied events) or the whole archive (a replay after a mapping or link fix; events recorded
/// as applied re-apply only their versioned state, never their counters).
/// </summary>
internal sealed class WebhookSweeper(WebhookInbox inbox, WebhookArchive archive, WebhookApplier applier, IOptionsMonitor<WebhooksOptions> options, TimeProvider timeProvider)
{
    /// <summary>
    /// Inbox deliveries received before the sweep grace (all of them while hints are off), up to
    /// <paramref name="maxPages"/> pages; stops early on a short page or a page where nothing moved.
    /// </summary>
    public Task<PageSummary> SweepAsync(int maxPages, CancellationToken cancellationToken) =>
        InboxAsync(options.CurrentValue.SweepCutoff(timeProvider.GetUtcNow()), provider: null, maxPages, cancellationToken);

    /// <summary>
    /// Inbox deliveries received before <paramref name="receivedBefore"/> (all when null), a page at a time; a replay
    /// (<paramref name="replay"/>) also takes the ones the page workers are on, once they are done with them.
    /// </summary>
    public async Task<PageSummary> InboxAsync(DateTimeOffset? receivedBefore, WebhookProvider? provider, int maxPages, CancellationToken cancellationToken, bool replay = false)
    {
        var total = default(PageSummary);
        var pageSize = options.CurrentValue.MaxPageSize;
        for (var i = 0; i < maxPages; i++)
        {
            var rows = await inbox.PendingAsync(receivedBefore, provider, pageSize, cancellationToken);
            var page = rows.Select(r => PendingDelivery.FromInbox(r.Key, r.Row)).OfType<PendingDelivery>().ToList();
            var summary = await applier.ApplyAsync(page, cancellationToken, waitForOthers: replay);
            total += summary;
            if (rows.Count < pageSize || summary.Seen == summary.Failed)
            {
                break;
            }
        }

        return total;
    }

    public async Task<PageSummary> ReplayArchiveAsync(WebhookProvider? provider, CancellationToken cancellationToken)
    {
        var total = default(PageSummary);
        var page = new List<PendingDelivery>();
        await foreach (var row in archive.AllAsync(provider, cancellationToken))
        {
            if (PendingDelivery.FromArchive(row) is { } delivery)
            {
                page.Add(delivery);
            }

            if (page.Count == options.CurrentValue.MaxPageSize)
            {
                total += await applier.ApplyAsync(page, cancellationToken, waitForOthers: true);
                page = [];
            }
        }

        return total + await applier.ApplyAsync(page, cancellationToken, waitForOthers: true);
    }
}
