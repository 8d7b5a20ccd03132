using System.Globalization;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Expansion;

/// <summary>Stable ids of the expansion signals.</summary>
public static class ExpansionSignalKinds
{
    /// <summary>Active people above a share of the licensed seats ("Usage ceiling").</summary>
    public const string SeatUtilization = "seat-utilization";

    /// <summary>Green for the configured days without a break.</summary>
    public const string SustainedGreen = "sustained-green";

    /// <summary>Product events up month over month.</summary>
    public const string UsageGrowth = "usage-growth";

    /// <summary>A capability of a higher plan tried.</summary>
    public const string HigherTierFeature = "higher-tier-feature";

    /// <summary>A team or department newly active ("Organizational spread").</summary>
    public const string NewDepartment = "new-department";

    /// <summary>The champion's title changed ("Champion promoted").</summary>
    public const string ChampionTitleChange = "champion-title-change";

    /// <summary>Signals that say the customer wants more; sustained Green qualifies an account but asks for nothing.</summary>
    public static bool IsDemand(string kind) => kind != SustainedGreen;
}

/// <summary>One expansion signal: what it is, in words, and the figures behind it (by name).</summary>
public sealed record ExpansionSignal(string Kind, string Reason, IReadOnlyDictionary<string, double> Figures);

/// <summary>
/// What proves first value: the first-value milestone (<c>Product:FirstValueMilestone</c>), or, for an account the app
/// first saw after its onboarding window (<c>Health:OnboardingMaxDays</c> from its first subscription) had ended, the
/// milestone reached out of sight, as the health model reads it.
/// </summary>
public sealed record ValueMilestone(string FirstValueMilestone, int OnboardingMaxDays = 90);

/// <summary>The value gate: first value reached, and Green or a rising score.</summary>
public sealed record ExpansionGate(bool Passed, bool FirstValueReached, bool Green, bool Rising, string Reason);

/// <summary>
/// The expansion MRR an opportunity is worth, from seats and price: seat price = MRR ÷ licensed seats; extra seats =
/// the larger of the seats that bring the active people back under the seat share (⌈active ÷ share⌉ − licensed) and the
/// least step (⌈licensed × <see cref="ExpansionOptions.EstimateMinSeatGrowthShare"/>⌉, at least 1); expansion MRR = extra
/// seats × seat price. Without licensed seats: MRR × the least step's share. Cents.
/// </summary>
public sealed record ExpansionEstimate(int LicensedSeats, int ActivePeople, int ExtraSeats, long SeatPriceCents, long ExpansionMrrCents);

/// <summary>An opportunity worth a CSM's time: the signals (demand first), the estimate, and one line that says why.</summary>
public sealed record ExpansionOpportunity(IReadOnlyList<ExpansionSignal> Signals, ExpansionEstimate Estimate, string Reason);

/// <summary>What the detector read: every signal found, the gate, and the opportunity when the signals pass it.</summary>
public sealed record ExpansionAssessment(IReadOnlyList<ExpansionSignal> Signals, ExpansionGate Gate, ExpansionOpportunity? Opportunity);

/// <summary>
/// Reads an account's expansion signals from its facts and its health, gates them on demonstrated value and sizes the
/// opportunity. Pure: the caller gives the account's signals as of today, its health state and the time.
/// <para>"Expansion is earned, not sold": an opportunity needs first value reached (the first-value milestone) and the
/// account Green or its score rising, an account past onboarding and not cancelling, and at least one demand signal
/// (sustained Green alone only when <see cref="ExpansionOptions.SustainedGreenAlone"/> says so).</para>
/// </summary>
public static class ExpansionDetector
{
    /// <summary>The span of each usage window: four weeks of full days, compared with the four before.</summary>
    public const int UsageWindowDays = 28;

