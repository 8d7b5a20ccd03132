namespace CustomerSuccess.Simulator.Portfolio;

/// <summary>ARR tiers as CS teams usually cut them: SMB under $20K, Mid-Market $20K-$100K, Enterprise above.</summary>
internal enum Segment
{
    Smb,
    MidMarket,
    Enterprise,
}

/// <summary>
/// How an account behaves over the run. Each is a pattern CS teams describe from practice, written as a plain
/// model of usage, support and billing; none is derived from the app's health model.
/// </summary>
internal enum Behaviour
{
    /// <summary>Steady, broad usage; tickets now and then, mostly happy; renews.</summary>
    HealthyAdopter,

    /// <summary>A new customer whose onboarding stalls for weeks, then recovers once the CSM steps in.</summary>
    SlowOnboarder,

    /// <summary>Usage fades over months with no complaint; the account cancels at renewal.</summary>
    SilentChurner,

    /// <summary>The champion leaves; usage sags; either a new champion is found or the account churns/contracts at renewal.</summary>
    ChampionLeaves,

    /// <summary>Card payments fail; dunning retries; most recover, some end in involuntary churn.</summary>
    PaymentFailures,

    /// <summary>A burst of urgent tickets and bad ratings after an incident; some accounts never forgive it.</summary>
    SupportStorm,

    /// <summary>Seats nearly all in use and more people invited; the account buys more seats.</summary>
    ExpansionNearSeatLimit,
}

internal enum UserRole
{
    Member,
    Champion,
    ExecutiveSponsor,
}

internal sealed class SimulatedUser
{
    public required string UserId { get; init; }

    public required string Email { get; init; }

    public required string FirstName { get; init; }

    public required string LastName { get; init; }

    public string Name => FirstName + " " + LastName;

    public required string Title { get; init; }

    /// <summary>The team or department sent as the identify trait <c>department</c>; null for none.</summary>
    public string? Department { get; init; }

    public required UserRole Role { get; set; }

    /// <summary>How often this person uses the product when the account is engaged (0..1): power users and occasional users.</summary>
    public required double Propensity { get; init; }

    /// <summary>Simulated day the person joins (0 for existing users, later for invites).</summary>
    public int JoinDay { get; init; }

    public long ZendeskUserId { get; init; }

    /// <summary>Day the person left the company (deactivated); null while present.</summary>
    public int? LeftDay { get; set; }

    /// <summary>Whether analytics has identified the person and linked them to the account yet.</summary>
    public bool Linked { get; set; }

    /// <summary>The person's first events went out before the link (the group call comes on a later day).</summary>
    public bool LinkDeferred { get; set; }
}

internal sealed class SimulatedAccount
{
    public required int Index { get; init; }

    /// <summary>The product's own id of the customer organisation: the Segment group id, Stripe metadata.account_id and Zendesk organization external_id.</summary>
    public required string AccountId { get; init; }

    public required string Name { get; init; }

    public required string Domain { get; init; }

    public required string Industry { get; init; }

    public required int Employees { get; init; }

    public required Segment Segment { get; init; }

    public required Behaviour Behaviour { get; init; }

    public required string CsmEmail { get; init; }

    public required string StripeCustomerId { get; init; }

    public required string SubscriptionId { get; init; }

    public required string SubscriptionItemId { get; init; }

    public required string PriceId { get; init; }

    public required string Plan { get; init; }

    public required long ZendeskOrganizationId { get; init; }

    /// <summary>Per seat, per billing interval, in cents.</summary>
    public required long UnitAmountCents { get; init; }

    /// <summary>"month" or "year".</summary>
    public required string Interval { get; init; }

    public required int Seats { get; set; }

    public required DateTimeOffset CustomerSince { get; init; }

    public required DateTimeOffset PeriodStart { get; set; }

    public required DateTimeOffset PeriodEnd { get; set; }

