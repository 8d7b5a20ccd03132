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
        settled.Add("stripe|20261202|0/evt_1");

        Assert.True(settled.Contains("stripe|20261202|0/evt_1"));
        Assert.False(settled.Contains("stripe|20261202|0/evt_2"));

        _clock.Advance(SettledEvents.Window - TimeSpan.FromSeconds(1));
        Assert.True(settled.Contains("stripe|20261202|0/evt_1"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(settled.Contains("stripe|20261202|0/evt_1"));
    }

    [Fact]
    public void Add_PastCapacity_ForgetsTheOldestFirst()
    {
        var settled = new SettledEvents(_clock);
        for (var i = 0; i < SettledEvents.Capacity + 10; i++)
        {
            settled.Add("k" + i);
        }

        Assert.Equal(SettledEvents.Capacity, settled.Count);
        Assert.False(settled.Contains("k0"));
        Assert.False(settled.Contains("k9"));
        Assert.True(settled.Contains("k10"));
        Assert.True(settled.Contains("k" + (SettledEvents.Capacity + 9)));
    }
}