    public static ExpansionAssessment Assess(AccountSignals account, HealthTransition health, ExpansionOptions options, ValueMilestone value, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(options);

        var signals = new List<ExpansionSignal>();
        AddIfAny(signals, SeatUtilization(account, options));
        AddIfAny(signals, UsageGrowth(account, options, now));
        signals.AddRange(HigherTierFeatures(account, options, now));
        signals.AddRange(NewDepartments(account, options));
        signals.AddRange(ChampionTitleChanges(account, options, now));
        AddIfAny(signals, SustainedGreen(health, options));

        var gate = Gate(account, health, value);
        var asks = signals.Any(s => ExpansionSignalKinds.IsDemand(s.Kind)) || (options.SustainedGreenAlone && signals.Count > 0);
        var open = health.Lifecycle is AccountLifecycleState.Active or AccountLifecycleState.Reactivated;
        if (!gate.Passed || !asks || !open)
        {
            return new ExpansionAssessment(signals, gate, null);
        }

        var estimate = Estimate(account, options);
        var reason = Invariant($"Expansion opportunity: {string.Join("; ", signals.Select(s => s.Reason))} ({gate.Reason}); est. +{Money(estimate.ExpansionMrrCents)} MRR")
            + (estimate.ExtraSeats > 0 ? Invariant($" ({estimate.ExtraSeats} seats at {Money(estimate.SeatPriceCents)})") : string.Empty);
        return new ExpansionAssessment(signals, gate, new ExpansionOpportunity(signals, estimate, reason));
    }

    /// <summary>Active people (30 days) over licensed seats, above the configured share.</summary>
    public static ExpansionSignal? SeatUtilization(AccountSignals account, ExpansionOptions options)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        if (account.LicensedSeats <= 0)
        {
            return null;
        }

