using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Reviews;

namespace CustomerSuccess.Functions.Tests.Reviews;

/// <summary>The QBR pack from an account worked out by hand: drivers over the trend, adoption, support, milestones, risks, next steps.</summary>
public sealed class QbrPackBuilderTests
{
    private static readonly DateTimeOffset Now = new(2031, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);
    private static readonly HealthWeights Weights = new() { ProductUsage = 40, Engagement = 20, Outcomes = 20, Support = 10, Relationship = 10, Payment = 0 };

    private static readonly ProductOptions Product = new()
    {
        FirstValueMilestone = "first_value",
        SuccessMilestones = new NameList("integrated", "expanded"),
        KeyFeatures = new NameList("Reports", "Alerts", "API"),
    };

    private static Dictionary<HealthDimension, int> Dims(int usage, int engagement, int outcomes, int support, int relationship, int payment) => new()
    {
        [HealthDimension.ProductUsage] = usage,
        [HealthDimension.Engagement] = engagement,
        [HealthDimension.Outcomes] = outcomes,
        [HealthDimension.Support] = support,
        [HealthDimension.Relationship] = relationship,
        [HealthDimension.Payment] = payment,
    };

    private static AccountHealthView View(HealthBand band, int score, IReadOnlyList<HealthHistoryDay> history) => new(
        "acct", "Acme", score, band, band, null, AccountSegment.MidMarket, false, AccountLifecycleState.Active, Dims(30, 50, 60, 40, 70, 100), [],
        HealthTrend.Declining, -33, new HashSet<string>(), 12, Now, null, history);

    private static Alert OpenAlert(AlertTier tier, string reason, int dueInHours) => new()
    {
        AccountId = "acct", RuleId = reason, Occurrence = 1, Tier = tier, Status = AlertStatus.Open, RaisedAt = Now.AddHours(-1), DueBy = Now.AddHours(dueInHours), Reason = reason,
    };

    [Fact]
    public void Build_RedAccountRenewingIn60Days_HandComputedFiguresAndSteps()
    {
        var account = new AccountSignals
        {
            AccountId = "acct",
            Name = "Acme",
            CsmEmail = "pat@example.com",
            MrrCents = 250_000,
            LicensedSeats = 20,
            ActiveUsers30d = 12,
            ActiveUsers7d = 5,
            RenewalDate = Now.AddDays(60.5),
            KeyFeaturesUsed30d = new HashSet<string>(["reports", "api"], StringComparer.OrdinalIgnoreCase),
            Days =
            [
                new DailySignals { Day = Today.AddDays(-30), TicketsOpened = 3, TicketsSolved = 1, SatisfactionGood = 2 },
                new DailySignals { Day = Today.AddDays(-2), TicketsOpened = 1, TicketsSolved = 1, SatisfactionGood = 1, SatisfactionBad = 1 },
            ],
            Milestones = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase) { ["first_value"] = Now.AddDays(-200), ["Integrated"] = Now.AddDays(-100) },
            Relationship = new RelationshipSignals { HasChampion = true },
            LastNpsScore = 5,
            LastNpsAt = Now.AddDays(-10),
            OpenUrgentTickets = 1,
        };
        HealthHistoryDay[] history =
        [
            new(Today.AddDays(-89), 75, HealthBand.Green, Dims(80, 50, 40, 70, 70, 100)),
            new(Today, 42, HealthBand.Red, Dims(30, 50, 60, 40, 70, 100)),
        ];

        var pack = QbrPackBuilder.Build(account, View(HealthBand.Red, 42, history), [OpenAlert(AlertTier.Warning, "NPS detractor", 5), OpenAlert(AlertTier.Opportunity, "Expansion opportunity: 19 of 20 seats active", 300), OpenAlert(AlertTier.Critical, "Score fell to Red", 20)], Product, Weights, Now);

        // Points = weight × change / 100: usage 40 × −50 = −20, outcomes 20 × +20 = +4, support 10 × −30 = −3.
        Assert.Equal(
            [
                new QbrDriver(HealthDimension.ProductUsage, 80, 30, -20, "Product usage fell from 80 to 30, taking 20 points from the score"),
                new QbrDriver(HealthDimension.Outcomes, 40, 60, 4, "Outcomes rose from 40 to 60, adding 4 points to the score"),
                new QbrDriver(HealthDimension.Support, 70, 40, -3, "Support fell from 70 to 40, taking 3 points from the score"),
            ],
            pack.Health.Drivers);
        Assert.Equal((42, HealthBand.Red, 75, Today.AddDays(-89), 2), (pack.Health.Score, pack.Health.Band, pack.Health.ScoreThen, pack.Health.Since, pack.Health.Days.Count));
        Assert.Equal((12, 5, 20, 0.6), (pack.Adoption.ActiveUsers30d, pack.Adoption.ActiveUsers7d, pack.Adoption.LicensedSeats, pack.Adoption.SeatUtilization));
        Assert.Equal(["Reports", "API"], pack.Adoption.KeyFeaturesUsed);
        Assert.Equal(["Alerts"], pack.Adoption.KeyFeaturesNotUsed);
        Assert.Equal(new QbrSupport(4, 2, 1, 4, 0.75, 5, Now.AddDays(-10)), pack.Support);
        Assert.Equal([new QbrMilestone("first_value", Now.AddDays(-200)), new QbrMilestone("integrated", Now.AddDays(-100)), new QbrMilestone("expanded", null)], pack.Milestones);
        Assert.Equal(["Critical: Score fell to Red", "Warning: NPS detractor"], pack.Risks);
        Assert.Equal(["Expansion opportunity: 19 of 20 seats active"], pack.Opportunities);
        Assert.Equal(
            [
                "Escalate to the executive sponsor within 48 hours and agree a save plan.",
                "Renewal in 60 days while Red: assemble the save team (CS, Sales, Exec) now.",
                "Map at least two stakeholders: an executive sponsor is missing.",
                "The last NPS answer was a detractor's: close the loop on what drove it.",
            ],
            pack.NextSteps);
        Assert.Equal((3_000_000L, AccountSegment.MidMarket), (pack.ArrCents, pack.Segment));
    }

    [Fact]
    public void Build_GreenAccountWithoutHistoryOrFirstValue_ExpansionFirstAndTheOnboardingStep()
    {
        var account = new AccountSignals
        {
            AccountId = "acct",
            MrrCents = 10_000,
            RenewalDate = Now.AddDays(100.5),
            CancelAtPeriodEnd = true,
            Relationship = new RelationshipSignals { HasChampion = true, HasExecutiveSponsor = true },
        };

        var pack = QbrPackBuilder.Build(account, View(HealthBand.Green, 80, []), [], Product, Weights, Now);

        Assert.Empty(pack.Health.Drivers);
        Assert.Null(pack.Health.ScoreThen);
        Assert.Null(pack.Adoption.SeatUtilization);
        Assert.Null(pack.Support.Csat);
        Assert.Equal(["Notice of cancellation given"], pack.Risks);
        Assert.Equal(
            [
                "Expansion motion: bring one expansion opportunity backed by the value delivered, and ask for a reference.",
                "Renewal in 100 days: review the value delivered and present the renewal options.",
                "First value not reached yet: agree the path to it and a date.",
            ],
            pack.NextSteps);
    }
}
