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
    /// <summary>New customers start within this many days of day 0.</summary>
    public const int NewCustomerWindowDays = 30;

    private static readonly string[] Industries = ["Software", "Healthcare", "Retail", "Logistics", "Financial services", "Manufacturing", "Education", "Media", "Real estate", "Hospitality"];

    /// <summary>
    /// The portfolio for a seed and scenario. It does not depend on how many days are simulated: the stories'
    /// turning points fall within the scenario's story horizon, so a longer run only shows more of the same stories.
    /// </summary>
    public static SimulatedPortfolio Generate(int accounts, int seed, DateTimeOffset day0, Scenario scenario)
    {
        var faker = new Faker("en") { Random = new Randomizer(seed) };
        var csms = GenerateCsms(faker, accounts, scenario);
        var list = new List<SimulatedAccount>(accounts);
        var usedDomains = new HashSet<string>(StringComparer.Ordinal);
        var mix = Mix(accounts, seed, scenario);
        for (var i = 0; i < accounts; i++)
        {
            list.Add(GenerateAccount(i, mix[i].Segment, mix[i].Story, faker, new Random(StableSeed.Of(seed, i, 0xacc)), csms, usedDomains, day0, scenario));
        }

        return new SimulatedPortfolio { Day0 = day0, Accounts = list, Csms = csms };
    }

    /// <summary>
    /// The simulated CS team as CS operations would configure it in the app: every CSM on the weekly on-call rota
    /// (in the order the simulator rotates them) and the first Enterprise CSM as the escalation contact. Plus the
    /// simulated tenant's email quota, raised: the app's clock stands still between steps (one a day by default), so
    /// sends a real quota spreads over minutes all ask at one instant. With a new domain's 100 an hour the bucket grants
    /// one and stamps the rest for later in the same hour, which the clock only reaches at the next step, a day on:
    /// about one lifecycle email a day went out and a win-back came eleven days late. This quota's burst (one token
    /// per 200 of the limit, <c>SendQuotaRule</c>) holds a day's sends; the quota's own behaviour is tested, and
    /// measured by the fleet benchmark, elsewhere.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> TeamSettings(int accounts, int seed, Scenario scenario)
    {
        var csms = GenerateCsms(new Faker("en") { Random = new Randomizer(seed) }, accounts, scenario);
        var settings = csms.Select((c, i) => KeyValuePair.Create($"Alerts__Rota__Members__{i}", c.Email)).ToList();
        settings.Add(KeyValuePair.Create("Alerts__EscalationContact", csms.First(c => c.Segment == Segment.Enterprise).Email));
        settings.Add(KeyValuePair.Create("Lifecycle__RatePerMinute", "100000"));
        settings.Add(KeyValuePair.Create("Lifecycle__RatePerHour", "1000000"));
        return settings;
    }

    private static List<Csm> GenerateCsms(Faker faker, int accounts, Scenario scenario)
    {
        // Books of business as CS teams staff them: many SMB accounts per (pooled) CSM, few Enterprise ones.
        var counts = new (Segment Segment, int Count)[]
        {
            (Segment.Smb, Math.Max(1, (int)(accounts * scenario.Segments.Smb / 150))),
            (Segment.MidMarket, Math.Max(1, (int)(accounts * scenario.Segments.MidMarket / 40))),
            (Segment.Enterprise, Math.Max(1, (int)(accounts * scenario.Segments.Enterprise / 12))),
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

    /// <summary>The weekly on-call rota over a run: the CSMs in turn, in the order the app's rota setting lists them.</summary>
    public static List<OnCallShift> Rota(IReadOnlyList<Csm> csms, DateTimeOffset day0, int days)
    {
        var shifts = new List<OnCallShift>();
        for (var week = 0; week * 7 < days + 7; week++)
        {
            var csm = csms[week % csms.Count];
            shifts.Add(new OnCallShift(day0.AddDays(week * 7), day0.AddDays((week + 1) * 7), csm.Email));
        }

        return shifts;
    }

    /// <summary>
    /// Each account's segment and story, in the scenario's proportions exactly (largest remainders), in a seeded
    /// random order: a scenario's mix is what the run gets, not a sample of it.
    /// </summary>
    private static (Segment Segment, Behaviour Story)[] Mix(int accounts, int seed, Scenario scenario)
    {
        var rng = new Random(StableSeed.Of(seed, 0x5e6));
        var segments = Shuffle(Apportion(accounts, [(Segment.Smb, scenario.Segments.Smb), (Segment.MidMarket, scenario.Segments.MidMarket), (Segment.Enterprise, scenario.Segments.Enterprise)]), rng);
        var result = new (Segment, Behaviour)[accounts];
        foreach (var segment in Enum.GetValues<Segment>())
        {
            var indices = Enumerable.Range(0, accounts).Where(i => segments[i] == segment).ToList();
            var stories = scenario.StoriesFor(segment).Shares().ToList();
            stories.Add((Behaviour.HealthyAdopter, Math.Max(0, 1 - stories.Sum(s => s.Share))));
            var assigned = Shuffle(Apportion(indices.Count, stories), rng);
            for (var k = 0; k < indices.Count; k++)
            {
                result[indices[k]] = (segment, assigned[k]);
            }
        }

        return result;
    }

    /// <summary>n items split by shares with the largest-remainder method (ties to the earlier entry).</summary>
    internal static List<T> Apportion<T>(int n, IReadOnlyList<(T Item, double Share)> shares)
    {
        var total = shares.Sum(s => s.Share);
        var exact = shares.Select(s => total <= 0 ? 0 : s.Share / total * n).ToList();
        var counts = exact.Select(x => (int)Math.Floor(x)).ToList();
        foreach (var k in Enumerable.Range(0, shares.Count).OrderByDescending(k => exact[k] - counts[k]).ThenBy(k => k).Take(n - counts.Sum()))
        {
            counts[k]++;
        }

        var items = new List<T>(n);
        for (var k = 0; k < shares.Count; k++)
        {
            items.AddRange(Enumerable.Repeat(shares[k].Item, counts[k]));
        }

        return items;
    }

    private static List<T> Shuffle<T>(List<T> items, Random rng)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }

    private static SimulatedAccount GenerateAccount(int index, Segment segment, Behaviour behaviour, Faker faker, Random rng, List<Csm> csms, HashSet<string> usedDomains, DateTimeOffset day0, Scenario scenario)
    {

        // ARR log-uniform within the tier; per-seat price typical for the tier; seats follow from both.
        var (arrLow, arrHigh, priceLow, priceHigh) = segment switch
        {
            Segment.Smb => (3_000d, 19_000d, 60d, 120d),
            Segment.MidMarket => (21_000d, 95_000d, 100d, 200d),
            _ => (110_000d, 450_000d, 200d, 400d),
        };
        var arr = Math.Exp(Math.Log(arrLow) + (rng.NextDouble() * (Math.Log(arrHigh) - Math.Log(arrLow))));
        var monthlySeatPrice = Math.Round(priceLow + (rng.NextDouble() * (priceHigh - priceLow)));
        var annual = segment != Segment.Smb || rng.NextDouble() < scenario.Rates.SmbAnnualShare;
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

        var isNew = behaviour == Behaviour.SlowOnboarder || (behaviour == Behaviour.HealthyAdopter && rng.NextDouble() < scenario.Outcomes.HealthyAdopter.NewDuringRun);
        var startDay = isNew ? rng.Next(0, NewCustomerWindowDays) : 0;
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
            CustomerSinceDay = DayOf(since, day0),
            PeriodStart = periodStart,
            PeriodEnd = periodEnd,
            StartDay = startDay,
            Engagement = isNew ? 0.1 : 0.55 + (rng.NextDouble() * 0.3),
            Baseline = 0.55 + (rng.NextDouble() * 0.3),
        };
        account.TurnDay = TurnDayFor(account, rng, scenario.Rates.StoryHorizonDays, day0);
        AddUsers(account, faker, rng, isNew);
        return account;
    }

    private static int TurnDayFor(SimulatedAccount account, Random rng, int horizon, DateTimeOffset day0)
    {
        var renewalDay = DayOf(account.PeriodEnd, day0);
        return account.Behaviour switch
        {
            // Annual terms: usage starts fading a few months before the renewal decision (perhaps before day 0).
            // Monthly terms can be ended any month: the fade begins at any time in the story horizon's first part.
            Behaviour.SilentChurner => account.Interval == "year" ? Math.Max(-60, renewalDay - rng.Next(60, 150)) : rng.Next(0, Math.Max(1, horizon - 60)),
            Behaviour.ChampionLeaves => rng.Next(5, Math.Max(6, horizon * 2 / 3)),
            Behaviour.SupportStorm => rng.Next(5, Math.Max(6, horizon * 2 / 3)),
            Behaviour.ExpansionNearSeatLimit => rng.Next(10, Math.Max(11, horizon)),
            Behaviour.SlowOnboarder => account.StartDay + rng.Next(30, 50),

            // The card fails at the first renewal on or after this day (an annual one at its renewal).
            Behaviour.PaymentFailures => account.Interval == "year" ? renewalDay : rng.Next(0, Math.Max(1, horizon)),
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
                FirstName = first,
                LastName = last,
                Title = role switch { UserRole.Champion => "Operations Lead", UserRole.ExecutiveSponsor => "VP " + faker.Commerce.Department(), _ => faker.Name.JobTitle() },
                Role = role,
                // Power users and occasional users: a skewed spread, as product analytics usually shows.
                Propensity = role == UserRole.ExecutiveSponsor ? 0.25 : Math.Clamp(0.2 + (Math.Pow(rng.NextDouble(), 0.7) * 0.8), 0, 1),
                JoinDay = isNew ? account.StartDay + (u == 0 ? 0 : rng.Next(0, 21)) : 0, // the first user is the one who signed up
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
