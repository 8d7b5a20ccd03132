using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>A healthy account (every dimension 100) to vary one signal at a time, and the as-of instant tests score at.</summary>
internal static class HealthTestData
{
    public static readonly DateTimeOffset AsOf = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    public static readonly DateOnly Today = DateOnly.FromDateTime(AsOf.UtcDateTime);

    /// <summary>
    /// 10 seats, 8 active (80% → 100); 4 logins a day for 60 days (112 in 28 days against 3 × 8 × 4 = 96 expected → 100);
    /// a meeting and 3 replies 3 days ago and a QBR 10 days ago (→ 100); first value reached (→ 100); no tickets and
    /// one good rating (→ 100); active champion and sponsor (→ 100); paying (→ 100). SMB (MRR $500).
    /// </summary>
    public static AccountSignals Healthy(Func<int, DailySignals, DailySignals>? day = null) => new()
    {
        AccountId = "acct-1",
        Name = "Acme",
        MrrCents = 50_000,
        LicensedSeats = 10,
        ActiveUsers30d = 8,
        ActiveUsers7d = 6,
        SubscriptionStatus = "active",
        CustomerSince = AsOf.AddDays(-400),
        Days = Days(60, age =>
        {
            var d = new DailySignals { Day = Today.AddDays(-age), ActiveUsers = 5, Logins = 4, Events = 100 };
            d = age switch
            {
                3 => d with { Meetings = 1, EmailReplies = 3 },
                10 => d with { Qbrs = 1, SatisfactionGood = 1 },
                _ => d,
            };
            return day is null ? d : day(age, d);
        }),
        Milestones = new Dictionary<string, DateTimeOffset> { ["first_value"] = AsOf.AddDays(-300) },
        Relationship = new RelationshipSignals { HasChampion = true, ChampionActive = true, HasExecutiveSponsor = true, ExecutiveSponsorActive = true },
    };

    /// <summary>Days oldest first, ages count-1 … 0.</summary>
    public static IReadOnlyList<DailySignals> Days(int count, Func<int, DailySignals> byAge)
    {
        var days = new List<DailySignals>(count);
        for (var age = count - 1; age >= 0; age--)
        {
            days.Add(byAge(age));
        }

        return days;
    }

    public static HealthScoreCalculator Calculator(Action<HealthOptions>? configure = null, Action<ProductOptions>? product = null)
    {
        var options = new HealthOptions();
        configure?.Invoke(options);
        var vocabulary = new ProductOptions();
        product?.Invoke(vocabulary);
        return new HealthScoreCalculator(options, vocabulary);
    }

    public static HealthScore Previous(int[] dimensions, HealthBand band = HealthBand.Green, DateOnly? bandSince = null, HealthScoreHistory? history = null, int score = 100) => new()
    {
        AccountId = "acct-1",
        Day = Today.AddDays(-1),
        ScoredAt = AsOf.AddDays(-1),
        Score = score,
        ComputedBand = band,
        Band = band,
        Dimensions = dimensions,
        BandSince = bandSince ?? Today.AddDays(-1),
        History = history ?? HealthScoreHistory.Empty.With(Today.AddDays(-1), score),
    };
}
