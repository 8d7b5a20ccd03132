using System.Globalization;
using Bogus;

namespace CustomerSuccess.Simulator.Portfolio;

/// <summary>
/// Builds a believable B2B SaaS customer base from one seed: an SMB-heavy mix by ARR, per-seat pricing, seat
/// counts, a CSM team with books of business per segment and a weekly on-call rota, and a behaviour per account.
/// Same seed, same portfolio.
/// </summary>
internal static class PortfolioGenerator
{
    private static readonly string[] Industries = ["Software", "Healthcare", "Retail", "Logistics", "Financial services", "Manufacturing", "Education", "Media", "Real estate", "Hospitality"];

    public static SimulatedPortfolio Generate(int accounts, int days, int seed, DateTimeOffset day0)
    {
        var random = new Random(seed);
        var faker = new Faker("en") { Random = new Randomizer(seed) };
        var csms = GenerateCsms(faker, accounts);
        var list = new List<SimulatedAccount>(accounts);
        var usedDomains = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < accounts; i++)
        {
            list.Add(GenerateAccount(i, faker, random, csms, usedDomains, days, day0));
        }

        return new SimulatedPortfolio { Day0 = day0, Accounts = list, Csms = csms, OnCallRota = Rota(csms, day0, days) };
    }

    /// <summary>
    /// The simulated CS team as CS operations would configure it in the app: every CSM on the weekly on-call rota
    /// (in the order the simulator rotates them) and the first Enterprise CSM as the escalation contact.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> TeamSettings(int accounts, int seed)
    {
        var csms = GenerateCsms(new Faker("en") { Random = new Randomizer(seed) }, accounts);
        var settings = csms.Select((c, i) => KeyValuePair.Create($"Alerts__Rota__Members__{i}", c.Email)).ToList();
        settings.Add(KeyValuePair.Create("Alerts__EscalationContact", csms.First(c => c.Segment == Segment.Enterprise).Email));
        return settings;
    }

    private static List<Csm> GenerateCsms(Faker faker, int accounts)
    {
        // Books of business as CS teams staff them: many SMB accounts per (pooled) CSM, few Enterprise ones.
        var counts = new (Segment Segment, int Count)[]
        {
            (Segment.Smb, Math.Max(1, accounts * 65 / 100 / 150)),
            (Segment.MidMarket, Math.Max(1, accounts * 25 / 100 / 40)),
            (Segment.Enterprise, Math.Max(1, accounts * 10 / 100 / 12)),
        };
        var csms = new List<Csm>();
        foreach (var (segment, count) in counts)
        {
            for (var i = 0; i < count; i++)
            {
                var first = faker.Name.FirstName();
                var last = faker.Name.LastName();
                var email = $"{Slug(first)}.{Slug(last)}{csms.Count}@cs.example.com";
                csms.Add(new Csm($"{first} {last}", email, segment));
            }
        }

        return csms;
    }

    private static List<OnCallShift> Rota(List<Csm> csms, DateTimeOffset day0, int days)
    {
        var shifts = new List<OnCallShift>();
        for (var week = 0; week * 7 < days + 7; week++)
        {
            var csm = csms[week % csms.Count];
            shifts.Add(new OnCallShift(day0.AddDays(week * 7), day0.AddDays((week + 1) * 7), csm.Email));
        }

        return shifts;
    }

    private static SimulatedAccount GenerateAccount(int index, Faker faker, Random random, List<Csm> csms, HashSet<string> usedDomains, int days, DateTimeOffset day0)
    {
        var rng = new Random(HashCode.Combine(random.Next(), index));
        var roll = rng.NextDouble();
        var segment = roll < 0.65 ? Segment.Smb : roll < 0.90 ? Segment.MidMarket : Segment.Enterprise;

        // ARR log-uniform within the tier; per-seat price typical for the tier; seats follow from both.
        var (arrLow, arrHigh, priceLow, priceHigh) = segment switch
        {
            Segment.Smb => (3_000d, 19_000d, 60d, 120d),
            Segment.MidMarket => (21_000d, 95_000d, 100d, 200d),
            _ => (110_000d, 450_000d, 200d, 400d),
        };
        var arr = Math.Exp(Math.Log(arrLow) + (rng.NextDouble() * (Math.Log(arrHigh) - Math.Log(arrLow))));
        var monthlySeatPrice = Math.Round(priceLow + (rng.NextDouble() * (priceHigh - priceLow)));
        var annual = segment != Segment.Smb || rng.NextDouble() < 0.35;
        var unit = annual ? (long)(monthlySeatPrice * 12 * 100 * 0.85) : (long)(monthlySeatPrice * 100);
        var seatArr = (annual ? unit : unit * 12) / 100d;
        var seats = Math.Max(2, (int)Math.Round(arr / seatArr));

        // Whole seats and the annual discount must not move an account out of its ARR tier.
        var (tierLow, tierHigh) = segment switch { Segment.Smb => (0d, 19_900d), Segment.MidMarket => (20_100d, 99_900d), _ => (100_100d, double.MaxValue) };
        while (seats * seatArr < tierLow)
        {
            seats++;
        }

        while (seats > 1 && seats * seatArr > tierHigh)
        {
            seats--;
        }

        var behaviour = PickBehaviour(rng, segment);
        var isNew = behaviour == Behaviour.SlowOnboarder || (behaviour == Behaviour.HealthyAdopter && rng.NextDouble() < 0.12);
        var startDay = isNew ? rng.Next(0, Math.Max(1, Math.Min(30, days / 3))) : 0;
        var since = isNew ? day0.AddDays(startDay) : day0.AddDays(-rng.Next(120, 1100));

        // Renewal: existing customers anywhere in their current term; new ones a full term after they start.
        var termDays = annual ? 365 : 30;
        var periodEnd = isNew ? since.AddDays(termDays) : day0.AddDays(rng.Next(1, termDays + 1)).AddHours(rng.Next(0, 24));
        var periodStart = periodEnd.AddDays(-termDays);

        var name = faker.Company.CompanyName();
        var domain = UniqueDomain(name, usedDomains, index);
        var book = csms.Where(c => c.Segment == segment).ToList();
        var csm = book[rng.Next(book.Count)];
        var account = new SimulatedAccount
        {
            Index = index,
            AccountId = "org_" + Token(rng, 12),
            Name = name,
            Domain = domain,
            Industry = Industries[rng.Next(Industries.Length)],
            Employees = seats * rng.Next(3, 12),
            Segment = segment,
            Behaviour = behaviour,
            CsmEmail = csm.Email,
            StripeCustomerId = "cus_" + Token(rng, 14),
            SubscriptionId = "sub_" + Token(rng, 24),
            SubscriptionItemId = "si_" + Token(rng, 14),
            PriceId = "price_" + Token(rng, 24),
            Plan = segment switch { Segment.Smb => "Team", Segment.MidMarket => "Business", _ => "Enterprise" },
            ZendeskOrganizationId = 360_000_000_000 + (index * 7919L) + rng.Next(1000),
            UnitAmountCents = unit,
            Interval = annual ? "year" : "month",
            Seats = seats,
            CustomerSince = since,
            PeriodStart = periodStart,
            PeriodEnd = periodEnd,
            StartDay = startDay,
            Engagement = isNew ? 0.1 : 0.55 + (rng.NextDouble() * 0.3),
            Baseline = 0.55 + (rng.NextDouble() * 0.3),
        };
        account.TurnDay = TurnDayFor(account, rng, days, day0);
        AddUsers(account, faker, rng, isNew);
        return account;
    }

    private static Behaviour PickBehaviour(Random rng, Segment segment)
    {
        // Mix loosely after what CS teams report: most accounts healthy; payment failures concentrate in SMB card billing.
        var paymentShare = segment == Segment.Smb ? 0.12 : 0.04;
        var roll = rng.NextDouble();
        var edges = new (double Share, Behaviour Behaviour)[]
        {
            (0.10, Behaviour.SilentChurner),
            (0.08, Behaviour.ChampionLeaves),
            (paymentShare, Behaviour.PaymentFailures),
            (0.07, Behaviour.SupportStorm),
            (0.09, Behaviour.ExpansionNearSeatLimit),
            (0.07, Behaviour.SlowOnboarder),
        };
        var acc = 0d;
        foreach (var (share, behaviour) in edges)
        {
            acc += share;
            if (roll < acc)
            {
                return behaviour;
            }
        }

        return Behaviour.HealthyAdopter;
    }

    private static int TurnDayFor(SimulatedAccount account, Random rng, int days, DateTimeOffset day0)
    {
        var renewalDay = DayOf(account.PeriodEnd, day0);
        return account.Behaviour switch
        {
            // Usage starts fading a few months before the renewal decision (it may already be under way at day 0).
            Behaviour.SilentChurner => Math.Max(-60, renewalDay - rng.Next(60, 150)),
            Behaviour.ChampionLeaves => rng.Next(5, Math.Max(6, days * 2 / 3)),
            Behaviour.SupportStorm => rng.Next(5, Math.Max(6, days * 2 / 3)),
            Behaviour.ExpansionNearSeatLimit => rng.Next(10, Math.Max(11, days)),
            Behaviour.SlowOnboarder => account.StartDay + rng.Next(30, 50),
            _ => renewalDay,
        };
    }

    internal static int DayOf(DateTimeOffset at, DateTimeOffset day0) => (int)Math.Floor((at - day0).TotalDays);

    private static void AddUsers(SimulatedAccount account, Faker faker, Random rng, bool isNew)
    {
        // Not every licensed seat is assigned; accounts near their seat limit have almost all in use.
        var fill = account.Behaviour == Behaviour.ExpansionNearSeatLimit ? 0.95 + (rng.NextDouble() * 0.05) : 0.65 + (rng.NextDouble() * 0.25);
        var count = Math.Max(2, (int)Math.Round(account.Seats * fill));
        for (var u = 0; u < count; u++)
        {
            var first = faker.Name.FirstName();
            var last = faker.Name.LastName();
            var role = u == 0 ? UserRole.Champion : u == 1 && account.Segment != Segment.Smb ? UserRole.ExecutiveSponsor : UserRole.Member;
            account.Users.Add(new SimulatedUser
            {
                UserId = "usr_" + Token(rng, 12),
                Email = $"{Slug(first)}.{Slug(last)}{u}@{account.Domain}",
                Name = $"{first} {last}",
                Title = role switch { UserRole.Champion => "Operations Lead", UserRole.ExecutiveSponsor => "VP " + faker.Commerce.Department(), _ => faker.Name.JobTitle() },
                Role = role,
                // Power users and occasional users: a skewed spread, as product analytics usually shows.
                Propensity = role == UserRole.ExecutiveSponsor ? 0.25 : Math.Clamp(0.2 + (Math.Pow(rng.NextDouble(), 0.7) * 0.8), 0, 1),
                JoinDay = isNew ? account.StartDay + rng.Next(0, 21) : 0,
                ZendeskUserId = 390_000_000_000 + (account.Index * 100_000L) + u,
            });
        }
    }

    private static string UniqueDomain(string company, HashSet<string> used, int index)
    {
        var stem = new string([.. company.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);
        if (stem.Length == 0)
        {
            stem = "customer";
        }

        stem = stem.Length > 20 ? stem[..20] : stem;
        var domain = stem + ".example";
        if (!used.Add(domain))
        {
            domain = stem + index.ToString(CultureInfo.InvariantCulture) + ".example";
            used.Add(domain);
        }

        return domain;
    }

    internal static string Slug(string value) => new([.. value.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);

    internal static string Token(Random rng, int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[rng.Next(alphabet.Length)];
        }

        return new string(chars);
    }
}
