namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>Waits for something a background worker does, polling, and fails the test after 10 s.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static Task WaitUntilAsync(Func<bool> condition, int pollMilliseconds = 10) =>
        WaitUntilAsync(() => Task.FromResult(condition()), pollMilliseconds);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, int pollMilliseconds = 100)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(pollMilliseconds);
        }
    }
}
