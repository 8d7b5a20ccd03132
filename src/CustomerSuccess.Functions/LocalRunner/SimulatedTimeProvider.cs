namespace CustomerSuccess.Functions.LocalRunner;

/// <summary>
/// The app clock in a simulated standalone run: it stands still until told to move, so timers, SLAs, email
/// delays and signature timestamps all agree on one simulated time. Never used under the Functions host.
/// </summary>
public sealed class SimulatedTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now;

    public SimulatedTimeProvider(DateTimeOffset start) => _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <summary>Moves the clock forward (never back: time-ordered state relies on it).</summary>
    public DateTimeOffset AdvanceTo(DateTimeOffset target)
    {
        lock (_gate)
        {
            if (target > _now)
            {
                _now = target;
            }

            return _now;
        }
    }
}

public sealed class ClockOptions
{
    public const string SectionName = "Clock";

    /// <summary>"System" (default) or "Simulated" (standalone only).</summary>
    public string Mode { get; set; } = "System";

    /// <summary>Where a simulated clock starts; defaults to the real time at start.</summary>
    public DateTimeOffset? Start { get; set; }
}
