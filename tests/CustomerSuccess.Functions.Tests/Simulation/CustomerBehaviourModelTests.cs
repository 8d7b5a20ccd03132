using System.Security.Cryptography;
using System.Text;
using CustomerSuccess.Simulator.Driving;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Functions.Tests.Simulation;

public sealed class CustomerBehaviourModelTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    internal static readonly Scenario Default = Scenario.Load(Scenario.DefaultPath);

    private static List<PlannedEvent> Run(int seed, int days, int accounts = 60)
    {
        var portfolio = PortfolioGenerator.Generate(accounts, seed, Day0, Default);
        var model = new CustomerBehaviourModel(portfolio, new GroundTruth(), seed, Default);
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
    public void PlanDay_BookedMeetings_HighTouchOnlyAndDisengagingCustomersMissMore()
    {
        var portfolio = PortfolioGenerator.Generate(300, 5, Day0, Default);
        var model = new CustomerBehaviourModel(portfolio, new GroundTruth(), 5, Default);
        var events = Enumerable.Range(0, 120).SelectMany(model.PlanDay).Where(e => e.Provider == Provider.Segment && e.Type == "track").ToList();
        string Name(PlannedEvent e) => e.Payload["event"]!.GetValue<string>();
        var segmentOf = portfolio.Accounts.ToDictionary(a => a.AccountId, a => a);

        var booked = events.Where(e => Name(e) == "Meeting Scheduled").ToList();
        Assert.NotEmpty(booked);
        Assert.All(booked, e => Assert.NotEqual(Segment.Smb, segmentOf[e.AccountId].Segment));
        Assert.All(booked, e => Assert.True(DateTimeOffset.TryParse(e.Payload["properties"]!["starts_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _)));
        Assert.Contains(booked, e => e.Payload["properties"]!["kind"]!.GetValue<string>() == "renewal");
        Assert.Contains(events, e => Name(e) == "Renewal Meeting Held");

        // Share of booked meetings missed: silent churners (fading engagement) against healthy adopters.
        double MissedShare(Behaviour behaviour)
        {
            var ids = portfolio.Accounts.Where(a => a.Behaviour == behaviour && a.Segment != Segment.Smb).Select(a => a.AccountId).ToHashSet(StringComparer.Ordinal);
            var bookings = booked.Count(e => ids.Contains(e.AccountId));
            var noShows = events.Count(e => ids.Contains(e.AccountId) && Name(e) == "Meeting No-Show");
            return bookings == 0 ? double.NaN : (double)noShows / bookings;
        }

        Assert.True(MissedShare(Behaviour.SilentChurner) > 2 * MissedShare(Behaviour.HealthyAdopter), $"silent {MissedShare(Behaviour.SilentChurner):0.00}, healthy {MissedShare(Behaviour.HealthyAdopter):0.00}");
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
        var portfolio = PortfolioGenerator.Generate(300, 5, Day0, Default);

        Assert.All(portfolio.Accounts, a =>
        {
            var arr = a.ArrCents / 100m;
            Assert.True(a.Segment switch { Segment.Smb => arr < 20_000m * 1.1m, Segment.MidMarket => arr is >= 18_000m and <= 110_000m, _ => arr > 90_000m }, $"{a.Segment} with ARR {arr}");
        });
        Assert.Contains(portfolio.Accounts, a => a.Segment == Segment.Enterprise);
        Assert.All(Enum.GetValues<Behaviour>(), b => Assert.Contains(portfolio.Accounts, a => a.Behaviour == b));
    }

    [Fact]
    public void Generate_Scenario_SegmentAndStoryMixExactly()
    {
        var portfolio = PortfolioGenerator.Generate(300, 42, Day0, Default);

        // 75% / 17% / 8% of 300; and within SMB's 225, 14% silent churners (31.5, rounded by largest remainder).
        Assert.Equal((225, 51, 24), (portfolio.Accounts.Count(a => a.Segment == Segment.Smb), portfolio.Accounts.Count(a => a.Segment == Segment.MidMarket), portfolio.Accounts.Count(a => a.Segment == Segment.Enterprise)));
        Assert.InRange(portfolio.Accounts.Count(a => a.Segment == Segment.Smb && a.Behaviour == Behaviour.SilentChurner), 31, 32);
    }

    [Fact]
    public void Play_ShortAndLongRun_SamePortfolioAndSameFirstDays()
    {
        var shortRun = OutcomeProjection.Play(80, 9, Default, Day0, 10);
        var longRun = OutcomeProjection.Play(80, 9, Default, Day0, 120);

        Assert.Equal(shortRun.Truth.StartingMrr.OrderBy(x => x.Key), longRun.Truth.StartingMrr.OrderBy(x => x.Key));
        Assert.Equal(shortRun.Portfolio.Accounts.Select(a => (a.AccountId, a.Segment, a.Behaviour, a.TurnDay)), longRun.Portfolio.Accounts.Select(a => (a.AccountId, a.Segment, a.Behaviour, a.TurnDay)));
        Assert.Equal(shortRun.EventsBefore(10), longRun.EventsBefore(10));
        Assert.Equal(shortRun.Truth.Churns, longRun.Truth.Churns.Where(c => c.Day < 10));
    }

    [Fact]
    public void ReplayAgrees_RunStoppedDuringADay_ThatDaysChurnsAreNotADisagreement()
    {
        ChurnRecord Churn(string account, int day) => new(account, day, "story", 1000, Involuntary: false);
        var replay = new[] { Churn("a", 3), Churn("b", 5), Churn("c", 9) };

        Assert.True(SimulationRun.ReplayAgrees([Churn("b", 5), Churn("a", 3)], replay, daysCompleted: 5));
        Assert.True(SimulationRun.ReplayAgrees([Churn("a", 3)], replay, daysCompleted: 5));
        Assert.False(SimulationRun.ReplayAgrees([Churn("a", 3)], replay, daysCompleted: 6));
        Assert.False(SimulationRun.ReplayAgrees([Churn("a", 4), Churn("b", 5)], replay, daysCompleted: 6));
    }

    [Fact]
    public void Generate_DifferentSeeds_DifferentAccountsNotARelabelling()
    {
        // A seed mixed by XOR with the account index gave seeds 7 and 11 the same accounts in another order.
        static HashSet<(Segment, int, Behaviour)> Accounts(int seed) =>
            [.. PortfolioGenerator.Generate(40, seed, Day0, Default).Accounts.Select(a => (a.Segment, a.Seats, a.Behaviour))];

        Assert.True(Accounts(7).Intersect(Accounts(11)).Count() < 20);
    }

    [Fact]
    public void StableSeed_SameInputs_SameValueInEveryProcess()
    {
        // Pinned: a per-process hash (System.HashCode) here would make a run impossible to reproduce from its seed.
        Assert.Equal(StableSeed.Of(42, 3, 0x5eed), StableSeed.Of(42, 3, 0x5eed));
        Assert.Equal(-811_437_322, StableSeed.Of(42, 3, 0x5eed));
        Assert.NotEqual(StableSeed.Of(42, 3, 0x5eed), StableSeed.Of(42, 4, 0x5eed));
    }

    [Fact]
    public void Identify_SendsFirstAndLastNameBesideName()
    {
        var identify = Run(4, 5).First(e => e.Type == "identify").Payload["traits"]!.AsObject();

        Assert.False(string.IsNullOrEmpty((string?)identify["firstName"]));
        Assert.False(string.IsNullOrEmpty((string?)identify["lastName"]));
        Assert.Equal($"{identify["firstName"]} {identify["lastName"]}", (string?)identify["name"]);
    }

    [Fact]
    public void ScenarioFiles_Shipped_LoadAndDiffer()
    {
        var other = Scenario.Load(Path.Combine(AppContext.BaseDirectory, "scenarios", "payment-heavy.json"));

        Assert.Equal("default", Default.Name);
        Assert.NotEqual(Default.Segments, other.Segments);
        Assert.True(other.Stories.Smb.PaymentFailures > Default.Stories.Smb.PaymentFailures);
        Assert.True(other.Stories.Smb.SilentChurner < Default.Stories.Smb.SilentChurner);
    }

    [Theory]
    [InlineData("""{"segments":{"smb":0.5,"midMarket":0.2,"enterprise":0.1},"stories":{"smb":{},"midMarket":{},"enterprise":{}}}""", "segments sum to 0.8")]
    [InlineData("""{"segments":{"smb":0.6,"midMarket":0.3,"enterprise":0.1},"stories":{"smb":{"silentChurner":0.7,"paymentFailures":0.5},"midMarket":{},"enterprise":{}}}""", "stories.smb shares sum to 1.2")]
    [InlineData("""{"segments":{"smb":0.6,"midMarket":0.3,"enterprise":0.1},"stories":{"smb":{"supportStorm":-0.1},"midMarket":{},"enterprise":{}}}""", "stories.smb.supportStorm is -0.1")]
    [InlineData("""{"segments":{"smb":0.6,"midMarket":0.3,"enterprise":0.1},"stories":{"smb":{},"midMarket":{},"enterprise":{}},"noise":{"duplicates":0.1}}""", "duplicates")]
    [InlineData("""{"segments":{"smb":1,"midMarket":0,"enterprise":0}""", "Scenario")]
    public void Load_BadScenario_ErrorNamesTheField(string json, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), "scenario-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        try
        {
            var error = Assert.Throws<InvalidScenarioException>(() => Scenario.Load(path));

            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
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
