using System.Threading.Channels;

namespace CustomerSuccess.Functions.Webhooks;

internal sealed record PendingDelivery(WebhookProvider Provider, string EventId);

/// <summary>
/// In-process hand-off from the receiving request to the applier, so the request answers after one durable
/// write. Bounded and lossy by design: a dropped hint costs latency only, the sweeper applies the row later.
/// </summary>
internal sealed class WebhookApplyQueue
{
    private readonly Channel<PendingDelivery> _channel = Channel.CreateBounded<PendingDelivery>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = false,
    });

    public bool Enabled { get; set; } = true;

    public ChannelReader<PendingDelivery> Reader => _channel.Reader;

    public void Enqueue(PendingDelivery delivery)
    {
        if (Enabled)
        {
            _channel.Writer.TryWrite(delivery);
        }
    }
}
