using CustomerSuccess.Functions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>The one loop every background worker runs: no exception ends it, each is reported, stopping the app does.</summary>
public sealed class WorkerLoopTests
{
    private readonly WorkerLiveness _liveness = new(TimeProvider.System);

    [Fact]
    public async Task RunAsync_IterationsThrowAnything_LoopGoesOnAndReportsFailingThenRunning()
    {
        var heartbeat = _liveness.Register("test-loop");
        var iterations = 0;
        using var stop = new CancellationTokenSource();
        var failing = new TaskCompletionSource();
        var recovered = new TaskCompletionSource();
        Exception[] errors = [new NullReferenceException(), new InvalidOperationException("lone surrogate"), new ArgumentException("rowKey is 3000 characters long"), new OutOfMemoryException("not really")];

        var loop = WorkerLoop.RunAsync(heartbeat, _ =>
        {
            var n = Interlocked.Increment(ref iterations);
            if (n <= errors.Length)
            {
                if (n == errors.Length)
                {
                    failing.TrySetResult();
                }

                throw errors[n - 1];
            }

            recovered.TrySetResult();
            return Task.Delay(10, CancellationToken.None);
        }, NullLogger.Instance, stop.Token);

        await failing.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var whileFailing = Assert.Single(_liveness.Snapshot());
        await recovered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        var afterwards = Assert.Single(_liveness.Snapshot());

        Assert.True(whileFailing.Degraded);
        Assert.Equal(WorkerState.Failing, whileFailing.State);
        Assert.False(loop.IsCompleted);
        Assert.Equal(WorkerState.Running, afterwards.State);
        Assert.False(afterwards.Degraded);
        Assert.Equal(errors.Length, afterwards.Failures);
        Assert.Equal("OutOfMemoryException: not really", afterwards.LastError);

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WorkerState.Stopped, Assert.Single(_liveness.Snapshot()).State);
        Assert.False(Assert.Single(_liveness.Snapshot()).Degraded);
    }

    [Fact]
    public async Task RunAsync_StoppedWhileBackingOff_EndsPromptly()
    {
        using var stop = new CancellationTokenSource();
        var loop = WorkerLoop.RunAsync(_liveness.Register("always-failing"), _ => throw new TimeoutException(), NullLogger.Instance, stop.Token);
        await Task.Delay(300);

        await stop.CancelAsync();

        await loop.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(WorkerState.Stopped, Assert.Single(_liveness.Snapshot()).State);
    }

    [Fact]
    public void Heartbeat_EndedWhileTheAppRuns_Degraded()
    {
        var heartbeat = _liveness.Register("ended");

        heartbeat.Ended(appStopping: false);

        var status = Assert.Single(_liveness.Snapshot());
        Assert.Equal(WorkerState.Ended, status.State);
        Assert.True(status.Degraded);
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(8, 12_800)]
    [InlineData(9, 25_600)]
    [InlineData(10, 30_000)]
    [InlineData(1000, 30_000)]
    public void Backoff_DoublesUpToThirtySeconds(int failuresInARow, int expectedMilliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), WorkerLoop.Backoff(failuresInARow));
}
