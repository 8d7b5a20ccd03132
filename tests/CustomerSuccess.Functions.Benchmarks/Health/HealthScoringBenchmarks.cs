using BenchmarkDotNet.Attributes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Benchmarks.Health;

/// <summary>
/// In-memory scoring throughput: accounts with 30 days of signals each, scored with a previous score (so drivers
/// and trend are computed), 10,000 scores per invocation, reported per account (OperationsPerInvoke). Target
/// ≥ 1,000,000 accounts/s per core. Two working sets: 100 accounts, one recompute page (a shard scores a page right
/// after reading it, so its signals are in cache), and 10,000 distinct accounts (about 30 MB, streamed from memory:
/// the pessimistic bound).
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class HealthScoringBenchmarks
{
    private const int ScoresPerInvoke = 10_000;

    private static readonly DateTimeOffset AsOf = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    [Params(100, 10_000)]
    public int Accounts { get; set; }

    private HealthScoreCalculator _calculator = null!;
    private AccountSignals[] _signals = null!;
    private HealthScore[] _previous = null!;

    [GlobalSetup]
    public void Setup()
    {
        _calculator = new HealthScoreCalculator(new HealthOptions(), new ProductOptions { KeyFeatures = ["reports", "alerts", "api", "sso"] });
        _signals = new AccountSignals[Accounts];
        _previous = new HealthScore[Accounts];
        var random = new Random(42);
        var today = DateOnly.FromDateTime(AsOf.UtcDateTime);
        for (var i = 0; i < Accounts; i++)
        {
            _signals[i] = HealthSignalFactory.Create(random, $"acct-{i:D6}", today, 30);
            _previous[i] = _calculator.Score(_signals[i], null, null, AsOf.AddDays(-1));
        }
    }

    [Benchmark(OperationsPerInvoke = ScoresPerInvoke)]
    public int ScoreAccount()
    {
        var sum = 0;
        for (var pass = 0; pass < ScoresPerInvoke / _signals.Length; pass++)
        {
            for (var i = 0; i < _signals.Length; i++)
            {
                sum += _calculator.Score(_signals[i], _previous[i], null, AsOf).Score;
            }
        }

        return sum;
    }
}

/// <summary>Plausible synthetic signals (seeded, so every run scores the same accounts).</summary>
internal static class HealthSignalFactory
{
    private static readonly string[] Features = ["reports", "alerts", "api", "sso", "export"];

    public static AccountSignals Create(Random random, string accountId, DateOnly today, int days)
    {
        var seats = random.Next(5, 200);
        var list = new DailySignals[days];
        for (var age = days - 1; age >= 0; age--)
        {
            list[days - 1 - age] = new DailySignals
            {
                Day = today.AddDays(-age),
                ActiveUsers = random.Next(0, seats),
                Logins = random.Next(0, seats * 3),
                Events = random.Next(0, 5_000),
                TicketsOpened = random.Next(0, 10) == 0 ? 1 : 0,
                UrgentOrHighTicketsOpened = random.Next(0, 40) == 0 ? 1 : 0,
                SatisfactionGood = random.Next(0, 8) == 0 ? 1 : 0,
                SatisfactionBad = random.Next(0, 30) == 0 ? 1 : 0,
                PaymentsFailed = random.Next(0, 200) == 0 ? 1 : 0,
                Meetings = random.Next(0, 15) == 0 ? 1 : 0,
                EmailReplies = random.Next(0, 6) == 0 ? 1 : 0,
            };
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in Features)
        {
            if (random.Next(2) == 0)
            {
                used.Add(f);
            }
        }

        return new AccountSignals
        {
            AccountId = accountId,
            MrrCents = random.Next(10_000, 2_000_000),
            LicensedSeats = seats,
            ActiveUsers30d = random.Next(0, seats + 1),
            SubscriptionStatus = random.Next(0, 20) == 0 ? "past_due" : "active",
            CustomerSince = new DateTimeOffset(today.AddDays(-random.Next(30, 1_000)), TimeOnly.MinValue, TimeSpan.Zero),
            Days = list,
            Milestones = random.Next(0, 5) == 0 ? new Dictionary<string, DateTimeOffset>() : new Dictionary<string, DateTimeOffset> { ["first_value"] = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) },
            KeyFeaturesUsed30d = used,
            Relationship = new RelationshipSignals { HasChampion = random.Next(4) != 0, ChampionActive = random.Next(3) != 0, HasExecutiveSponsor = random.Next(2) == 0 },
        };
    }
}
