using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Health;

/// <summary>Where an account stands in its life as a customer, derived from billing and product facts.</summary>
public enum AccountLifecycleState
{
    /// <summary>A customer past onboarding (the default: rows scored before states were kept read as active).</summary>
    Active,

    /// <summary>Subscription in trial (Stripe status <c>trialing</c>).</summary>
    Trial,

    /// <summary>A paying customer that has not reached first value yet, within the onboarding window.</summary>
    Onboarding,

    /// <summary>Notice given (<c>cancel_at_period_end</c> or <c>cancel_at</c>), the period not ended yet: still savable.</summary>
    Cancelling,

    /// <summary>Every subscription ended: keeps its final score, leaves scoring, the at-risk list and alerting.</summary>
    Churned,

    /// <summary>Came back within the last <see cref="AccountLifecycle.ReactivatedDays"/> days: resubscribed after churn, or withdrew its notice.</summary>
    Reactivated,
}

/// <summary>The lifecycle state of an account on a day. Pure.</summary>
public static class AccountLifecycle
{
    /// <summary>How long an account that came back is shown as reactivated before it is simply active.</summary>
    public const int ReactivatedDays = 30;

    /// <param name="signals">The account's facts as of <paramref name="asOf"/>.</param>
    /// <param name="asOf">The instant scored.</param>
    /// <param name="onboarding">The health model scores the account on onboarding progress (first value not reached, within the window).</param>
    public static AccountLifecycleState Of(AccountSignals signals, DateTimeOffset asOf, bool onboarding)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (IsChurned(signals, asOf))
        {
            return AccountLifecycleState.Churned;
        }

        if (IsCancelling(signals, asOf))
        {
            return AccountLifecycleState.Cancelling;
        }

        if (string.Equals(signals.SubscriptionStatus, "trialing", StringComparison.Ordinal))
        {
            return AccountLifecycleState.Trial;
        }

        if (signals.ReactivatedAt is { } back && back <= asOf && asOf - back < TimeSpan.FromDays(ReactivatedDays))
        {
            return AccountLifecycleState.Reactivated;
        }

        return onboarding ? AccountLifecycleState.Onboarding : AccountLifecycleState.Active;
    }

    /// <summary>Every subscription ended (the churn was booked), or the only one known is canceled.</summary>
    public static bool IsChurned(AccountSignals signals, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(signals);
        return signals.ChurnedAt is { } churned ? churned <= asOf : string.Equals(signals.SubscriptionStatus, "canceled", StringComparison.Ordinal);
    }

    /// <summary>Notice of cancellation given and the subscription has not ended yet.</summary>
    public static bool IsCancelling(AccountSignals signals, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (string.Equals(signals.SubscriptionStatus, "canceled", StringComparison.Ordinal))
        {
            return false;
        }

        return (signals.CancelAtPeriodEnd && (signals.RenewalDate is not { } end || end > asOf))
            || (signals.CancelAt is { } at && at > asOf);
    }
}
