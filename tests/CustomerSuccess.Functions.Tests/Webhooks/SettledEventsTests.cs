using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Webhooks;

namespace CustomerSuccess.Functions.Tests.Webhooks;

public sealed class SettledEventsTests
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Contains_OnlyWhatWasAdded_WithinTheWindow()
    {
        var settled = new SettledEvents(_clock);
        var window = SettledEvents.WindowFor(new WebhooksOptions { ArchiveRetentionDays = 30 });
        settled.Add("stripe|20261202|0/evt_1");

        Assert.Equal(TimeSpan.FromDays(15), window);
        Assert.True(settled.Contains("stripe|20261202|0/evt_1", window));
        Assert.False(settled.Contains("stripe|20261202|0/evt_2", window));

        _clock.Advance(window - TimeSpan.FromSeconds(1));
        Assert.True(settled.Contains("stripe|20261202|0/evt_1", window));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(settled.Contains("stripe|20261202|0/evt_1", window));
    }

    [Fact]
    public void Add_PastCapacity_ForgetsTheOldestFirst()
    {
        var settled = new SettledEvents(_clock);
        for (var i = 0; i < SettledEvents.Capacity + 10; i++)
        {
            settled.Add("k" + i);
        }

        var window = TimeSpan.FromDays(1);
        Assert.Equal(SettledEvents.Capacity, settled.Count);
        Assert.False(settled.Contains("k0", window));
        Assert.False(settled.Contains("k9", window));
        Assert.True(settled.Contains("k10", window));
        Assert.True(settled.Contains("k" + (SettledEvents.Capacity + 9), window));
    }
}