        var share = (double)account.ActiveUsers30d / account.LicensedSeats;
        return share > options.SeatUtilizationShare
            ? new ExpansionSignal(
                ExpansionSignalKinds.SeatUtilization,
                Invariant($"{account.ActiveUsers30d} of {account.LicensedSeats} seats active in 30 days ({share * 100:0}%)"),
                Figures(("activePeople", account.ActiveUsers30d), ("licensedSeats", account.LicensedSeats), ("utilization", Math.Round(share, 4)), ("threshold", options.SeatUtilizationShare)))
            : null;
    }

    /// <summary>
    /// Product events in the last 28 full days (ending yesterday) against the 28 before, up by at least the configured
    /// share; read only when the app watched the account for both windows and the earlier one has the least events.
    /// </summary>
    public static ExpansionSignal? UsageGrowth(AccountSignals account, ExpansionOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        var today = DateOnly.FromDateTime(now.UtcDateTime).DayNumber;
        var recentFrom = today - UsageWindowDays;
        var earlierFrom = recentFrom - UsageWindowDays;
        if (account.ObservedSince is not { } since || DateOnly.FromDateTime(since.UtcDateTime).DayNumber > earlierFrom)
        {
            return null;
        }

        long recent = 0, earlier = 0;
        foreach (var day in account.Days)
        {
            var n = day.Day.DayNumber;
            if (n >= recentFrom && n < today)
            {
                recent += day.Events;
            }
            else if (n >= earlierFrom && n < recentFrom)
            {
                earlier += day.Events;
            }
        }

        if (earlier < options.UsageGrowthMinEvents)
        {
            return null;
        }

        var growth = (double)(recent - earlier) / earlier;
        return growth >= options.UsageGrowthShare
            ? new ExpansionSignal(
                ExpansionSignalKinds.UsageGrowth,
                Invariant($"usage up {growth * 100:0}% month over month ({recent} product events in 28 days, {earlier} in the 28 before)"),
                Figures(("eventsRecent", recent), ("eventsBefore", earlier), ("growth", Math.Round(growth, 4)), ("threshold", options.UsageGrowthShare)))
            : null;
    }

    /// <summary>Each configured higher-tier feature tried within the lookback, by name.</summary>
    public static IEnumerable<ExpansionSignal> HigherTierFeatures(AccountSignals account, ExpansionOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (name, at) in account.HigherTierFeaturesTried.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase))
        {
            var daysAgo = (now - at).TotalDays;
            if (at <= now && daysAgo <= options.HigherTierLookbackDays)
            {
                yield return new ExpansionSignal(
                    ExpansionSignalKinds.HigherTierFeature,
                    Invariant($"higher-tier feature {name} tried {at:yyyy-MM-dd}"),
                    Figures(("daysAgo", Math.Floor(daysAgo))));
            }
        }
    }

    /// <summary>Each team or department with the least active people in the last 28 days and nobody active in the 28 before.</summary>
    public static IEnumerable<ExpansionSignal> NewDepartments(AccountSignals account, ExpansionOptions options)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var department in account.Departments)
        {
            if (department.ActiveBefore == 0 && department.ActiveRecent >= options.NewDepartmentMinActive)
            {
                yield return new ExpansionSignal(
                    ExpansionSignalKinds.NewDepartment,
                    Invariant($"new team active: {department.Name} ({department.ActiveRecent} people in 28 days, none before)"),
                    Figures(("activeRecent", department.ActiveRecent), ("activeBefore", department.ActiveBefore)));
            }
        }
    }

    /// <summary>Each champion (not departed) whose title changed within the lookback.</summary>
    public static IEnumerable<ExpansionSignal> ChampionTitleChanges(AccountSignals account, ExpansionOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var person in account.Users)
        {
            if (person is { Champion: true, Departed: false, TitleChangedAt: { } at, PreviousTitle: { } before, Title: { } title }
                && at <= now && (now - at).TotalDays <= options.ChampionTitleChangeLookbackDays)
            {
                yield return new ExpansionSignal(
                    ExpansionSignalKinds.ChampionTitleChange,
                    Invariant($"champion {person.FirstName ?? person.UserId} now {title} (was {before}) since {at:yyyy-MM-dd}"),
                    Figures(("daysAgo", Math.Floor((now - at).TotalDays))));
            }
        }
    }

    /// <summary>Green for at least the configured days.</summary>
    public static ExpansionSignal? SustainedGreen(HealthTransition health, ExpansionOptions options)
    {
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(options);
        return health.Band == HealthBand.Green && health.DaysInBand >= options.SustainedGreenDays
            ? new ExpansionSignal(ExpansionSignalKinds.SustainedGreen, Invariant($"Green for {health.DaysInBand} days"), Figures(("daysGreen", health.DaysInBand), ("threshold", options.SustainedGreenDays)))
            : null;
    }

    /// <summary>First value reached (see <see cref="ValueMilestone"/>), and Green or a rising score (the 30-day trend improving).</summary>
    public static ExpansionGate Gate(AccountSignals account, HealthTransition health, ValueMilestone value)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(value);
        var firstValue = account.Milestones.ContainsKey(value.FirstValueMilestone)
            || (account.ObservedSince is { } observed && account.CustomerSince is { } since && observed > since.AddDays(value.OnboardingMaxDays));
        var green = health.Band == HealthBand.Green;
        var rising = health.Trend == HealthTrend.Improving;
        var passed = firstValue && (green || rising);
        var reason = !firstValue ? "first value not reached"
            : green ? (rising ? "first value reached, Green and rising" : "first value reached, Green")
            : rising ? Invariant($"first value reached, {health.Band} and rising")
            : Invariant($"first value reached, but {health.Band} and not rising");
        return new ExpansionGate(passed, firstValue, green, rising, reason);
    }

    /// <summary>The expansion MRR from seats and price (see <see cref="ExpansionEstimate"/>).</summary>
    public static ExpansionEstimate Estimate(AccountSignals account, ExpansionOptions options)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        var seats = account.LicensedSeats;
        var active = account.ActiveUsers30d;
        if (seats <= 0)
        {
            return new ExpansionEstimate(0, active, 0, 0, (long)Math.Round(account.MrrCents * options.EstimateMinSeatGrowthShare, MidpointRounding.AwayFromZero));
        }

        var price = (long)Math.Round((decimal)account.MrrCents / seats, MidpointRounding.AwayFromZero);
        var headroom = (int)Math.Ceiling(active / options.SeatUtilizationShare) - seats;
        var step = Math.Max(1, (int)Math.Ceiling(seats * options.EstimateMinSeatGrowthShare));
        var extra = Math.Max(headroom, step);
        return new ExpansionEstimate(seats, active, extra, price, extra * price);
    }

    private static void AddIfAny(List<ExpansionSignal> signals, ExpansionSignal? signal)
    {
        if (signal is not null)
        {
            signals.Add(signal);
        }
    }

    private static Dictionary<string, double> Figures(params (string Name, double Value)[] figures) =>
        figures.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);

    private static string Money(long cents) => "$" + (cents / 100m).ToString("N2", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
