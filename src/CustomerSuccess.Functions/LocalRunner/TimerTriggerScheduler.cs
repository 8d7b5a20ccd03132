using System.Text.Json;
using CustomerSuccess.Functions.Hosting;
using Microsoft.Extensions.Options;
using NCrontab;

namespace CustomerSuccess.Functions.LocalRunner;

/// <summary>
/// Fires the timer-triggered functions of the manifest on their NCRONTAB schedules (six fields, seconds first,
/// as the host reads them), against the app's clock, with the host's TimerInfo payload. Like the host, a tick
/// missed while the app was busy or the clock jumped fires once, marked past due, not once per missed slot.
/// Each timer is a <see cref="WorkerLoop"/> whose iteration is one tick: a tick that fails (the function answered
/// non-2xx, or anything threw) is logged once and shows the timer as failing on /api/healthz until a tick succeeds;
/// the next tick comes at its time all the same.
/// </summary>
public sealed partial class TimerTriggerScheduler : BackgroundService
{
    private readonly FunctionManifest _manifest;
    private readonly IFunctionInvoker _invoker;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly IOptions<LocalRunnerOptions> _options;
    private readonly WorkerLiveness _liveness;
    private readonly ILogger<TimerTriggerScheduler> _logger;

    public TimerTriggerScheduler(FunctionManifest manifest, IFunctionInvoker invoker, IConfiguration configuration, TimeProvider time, IOptions<LocalRunnerOptions> options, WorkerLiveness liveness, ILogger<TimerTriggerScheduler> logger)
    {
        _manifest = manifest;
        _invoker = invoker;
        _configuration = configuration;
        _time = time;
        _options = options;
        _liveness = liveness;
        _logger = logger;
    }

    /// <summary>Timers currently pending, with their next due time (for the runner status view).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> NextDue => _next;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _next = new(StringComparer.Ordinal);

    /// <summary>Invocations in progress; zero means every due timer has finished.</summary>
    public int Running => _running;

    private int _running;

    public static CrontabSchedule ParseSchedule(string expression) =>
        CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = expression.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 });

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = _manifest.Functions
            .Where(f => f.TriggerKind == FunctionTriggerKind.Timer)
            .Select(f => RunAsync(f, stoppingToken))
            .ToList();
        return Task.WhenAll(loops);
    }

    private Task RunAsync(FunctionDefinition function, CancellationToken stoppingToken)
    {
        TimerState? state = null;
        return WorkerLoop.RunAsync(_liveness.Register("timer:" + function.Name), ct => FireAsync(function, state ??= Start(function), ct), _logger, stoppingToken);
    }

    /// <summary>The schedule and the first due time (now, with runOnStartup).</summary>
    private TimerState Start(FunctionDefinition function)
    {
        var expression = FunctionDefinition.ResolveSettings(function.Trigger.GetString("schedule") ?? throw new InvalidDataException($"{function.Name}: timerTrigger has no schedule."), _configuration);
        var schedule = ParseSchedule(expression);
        var last = _time.GetUtcNow();
        return new TimerState(schedule) { Last = last, Due = function.Trigger.GetBoolean("runOnStartup") ? last : Next(schedule, last) };
    }

    /// <summary>
    /// Waits for the due time and invokes the function once. The state moves to the following tick before the call,
    /// so a failed tick is not repeated: like the host, the timer simply runs again at its next occurrence.
    /// </summary>
    private async Task FireAsync(FunctionDefinition function, TimerState state, CancellationToken stoppingToken)
    {
        _next[function.Name] = state.Due;
        while (_time.GetUtcNow() < state.Due)
        {
            await Task.Delay(_options.Value.PollInterval, stoppingToken);
        }

        var now = _time.GetUtcNow();
        var (last, due, next) = (state.Last, state.Due, Next(state.Schedule, now));
        (state.Last, state.Due) = (due, next);
        _next[function.Name] = next;
        var pastDue = now - due > TimeSpan.FromSeconds(Math.Max(1, _options.Value.PollInterval.TotalSeconds * 5));
        Interlocked.Increment(ref _running);
        try
        {
            var outcome = await _invoker.InvokeAsync(function.Name, BuildRequest(function, last, due, next, pastDue, now), stoppingToken);
            if (!outcome.Succeeded)
            {
                throw new FunctionInvocationFailedException(function.Name, outcome);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private sealed class TimerState(CrontabSchedule schedule)
    {
        public CrontabSchedule Schedule { get; } = schedule;

        public DateTimeOffset Last { get; set; }

        public DateTimeOffset Due { get; set; }
    }

    private static DateTimeOffset Next(CrontabSchedule schedule, DateTimeOffset after) =>
        new(DateTime.SpecifyKind(schedule.GetNextOccurrence(after.UtcDateTime), DateTimeKind.Utc));

    internal static InvocationRequest BuildRequest(FunctionDefinition function, DateTimeOffset last, DateTimeOffset due, DateTimeOffset next, bool pastDue, DateTimeOffset now) => new()
    {
        Data =
        {
            [function.Trigger.Name] = JsonSerializer.SerializeToElement(new TimerInfo
            {
                Schedule = new TimerScheduleInfo { AdjustForDST = true },
                ScheduleStatus = new TimerScheduleStatus { Last = last, Next = next, LastUpdated = due },
                IsPastDue = pastDue,
            }),
        },
        Metadata =
        {
            ["sys"] = JsonSerializer.SerializeToElement(new { MethodName = function.Name, UtcNow = now.UtcDateTime, RandGuid = Guid.NewGuid() }),
        },
    };
}
