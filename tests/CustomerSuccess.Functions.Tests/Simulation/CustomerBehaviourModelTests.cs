using System.Security.Cryptography;
using System.Text;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Functions.Tests.Simulation;

public sealed class CustomerBehaviourModelTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    private static List<PlannedEvent> Run(int seed, int days)
    {
        var portfolio = PortfolioGenerator.Generate(60, days, seed, Day0);
        var model = new CustomerBehaviourModel(portfolio, new GroundTruth(), seed, days);
        return [.. Enumerable.Range(0, days).SelectMany(model.PlanDay)];
    }

    [Fact]
    public void PlanDay_SameSeed_SameEventsWithSameIds()
    {
        var first = Run(11, 20);
        var second = Run(11, 20);

        Assert.Equal(first.Select(e => e.EventId), second.Select(e => e.EventId));
        Assert.Equal(first.Select(e => e.Payload.ToJsonString()), second.Select(e => e.Payload.ToJsonString()));
    }

    [Fact]
    public void PlanDay_DifferentSeed_DifferentRun()
    {
        Assert.NotEqual(Run(11, 5).Select(e => e.EventId), Run(12, 5).Select(e => e.EventId));
    }

    [Fact]
    public void PlanDay_EventIdsUniquePerProvider()
    {
        var events = Run(3, 40);

        foreach (var group in events.GroupBy(e => e.Provider))
        {
            Assert.Equal(group.Count(), group.Select(e => e.EventId).Distinct(StringComparer.Ordinal).Count());
        }
    }

    [Fact]
    public void Generate_SegmentsFollowArrBands()
    {
        var portfolio = PortfolioGenerator.Generate(300, 120, 5, Day0);

        Assert.All(portfolio.Accounts, a =>
        {
            var arr = a.ArrCents / 100m;
            Assert.True(a.Segment switch { Segment.Smb => arr < 20_000m * 1.1m, Segment.MidMarket => arr is >= 18_000m and <= 110_000m, _ => arr > 90_000m }, $"{a.Segment} with ARR {arr}");
        });
        Assert.Contains(portfolio.Accounts, a => a.Segment == Segment.Enterprise);
        Assert.All(Enum.GetValues<Behaviour>(), b => Assert.Contains(portfolio.Accounts, a => a.Behaviour == b));
    }

    [Fact]
    public void Sign_Stripe_HeaderHasTimestampAndV1OverTimestampDotBody()
    {
        var body = Encoding.UTF8.GetBytes("{\"id\":\"evt_1\"}");
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

        var header = Assert.Single(WebhookSigner.Sign(Provider.Stripe, body, now, new WebhookSecrets("whsec_x", "s", "z")));

        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("whsec_x"), Encoding.UTF8.GetBytes("1700000000.{\"id\":\"evt_1\"}")));
        Assert.Equal("Stripe-Signature", header.Key);
        Assert.Equal($"t=1700000000,v1={expected}", header.Value);
    }

    [Fact]
    public void Sign_Zendesk_TimestampHeaderIsTheSignedPrefix()
    {
        var body = Encoding.UTF8.GetBytes("{}");
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

        var headers = WebhookSigner.Sign(Provider.Zendesk, body, now, new WebhookSecrets("w", "s", "zk")).ToDictionary(h => h.Key, h => h.Value);

        Assert.Equal("2026-03-01T12:00:00Z", headers["X-Zendesk-Webhook-Signature-Timestamp"]);
        Assert.Equal(Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes("zk"), Encoding.UTF8.GetBytes("2026-03-01T12:00:00Z{}"))), headers["X-Zendesk-Webhook-Signature"]);
    }
}