    /// <summary>Day the account starts during the run (0 for existing customers).</summary>
    public int StartDay { get; init; }

    /// <summary>Day the behaviour's defining change begins (fade, champion exit, storm, failed payment, expansion).</summary>
    public int TurnDay { get; set; }

    public List<SimulatedUser> Users { get; } = [];

    /// <summary>Engagement in [0,1]: the share of people who would use the product in a normal week.</summary>
    public double Engagement { get; set; }

    /// <summary>Where engagement settles for this account when nothing is wrong.</summary>
    public double Baseline { get; set; }

    /// <summary>Churn, if chosen, happens at the first renewal on or after this day.</summary>
    public int ChurnNotBefore { get; set; }

    /// <summary>Seats to drop at the next renewal (contraction), or add (negative means drop).</summary>
    public int SeatChangeAtRenewal { get; set; }

    public string Status { get; set; } = "active";

    public bool CancelAtPeriodEnd { get; set; }

    /// <summary>The outcome the model chose for this account's next renewal, decided when its story unfolds.</summary>
    public bool WillChurn { get; set; }

    public string? ChurnReason { get; set; }

    public int? ChurnedDay { get; set; }

    public int? PaymentFailedDay { get; set; }

    public int DunningAttempts { get; set; }

    public bool PaymentRecovers { get; set; }

    public int InvoiceCounter { get; set; }

    public string? LastChargeId { get; set; }

    public string? OpenInvoiceId { get; set; }

    public int? NewChampionDay { get; set; }

    public bool Expanded { get; set; }

    /// <summary>An expanding account tried a higher-tier feature ahead of buying more.</summary>
    public bool TriedHigherTier { get; set; }

    public bool ZendeskOrganizationSent { get; set; }

    /// <summary>Day the CSM books the next regular sync (high-touch accounts); null until the first is planned.</summary>
    public int? NextSyncDay { get; set; }

    /// <summary>Regular syncs booked so far (every few is the business review).</summary>
    public int SyncCount { get; set; }

    /// <summary>The period end the renewal meeting was booked for.</summary>
    public DateTimeOffset? RenewalMeetingFor { get; set; }

    /// <summary>Meetings booked and not yet due: the day, the start, and the event sent when it is held.</summary>
    public List<(int Day, DateTimeOffset StartsAt, string Held)> Bookings { get; } = [];

    public bool GroupSent { get; set; }

    public int MilestonesReached { get; set; }

    /// <summary>Day the "Onboarding Completed" milestone was sent (new customers only).</summary>
    public int? OnboardingCompletedDay { get; set; }

    /// <summary>Day the first-value milestone ("Integration Connected") was sent (new customers only).</summary>
    public int? FirstValueDay { get; set; }

    /// <summary>A customer who started during the run (as opposed to one the app first sees on day 0).</summary>
    public bool IsNewCustomer => CustomerSinceDay >= 0;

    /// <summary>Set by the generator: <see cref="CustomerSince"/> as a simulated day (negative for existing customers).</summary>
    public int CustomerSinceDay { get; init; }

    /// <summary>Monthly recurring revenue in cents.</summary>
    public long MrrCents => Interval == "year" ? UnitAmountCents * Seats / 12 : UnitAmountCents * Seats;

    public long ArrCents => MrrCents * 12;

    public bool IsLive(int day) => day >= StartDay && ChurnedDay is null;
}

internal sealed record Csm(string Name, string Email, Segment Segment);

/// <summary>One week of on-call duty for alerts outside a CSM's own book.</summary>
internal sealed record OnCallShift(DateTimeOffset From, DateTimeOffset To, string CsmEmail);

internal sealed class SimulatedPortfolio
{
    public required DateTimeOffset Day0 { get; init; }

    public required IReadOnlyList<SimulatedAccount> Accounts { get; init; }

    public required IReadOnlyList<Csm> Csms { get; init; }

    public DateTimeOffset DateOf(int day) => Day0.AddDays(day);
}
