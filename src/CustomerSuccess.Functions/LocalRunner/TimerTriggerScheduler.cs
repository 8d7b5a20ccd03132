using System.Text.Json;
using CustomerSuccess.Functions.Hosting;
using Microsoft.Extensions.Options;
using NCrontab;

namespace CustomerSuccess.Functions.LocalRunner;

/// <summary>
/// Fires the timer-triggered functions of the manifest on their NCRONTAB schedules (six fields, seconds first,
/// as the host reads them), against the app's clock, with the host's TimerInfo payload. Like the host, a tick
/// missed while the app was busy or the clock jumped fires once, marked past due, not once per missed slot.
/// </summary>
public sealed partial class TimerTriggerScheduler : BackgroundService
{
    private readonly FunctionManifest _manifest;
    private readonly IFunctionInvoker _invoker;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly IOptions<LocalRunnerOptions> _options;
    private readonly ILogger<TimerTriggerScheduler> _logger;

    public TimerTriggerScheduler(FunctionManifest manifest, IFunctionInvoker invoker, IConfiguration configuration, TimeProvider time, IOptions<LocalRunnerOptions> options, ILogger<TimerTriggerScheduler> logger)
    {
        _manifest = manifest;
        _invoker = invoker;
        _configuration = configuration;
        _time = time;
        _options = options;
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

    private async Task RunAsync(FunctionDefinition function, CancellationToken stoppingToken)
    {
        var expression = FunctionDefinition.ResolveSettings(function.Trigger.GetString("schedule") ?? throw new InvalidDataException($"{function.Name}: timerTrigger has no schedule."), _configuration);
        var schedule = ParseSchedule(expression);
        var last = _time.GetUtcNow();
        var next = Next(schedule, last);
        if (function.Trigger.GetBoolean("runOnStartup"))
        {
            next = last;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            _next[function.Name] = next;
            var now = _time.GetUtcNow();
            if (now < next)
            {
                try
                {
                    await Task.Delay(_options.Value.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            var following = Next(schedule, now);
            var pastDue = now - next > TimeSpan.FromSeconds(Math.Max(1, _options.Value.PollInterval.TotalSeconds * 5));
            Interlocked.Increment(ref _running);
            try
            {
                var outcome = await _invoker.InvokeAsync(function.Name, BuildRequest(function, last, next, following, pastDue, now), stoppingToken);
                if (!outcome.Succeeded)
                {
                    LogTimerFailed(_logger, function.Name, outcome.StatusCode);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }

            last = next;
            next = following;
        }
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer function {FunctionName} failed with HTTP {StatusCode}; it runs again at its next occurrence.")]
    private static partial void LogTimerFailed(ILogger logger, string functionName, int statusCode);
}
