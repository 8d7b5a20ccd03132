using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using CustomerSuccess.Functions.Tests.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>
/// Two instances of the send processor sharing one quota on Azurite (each its own table client): what one spends or
/// learns from the provider holds for the other. Lifecycle state, facts, email and the queue are stand-ins.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class LifecycleSendQuotaTests(AzuriteFixture azurite) : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly LifecycleOptions _options = new()
    {
        RatePerMinute = 30,
        RatePerHour = 1_800,
        SendQuotaScope = "send-" + Guid.NewGuid().ToString("N")[..12],
        QuietHours = new QuietHoursOptions { Start = new TimeOnly(0, 0), End = new TimeOnly(0, 0) },
        UnsubscribeBaseUrl = new Uri("https://cs.example.com/api/lifecycle/unsubscribe"),
        UnsubscribeSigningKey = "quota-test-signing-key-0123456789abcdef",
    };

    private readonly List<FleetSendRateLimiter> _limiters = [];

    public void Dispose()
    {
        foreach (var limiter in _limiters)
        {
            limiter.Dispose();
        }
    }

    [Fact]
    public async Task Send_QuotaSpentByAnotherInstance_IsReservedTheNextTokenAndSendsOnItWithoutAskingAgain()
    {
        var a = Instance();
        var b = Instance();
        var interval = TimeSpan.FromTicks(new SendQuota(_options).PerMinute.Interval);

        var first = await a.Processor.ProcessAsync(Message("ana@shop.example"), default);
        var second = await b.Processor.ProcessAsync(Message("bo@shop.example"), default);
        var (queue, deferred) = Assert.Single(b.Published);
        var copy = LifecycleSendProcessor.Parse(deferred.Body)!;
        _time.Advance(interval);
        var trips = a.Limiter.RoundTrips;
        var onItsSlot = await a.Processor.ProcessAsync(copy, default);

        Assert.Equal(LifecycleSendOutcome.Sent, first.Outcome);
        Assert.Equal((LifecycleSendOutcome.Deferred, "rate limit", Now + interval), (second.Outcome, second.Reason, second.NotBefore));
        Assert.Equal(Now + interval, copy.RateSlot);
        Assert.Equal((QueueNames.LifecycleSendReserved, Now + interval), (queue, deferred.ScheduledEnqueueTime));
        b.Email.Verify(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Equal(LifecycleSendOutcome.Sent, onItsSlot.Outcome);
        Assert.Equal(trips, a.Limiter.RoundTrips);
    }

    [Fact]
    public async Task Send_ReservedCopyHeldByTheCap_WaitsOnTheMainQueueWithoutItsSlot()
    {
        // Another email reached the contact while this one waited for its slot: the cap holds it for days, and a slot
        // days old would only be refused as late, so the copy goes back to lifecycle-send as an ordinary send.
        var a = Instance(lastSentAt: Now.AddDays(-1));
        var reserved = Message("ana@shop.example") with { RateSlot = Now };

        var result = await a.Processor.ProcessAsync(reserved, default);

        var (queue, deferred) = Assert.Single(a.Published);
        Assert.Equal((LifecycleSendOutcome.Deferred, Now.AddDays(2)), (result.Outcome, result.NotBefore));
        Assert.Equal((QueueNames.LifecycleSend, Now.AddDays(2)), (queue, deferred.ScheduledEnqueueTime));
        Assert.Null(LifecycleSendProcessor.Parse(deferred.Body)!.RateSlot);
        Assert.Equal(0, a.Limiter.RoundTrips);
        a.Email.Verify(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Send_ProviderThrottlesOneInstance_EveryInstanceHoldsOffUntilRetryAfter()
    {
        var a = Instance(new EmailSendResult(EmailSendStatus.Throttled, RetryAfter: TimeSpan.FromSeconds(90)));
        var b = Instance();

        var throttled = await a.Processor.ProcessAsync(Message("ana@shop.example"), default);
        _time.Advance(TimeSpan.FromSeconds(30));
        var held = await b.Processor.ProcessAsync(Message("bo@shop.example"), default);
        _time.Advance(TimeSpan.FromSeconds(60));
        var after = await b.Processor.ProcessAsync(LifecycleSendProcessor.Parse(Assert.Single(b.Published).Message.Body)!, default);

        Assert.Equal((LifecycleSendOutcome.Deferred, Now.AddSeconds(90)), (throttled.Outcome, throttled.NotBefore));
        Assert.Equal((LifecycleSendOutcome.Deferred, "rate limit", Now.AddSeconds(90)), (held.Outcome, held.Reason, held.NotBefore));
        Assert.Equal(LifecycleSendOutcome.Sent, after.Outcome);
        b.Email.Verify(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Send_RenderingOutlastsTheToken_AsksAgainInsteadOfSendingLate()
    {
        var limiter = new Mock<ISendRateLimiter>();
        limiter.SetupSequence(l => l.AdmitAsync(null, It.IsAny<CancellationToken>()))
            .ReturnsAsync(SendPermit.GrantUntil(Now)) // to be handed to the provider before now: too late already
            .ReturnsAsync(SendPermit.ReservedFor(Now.AddSeconds(5)));
        var a = Instance(limiter: limiter.Object);

        var result = await a.Processor.ProcessAsync(Message("ana@shop.example"), default);

        Assert.Equal((LifecycleSendOutcome.Deferred, "rate limit", Now.AddSeconds(5)), (result.Outcome, result.Reason, result.NotBefore));
        Assert.Equal(Now.AddSeconds(5), LifecycleSendProcessor.Parse(Assert.Single(a.Published).Message.Body)!.RateSlot);
        a.Email.Verify(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task ThrottledCounter_ProviderAnswers429_CountedOnceAsThrottled()
    {
        using var metrics = new MetricCapture();
        var a = Instance(new EmailSendResult(EmailSendStatus.Throttled, RetryAfter: TimeSpan.FromSeconds(90)), metrics: metrics.Metrics);
        var b = Instance(metrics: metrics.Metrics);

        await a.Processor.ProcessAsync(Message("ana@shop.example"), default);
        await b.Processor.ProcessAsync(Message("bo@shop.example"), default);

        // Only the 429 is throttling; the other send held off by the pause is a quota deferral.
        Assert.Equal(1, metrics.Sum("customer_success.lifecycle.emails.throttled"));
        Assert.Equal("{email}", metrics.UnitOf("customer_success.lifecycle.emails.throttled"));
        Assert.Equal(1, metrics.Sum("customer_success.lifecycle.emails.deferred", ("reason", "throttled")));
        Assert.Equal(1, metrics.Sum("customer_success.lifecycle.emails.deferred", ("reason", "quota")));
    }

    [Fact]
    public async Task QuotaUtilization_SendsAccepted_ShareOfEachLimitRisesThenFallsAsTheWindowPasses()
    {
        using var metrics = new MetricCapture();
        var usage = new SendQuotaUsage(_options, _time, metrics.Metrics);
        var a = Instance(metrics: metrics.Metrics, usage: usage);
        const string Gauge = "customer_success.lifecycle.quota.utilization";
        Assert.Equal(0, metrics.Observe(Gauge, ("window", "minute")));

        await a.Processor.ProcessAsync(Message("ana@shop.example"), default);
        _time.Advance(TimeSpan.FromSeconds(5));
        await a.Processor.ProcessAsync(Message("bo@shop.example"), default);

        Assert.Equal(2.0 / _options.RatePerMinute, metrics.Observe(Gauge, ("window", "minute")), 9);
        Assert.Equal(2.0 / _options.RatePerHour, metrics.Observe(Gauge, ("window", "hour")), 9);
        Assert.Equal("1", metrics.UnitOf(Gauge));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, metrics.Observe(Gauge, ("window", "minute")));
        Assert.Equal(2.0 / _options.RatePerHour, metrics.Observe(Gauge, ("window", "hour")), 9);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, metrics.Observe(Gauge, ("window", "hour")));
    }

    private (LifecycleSendProcessor Processor, FleetSendRateLimiter Limiter, Mock<IEmailSender> Email, List<(string Queue, OutgoingMessage Message)> Published) Instance(EmailSendResult? result = null, ISendRateLimiter? limiter = null, DateTimeOffset? lastSentAt = null, Functions.Telemetry.AppMetrics? metrics = null, SendQuotaUsage? usage = null)
    {
        var shared = new FleetSendRateLimiter(AppTablesTestKit.Create(azurite.ConnectionString, FleetSendRateLimiter.TableName), _options, _time, NullLogger<FleetSendRateLimiter>.Instance);
        _limiters.Add(shared);

        var store = new Mock<ILifecycleStore>();
        store.Setup(s => s.GetEnrollmentAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string account, string contact, string sequence, string key, CancellationToken _) => new LifecycleEnrollment { AccountId = account, ContactId = contact, Sequence = sequence, EnrollmentKey = key, EnrolledAt = Now });
        store.Setup(s => s.GetContactStateAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync((string contact, CancellationToken _) => new LifecycleContactState(contact, lastSentAt));
        var facts = new Mock<ILifecycleFactsSource>();
        facts.Setup(f => f.GetAsync("acct_quota", It.IsAny<CancellationToken>())).ReturnsAsync(new LifecycleAccountFacts
        {
            AccountId = "acct_quota",
            Name = "Shop",
            Segment = AccountSegment.Smb,
            SubscriptionStatus = "active",
            CustomerSince = Now.AddHours(-1),
            ActiveUsers30d = 2,
            Contacts = [Contact("ana@shop.example"), Contact("bo@shop.example")],
        });
        var email = new Mock<IEmailSender>();
        email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>())).ReturnsAsync(result ?? new EmailSendResult(EmailSendStatus.Accepted));
        var published = new List<(string Queue, OutgoingMessage Message)>();
        var publisher = new Mock<IMessagePublisher>();
        publisher.Setup(p => p.SendAsync(It.IsAny<string>(), It.IsAny<OutgoingMessage>(), It.IsAny<CancellationToken>()))
            .Callback<string, OutgoingMessage, CancellationToken>((q, m, _) => published.Add((q, m)))
            .Returns(Task.CompletedTask);

        var processor = new LifecycleSendProcessor(
            store.Object,
            facts.Object,
            new LifecycleSequenceEngine(_options),
            new SendCapPolicy(_options),
            limiter ?? shared,
            new LifecycleTemplateRenderer(LifecycleTemplateRenderer.DefaultRoot),
            new UnsubscribeLinkSigner(_options),
            email.Object,
            publisher.Object,
            _time,
            NullLogger<LifecycleSendProcessor>.Instance,
            metrics,
            usage);
        return (processor, shared, email, published);
    }

    private static LifecycleContact Contact(string address) => new(LifecycleContactId.For(address), address, "Pat");

    private static LifecycleSendMessage Message(string address)
    {
        var contact = LifecycleContactId.For(address);
        return new LifecycleSendMessage(LifecycleSendId.For("acct_quota", LifecycleSequences.Onboarding, "welcome", "k", 0, contact), "acct_quota", contact, LifecycleSequences.Onboarding, "welcome", "k", 0);
    }
}
