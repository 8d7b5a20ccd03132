using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>
/// Walks an account through simulated days on a fake clock: a scan at each tick (the timer function's job), then
/// each queued send is re-checked right before "sending" (the queue processor's job) and recorded.
/// </summary>
internal sealed class LifecycleSimulation
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private readonly LifecycleSequenceEngine _engine;
    private readonly LifecyclePlanner _planner;
    private readonly Dictionary<string, LifecycleContactState> _contacts = new(StringComparer.Ordinal);
    private List<LifecycleEnrollment> _enrollments = [];

    public LifecycleSimulation(LifecycleOptions? options = null)
    {
        Options = options ?? new LifecycleOptions { QuietHours = new QuietHoursOptions { Start = new TimeOnly(0, 0), End = new TimeOnly(0, 0) } };
        _engine = new LifecycleSequenceEngine(Options);
        _planner = new LifecyclePlanner(_engine, new SendCapPolicy(Options));
    }

    public LifecycleOptions Options { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public List<(int Day, string Contact, string Sequence, string Step)> Sent { get; } = [];

    public List<(int Day, string Step, string Reason)> DroppedAtSendTime { get; } = [];

    public IReadOnlyList<LifecycleEnrollment> Enrollments => _enrollments;

    public int Day => (int)(Time.GetUtcNow() - Start).TotalDays;

    public void Suppress(string contactId) => _contacts[contactId] = new LifecycleContactState(contactId, _contacts.GetValueOrDefault(contactId)?.LastSentAt, true, "unsubscribed");

    /// <summary>Runs the scan every <paramref name="step"/> for <paramref name="days"/> days; facts may change with the day.</summary>
    public void Run(int days, Func<int, LifecycleAccountFacts> factsOnDay, Func<int, LifecycleAccountFacts>? factsAtSendTime = null, TimeSpan? step = null)
    {
        var tick = step ?? TimeSpan.FromDays(1);
        var end = Time.GetUtcNow().AddDays(days);
        while (Time.GetUtcNow() < end)
        {
            Tick(factsOnDay(Day), factsAtSendTime?.Invoke(Day));
            Time.Advance(tick);
        }
    }

    public void Tick(LifecycleAccountFacts facts, LifecycleAccountFacts? atSendTime = null)
    {
        var now = Time.GetUtcNow();
        var plan = _planner.Plan(facts, _enrollments, _contacts, now);
        _enrollments = [.. plan.Enrollments];
        foreach (var send in plan.Sends)
        {
            var enrollment = _enrollments.Single(e => e.ContactId == send.Contact.ContactId && e.Sequence == send.Step.Sequence && e.EnrollmentKey == send.Step.EnrollmentKey);
            var reason = _engine.CheckBeforeSend(atSendTime ?? facts, enrollment, send.Step.Step);
            if (reason is not null)
            {
                DroppedAtSendTime.Add((Day, send.Step.Step, reason));
                continue;
            }

            Sent.Add((Day, send.Contact.ContactId, send.Step.Sequence, send.Step.Step));
            _contacts[send.Contact.ContactId] = new LifecycleContactState(send.Contact.ContactId, now);
        }
    }

    public static LifecycleAccountFacts Account(Func<LifecycleAccountFacts, LifecycleAccountFacts>? change = null, params LifecycleContact[] contacts)
    {
        var facts = new LifecycleAccountFacts
        {
            AccountId = "acct_1",
            Name = "Acme",
            SubscriptionStatus = "active",
            CustomerSince = Start,
            RenewalDate = Start.AddYears(1),
            ActiveUsers30d = 1,
            KeyFeatureAdoption = 0.5,
            Contacts = contacts.Length == 0 ? [new LifecycleContact("c1", "ana@acme.example", "Ana")] : contacts,
        };
        return change is null ? facts : change(facts);
    }
}
