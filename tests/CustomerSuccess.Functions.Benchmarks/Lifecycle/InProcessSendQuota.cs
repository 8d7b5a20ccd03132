using CustomerSuccess.Functions.Lifecycle;

namespace CustomerSuccess.Functions.Benchmarks.Lifecycle;

/// <summary>
/// <see cref="SendQuota"/> held in memory, for the single-process simulated-clock load (no storage round trips to
/// measure there): the same arithmetic <see cref="FleetSendRateLimiter"/> shares through Table storage.
/// </summary>
internal sealed class InProcessSendQuota(SendQuota quota, TimeProvider time) : ISendRateLimiter
{
    private readonly Lock _gate = new();
    private SendQuotaState _state;
    private long _lastPromised;

    public ValueTask<SendPermit> TryAcquireAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var take = quota.Take(_state, time.GetUtcNow(), 1);
            _state = take.State;
            return ValueTask.FromResult(take.Granted > 0 ? SendPermit.Grant : SendPermit.Refuse(take.RetryAfter));
        }
    }

    public ValueTask<DateTimeOffset> NextSlotAsync(TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            (_lastPromised, var slots) = quota.PromiseSlots(_lastPromised, time.GetUtcNow(), retryAfter, 1);
            return ValueTask.FromResult(slots[0]);
        }
    }

    public ValueTask PauseUntilAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _state = SendQuota.Pause(_state, until);
        }

        return ValueTask.CompletedTask;
    }
}
