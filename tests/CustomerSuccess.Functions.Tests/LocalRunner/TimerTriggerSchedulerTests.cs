using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.LocalRunner;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace CustomerSuccess.Functions.Tests.LocalRunner;

public sealed class TimerTriggerSchedulerTests
{
    private const string HourlyTimer = """{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 0 * * * *"}]}""";

    [Theory]
    [InlineData("0 */5 * * * *", "2026-11-22T07:03:10Z", "2026-11-22T07:05:00Z")]
    [InlineData("30 0 * * * *", "2026-11-22T07:00:31Z", "2026-11-22T08:00:30Z")]
    [InlineData("0 0 6 * * 1-5", "2026-11-21T07:00:00Z", "2026-11-23T06:00:00Z")]
    public void ParseSchedule_SixFieldNcrontab_SecondsFirstAsTheHostReadsIt(string expression, string after, string expected)
    {
        var schedule = TimerTriggerScheduler.ParseSchedule(expression);

        var next = schedule.GetNextOccurrence(DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime, next);
    }

    [Fact]
    public async Task Scheduler_ClockJumpsThreeHours_FiresOnceMarkedPastDueThenOnSchedule()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 6, 30, 0, TimeSpan.Zero));
        var invocations = new List<TimerInfo>();
        var invoker = new Mock<IFunctionInvoker>();
        invoker.Setup(i => i.InvokeAsync("HealthRecomputeTimer", It.IsAny<InvocationRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string _, InvocationRequest r, CancellationToken _) =>
            {
                lock (invocations)
                {
                    invocations.Add(r.GetData<TimerInfo>("timer", System.Text.Json.JsonSerializerOptions.Default)!);
                }

                return new InvocationOutcome(true, 200, "{}");
            });
        using var scheduler = new TimerTriggerScheduler(
            new FunctionManifest([FunctionDefinition.Parse("HealthRecomputeTimer", HourlyTimer)]),
            invoker.Object,
            new ConfigurationBuilder().Build(),
            time,
            Options.Create(new LocalRunnerOptions { PollInterval = TimeSpan.FromMilliseconds(10) }),
            new WorkerLiveness(TimeProvider.System),
            NullLogger<TimerTriggerScheduler>.Instance);

        await scheduler.StartAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.Empty(invocations);

        time.SetUtcNow(new DateTimeOffset(2026, 11, 22, 9, 30, 0, TimeSpan.Zero));
        await Eventually.WaitUntilAsync(() => Count(invocations) == 1);
        await Task.Delay(100);
        Assert.Equal(1, Count(invocations));

        time.SetUtcNow(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
        await Eventually.WaitUntilAsync(() => Count(invocations) == 2);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.True(invocations[0].IsPastDue);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), invocations[0].ScheduleStatus!.Next);
        Assert.False(invocations[1].IsPastDue);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 11, 0, 0, TimeSpan.Zero), invocations[1].ScheduleStatus!.Next);
    }

    private static int Count(List<TimerInfo> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }
}
