using CustomerSuccess.Functions.Lifecycle;

namespace CustomerSuccess.Functions.Benchmarks.Lifecycle;

/// <summary>
/// <see cref="SendQuota"/> held in memory, for the single-process simulated-clock load (no storage round trips to
/// measure there): the same arithmetic <see cref="FleetSendRateLimiter"/> shares through Table storage, one send at a time.
/// </summary>
internal sealed class InProcessSendQuota(SendQuota quota, TimeProvider time) : ISendRateLimiter
{
    private readonly Lock _gate = new();
    private SendQuotaState _state;

    public ValueTask<SendPermit> AdmitAsync(DateTimeOffset? reservedSlot, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (reservedSlot is { } slot && (now < slot || SendQuota.CanSpendReservation(slot, now)))
            {
                return ValueTask.FromResult(now < slot ? SendPermit.ReservedFor(slot) : SendPermit.GrantUntil(slot + SendQuota.LeaseLifetime));
            }

            var admission = quota.Admit(_state, now, 1);
            _state = admission.State;
            return ValueTask.FromResult(admission.Granted == 1 ? SendPermit.GrantUntil(now + SendQuota.LeaseLifetime) : SendPermit.ReservedFor(admission.Reserved[0]));
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
