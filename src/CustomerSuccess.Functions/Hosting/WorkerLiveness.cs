using System.Collections.Concurrent;

namespace CustomerSuccess.Functions.Hosting;

/// <summary>
/// The app's background loops and how each is doing: every loop registers once and reports each iteration's
/// outcome (a heartbeat, or the error it caught). <c>GET /api/healthz</c> lists them and says "degraded" when one is
/// failing or has ended while the app was not stopping. Times are wall-clock (<see cref="TimeProvider.System"/>),
/// not the app's possibly simulated clock: liveness is about this process.
/// </summary>
public sealed class WorkerLiveness
{
    private readonly ConcurrentDictionary<string, WorkerHeartbeat> _workers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public WorkerLiveness(TimeProvider time) => _time = time;

    /// <summary>The heartbeat of the loop called <paramref name="name"/>; registering a name again returns the same one.</summary>
    public WorkerHeartbeat Register(string name) => _workers.GetOrAdd(name, n => new WorkerHeartbeat(n, _time));

    public IReadOnlyList<WorkerStatus> Snapshot() =>
        [.. _workers.Values.Select(w => w.Status()).OrderBy(s => s.Name, StringComparer.Ordinal)];
}

/// <summary>What one loop reports. Thread-safe: a loop may run iterations concurrently.</summary>
public sealed class WorkerHeartbeat
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private DateTimeOffset? _lastSuccessAt;
    private DateTimeOffset? _lastFailureAt;
    private string? _lastError;
    private int _consecutiveFailures;
    private long _failures;
    private WorkerState _state = WorkerState.Running;

    internal WorkerHeartbeat(string name, TimeProvider time)
    {
        Name = name;
        _time = time;
    }

    public string Name { get; }

    public void Succeeded()
    {
        lock (_gate)
        {
            _lastSuccessAt = _time.GetUtcNow();
            _consecutiveFailures = 0;
            _state = WorkerState.Running;
        }
    }

    /// <summary>An iteration failed and the loop goes on. Only the exception's type and message are kept (never a payload).</summary>
    public void Failed(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_gate)
        {
            _lastFailureAt = _time.GetUtcNow();
            _lastError = $"{error.GetType().Name}: {error.Message}";
            _consecutiveFailures++;
            _failures++;
            _state = WorkerState.Failing;
        }
    }

    /// <summary>The loop ended: expected when the app is stopping, a fault otherwise.</summary>
    public void Ended(bool appStopping)
    {
        lock (_gate)
        {
            _state = appStopping ? WorkerState.Stopped : WorkerState.Ended;
        }
    }

    internal WorkerStatus Status()
    {
        lock (_gate)
        {
            return new WorkerStatus(Name, _state, _state is WorkerState.Failing or WorkerState.Ended, _lastSuccessAt, _lastFailureAt, _lastError, _consecutiveFailures, _failures);
        }
    }
}

public enum WorkerState
{
    Running,

    /// <summary>The last iteration failed; the loop goes on.</summary>
    Failing,

    /// <summary>Stopped with the app.</summary>
    Stopped,

    /// <summary>Ended while the app runs: nothing does its work any more.</summary>
    Ended,
}

public sealed record WorkerStatus(
    string Name,
    WorkerState State,
    bool Degraded,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastFailureAt,
    string? LastError,
    int ConsecutiveFailures,
    long Failures);
