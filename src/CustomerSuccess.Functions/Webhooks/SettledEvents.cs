using System.Collections.Concurrent;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// The events this process saw archived with a final outcome lately. Another inbox copy of one (a provider's
/// redelivery, or a sweep's copy of a delivery a hint worker finished meanwhile) is then a duplicate without a claim.
/// The claim would be refused with 409 anyway, and a refused insert inside an entity-group transaction costs the
/// whole transaction again without it: at a few percent of duplicates, more claims were sent twice than once.
/// Bounded by <see cref="Capacity"/>, and asked only about events settled within half the archive's retention (which
/// keeps them at least that long). An event it no longer holds, or that another instance settled, goes the long way
/// (claim, 409, outcome read) to the same result.
/// </summary>
internal sealed class SettledEvents(TimeProvider timeProvider)
{
    /// <summary>Events remembered at most; the oldest go first.</summary>
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _settledAt = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public int Count => _settledAt.Count;

    public void Add(string eventKey)
    {
        if (!_settledAt.TryAdd(eventKey, timeProvider.GetUtcNow()))
        {
            return;
        }

        _order.Enqueue(eventKey);
        while (_settledAt.Count > Capacity && _order.TryDequeue(out var oldest))
        {
            _settledAt.TryRemove(oldest, out _);
        }
    }

    /// <summary>Whether the event settled less than <paramref name="within"/> ago, on the app's clock.</summary>
    public bool Contains(string eventKey, TimeSpan within) =>
        _settledAt.TryGetValue(eventKey, out var at) && timeProvider.GetUtcNow() - at < within;

    /// <summary>How far back the archive certainly still holds a settled event: half its retention.</summary>
    public static TimeSpan WindowFor(WebhooksOptions options) => TimeSpan.FromDays(options.ArchiveRetentionDays / 2.0);
}
