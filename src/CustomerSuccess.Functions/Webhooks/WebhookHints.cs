using System.Threading.Channels;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// In-process hand-off from the receiving request to the applier's page workers, with the event already in memory, so
/// the request answers after one durable write and applying costs no read. Bounded and lossy by design: a dropped hint
/// costs latency only, the sweep applies the inbox row later.
/// </summary>
internal sealed class WebhookHints
{
    private readonly Channel<PendingDelivery> _channel = Channel.CreateBounded<PendingDelivery>(new BoundedChannelOptions(20_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = false,
    });

    public bool Enabled { get; set; } = true;

    public ChannelReader<PendingDelivery> Reader => _channel.Reader;

    /// <summary>Hands a delivery to the page workers; false when hints are off or the channel is full (the sweep applies it).</summary>
    public bool Add(PendingDelivery delivery) => Enabled && _channel.Writer.TryWrite(delivery);

    /// <summary>
    /// Waits for a first hint, then takes whatever else arrives within <paramref name="linger"/>, up to
    /// <paramref name="max"/>: under a burst pages grow, so each account's write carries more events.
    /// </summary>
    public async Task<List<PendingDelivery>> NextPageAsync(int max, TimeSpan linger, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var page = new List<PendingDelivery>();
        if (!await _channel.Reader.WaitToReadAsync(cancellationToken))
        {
            return page;
        }

        var until = timeProvider.GetTimestamp() + (long)(linger.TotalSeconds * timeProvider.TimestampFrequency);
        while (page.Count < max)
        {
            while (page.Count < max && _channel.Reader.TryRead(out var delivery))
            {
                page.Add(delivery);
            }

            var left = until - timeProvider.GetTimestamp();
            if (page.Count >= max || left <= 0)
            {
                break;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds((double)left / timeProvider.TimestampFrequency));
            try
            {
                await _channel.Reader.WaitToReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        return page;
    }
}
