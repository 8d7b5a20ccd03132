using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>
/// Opportunity, the fourth alert kind: raised once per expansion episode and resolved when it ends (the rules, pure), sent
/// to alerts-opportunity (the dispatcher against Azurite, Service Bus mocked at the app's publisher), emailed to the
/// account's CSM alone (the notifier), never escalated, never counted as risk.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class OpportunityAlertTests(AzuriteFixture azurite) : IAsyncLifetime
{
    // A Monday at 23:00 UTC: out of working hours, when a Critical would go to on-call.
    private static readonly DateTimeOffset Night = new(2026, 3, 9, 23, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Night);
    private readonly AlertsOptions _options = new()
    {
        EscalationContact = "vp@example.com",
        DashboardBaseUrl = "https://cs.example.com",
        Rota = new OnCallRotaOptions { Members = ["oncall@example.com"] },
    };

    private readonly Mock<IHealthTransitionFeed> _feed = new();
    private readonly Mock<IMessagePublisher> _publisher = new();
    private readonly Mock<IEmailSender> _email = new();
    private readonly List<(string Queue, OutgoingMessage Message)> _sent = [];
    private readonly List<EmailMessage> _emails = [];
    private readonly Queue<HealthTransitionEnvelope> _pending = new();
    private AppTables _tables = null!;

    public async Task InitializeAsync()
    {
        _tables = await AppTablesTestKit.FreshAsync(azurite.ConnectionString, null, AlertStore.DefaultTable, AlertStore.OpenIndexTable, AlertNotifier.LedgerTable, AlertNotifier.DigestTable);
        _feed.Setup(f => f.ReadPendingAsync(It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => { var all = _pending.ToList(); _pending.Clear(); return all; });
        _feed.Setup(f => f.AcknowledgeAsync(It.IsAny<IReadOnlyList<HealthTransitionEnvelope>>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        _publisher.Setup(p => p.SendBatchAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<OutgoingMessage>>(), It.IsAny<CancellationToken>()))
            .Callback<string, IReadOnlyList<OutgoingMessage>, CancellationToken>((q, m, _) => _sent.AddRange(m.Select(message => (q, message))))
            .Returns(Task.CompletedTask);
        _email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()))
            .Callback<EmailMessage, CancellationToken>((m, _) => _emails.Add(m))
            .ReturnsAsync(new EmailSendResult(EmailSendStatus.Accepted));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static HealthTransition Green(string account = "acc-1", string? csm = "csm@example.com") => new()
    {
        AccountId = account,
        RunId = "run",
        ScoredAt = Night,
        Score = 85,
        Band = HealthBand.Green,
        PreviousBand = HealthBand.Green,
        DaysInBand = 20,
        CsmEmail = csm,
    };

    private static AccountSignals Account(string id, int active) => new()
    {
        AccountId = id,
        SubscriptionStatus = "active",
        MrrCents = 500_000,
        LicensedSeats = 50,
        ActiveUsers30d = active,
        Milestones = new Dictionary<string, DateTimeOffset> { ["first_value"] = Night.AddDays(-100) },
    };

    private ExpansionAssessment Assessed(int active) =>
        ExpansionDetector.Assess(Account("acc-1", active), Green(), new ExpansionOptions(), new ValueMilestone("first_value"), _clock.GetUtcNow());

    [Fact]
    public void Evaluate_SeatsOverTheShare_RaisesAnOpportunityWithItsEstimate()
    {
        var change = Assert.Single(AlertRuleEngine.Evaluate(Green(), [], _options, Night, Assessed(46)));

        Assert.Equal((AlertChangeKind.Raise, AlertRules.ExpansionOpportunity, AlertTier.Opportunity), (change.Kind, change.Alert.RuleId, change.Alert.Tier));
        Assert.Equal(Night.AddDays(14), change.Alert.DueBy);
        Assert.Equal(80_000, change.Alert.Opportunity!.Estimate.ExpansionMrrCents);
        Assert.False(change.Alert.Tier.IsRisk());
    }

    [Fact]
    public void Evaluate_SameEpisodeNextDays_RaisesOnce_ThenResolvesWhenTheSignalEnds()
    {
        var raised = Assert.Single(AlertRuleEngine.Evaluate(Green(), [], _options, Night, Assessed(46))).Alert;

        Assert.Empty(AlertRuleEngine.Evaluate(Green(), [raised], _options, Night.AddDays(1), Assessed(47)));
        Assert.Empty(AlertRuleEngine.Evaluate(Green(), [raised], _options, Night.AddDays(2), null)); // not read: left alone
        var ended = Assert.Single(AlertRuleEngine.Evaluate(Green(), [raised], _options, Night.AddDays(3), Assessed(30)));
        Assert.Equal((AlertChangeKind.Clear, AlertStatus.Resolved, AlertRuleEngine.ClearedNote), (ended.Kind, ended.Alert.Status, ended.Alert.ResolutionNote));
    }

    [Fact]
    public void EscalateIfOverdue_OpportunityPastItsDueTime_NeverEscalates()
    {
        var raised = Assert.Single(AlertRuleEngine.Evaluate(Green(), [], _options, Night, Assessed(46))).Alert;

        Assert.Null(AlertRuleEngine.EscalateIfOverdue(raised, _options, Night.AddDays(60)));
    }

    [Fact]
    public void Select_OpportunityAtNight_TheAccountsCsmOnly_NeverOnCallOrEscalation()
    {
        var raised = Assert.Single(AlertRuleEngine.Evaluate(Green(), [], _options, Night, Assessed(46))).Alert;

        var recipients = AlertRecipientSelector.Select(raised, AlertChangeKind.Raise, _options, Night)!;

        Assert.Equal(("csm@example.com", false), (recipients.To, recipients.ViaOnCall));
        Assert.Empty(recipients.Cc);
        Assert.Null(AlertRecipientSelector.Select(raised with { CsmEmail = null }, AlertChangeKind.Raise, _options, Night));
        Assert.Equal("alerts-opportunity", AlertTierRouter.QueueFor(AlertTier.Opportunity));
    }

    [Fact]
    public void SlaAttainment_Opportunities_NotCounted()
    {
        var raised = Assert.Single(AlertRuleEngine.Evaluate(Green(), [], _options, Night, Assessed(46))).Alert;

        var attainment = AlertSlaAttainmentCalculator.Of([raised], Night, Night.AddDays(30));

        Assert.Equal([AlertTier.Critical, AlertTier.Warning, AlertTier.Watch], attainment.Select(a => a.Tier));
        Assert.All(attainment, a => Assert.Equal(0, a.Due));
    }

    [Fact]
    public async Task Dispatch_OpportunityRaisedAndEnded_BothToAlertsOpportunity_NothingEscalated()
    {
        var store = new AlertStore(_tables);
        var product = Options.Create(new ProductOptions());
        AlertDispatcher Dispatcher(int active) => new(
            _feed.Object, store, _publisher.Object, Options.Create(_options), _clock, NullLogger<AlertDispatcher>.Instance,
            accounts: new FakeSignalSource([Account("acc-1", active)]), expansionOptions: Options.Create(new ExpansionOptions()), product: product);

        _pending.Enqueue(new HealthTransitionEnvelope(Green(), "h1"));
        await Dispatcher(46).RunAsync(CancellationToken.None);
        var raised = Assert.Single(_sent);
        Assert.Equal(("alerts-opportunity", "acc-1-expansion-opportunity-1-opportunity-1", "Opportunity"), (raised.Queue, raised.Message.MessageId, raised.Message.ApplicationProperties["tier"]));

        _clock.Advance(TimeSpan.FromDays(20)); // past its due time: nothing escalates
        await Dispatcher(46).RunAsync(CancellationToken.None);
        Assert.Single(_sent);

        _pending.Enqueue(new HealthTransitionEnvelope(Green() with { ScoredAt = _clock.GetUtcNow() }, "h2"));
        await Dispatcher(30).RunAsync(CancellationToken.None);
        Assert.Equal(2, _sent.Count);
        Assert.Equal("alerts-opportunity", _sent[1].Queue);
        var stored = Assert.Single(await store.GetForAccountAsync("acc-1", default));
        Assert.Equal((AlertTier.Opportunity, AlertStatus.Resolved, false), (stored.Tier, stored.Status, stored.EscalatedToContact));
        Assert.Equal(80_000, stored.Opportunity!.Estimate.ExpansionMrrCents); // kept as raised
    }

    private AlertNotifier Notifier() => new(_tables, _email.Object, Options.Create(_options), _clock, NullLogger<AlertNotifier>.Instance);

    private ServiceBusDelivery Delivery(string? csm, AlertChangeKind kind = AlertChangeKind.Raise)
    {
        var account = "acc-" + Guid.NewGuid().ToString("N")[..8];
        var alert = Assert.Single(AlertRuleEngine.Evaluate(Green(account, csm), [], _options, Night, Assessed(46))).Alert;
        var body = JsonSerializer.Serialize(new AlertNotification(kind, alert), AlertStore.Json);
        return new ServiceBusDelivery(body, alert.MessageId, 1, Night, new Dictionary<string, string>());
    }

    [Fact]
    public async Task Notify_OpportunityAtNight_EmailsTheCsmWithSignalsAndEstimate_NoCopyNoOnCall()
    {
        await Notifier().HandleAsync(Delivery("csm@example.com"), CancellationToken.None);

        var email = Assert.Single(_emails);
        Assert.Equal("csm@example.com", email.To);
        Assert.Empty(email.Cc);
        Assert.StartsWith("[Opportunity] ", email.Subject, StringComparison.Ordinal);
        Assert.Equal("alert/opportunity", email.Category);
        Assert.Contains("seat-utilization: 46 of 50 seats active", email.PlainText, StringComparison.Ordinal);
        Assert.Contains("Estimated expansion MRR: 800.00 (8 seats at 100.00", email.PlainText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_OpportunityEnded_ToldInTheCsmsDigestNotAtOnce()
    {
        var notifier = Notifier();

        await notifier.HandleAsync(Delivery("owner@example.com", AlertChangeKind.Clear), CancellationToken.None);
        Assert.Empty(_emails);
        await notifier.SendDigestsAsync(CancellationToken.None);

        var digest = Assert.Single(_emails, e => e.To == "owner@example.com");
        Assert.Equal("alert/watch-digest", digest.Category);
        Assert.Contains("expansion-opportunity", digest.PlainText, StringComparison.Ordinal);
        Assert.DoesNotContain(_emails, e => e.To is "oncall@example.com" or "vp@example.com");
    }

    [Fact]
    public async Task Notify_OpportunityOfAnAccountWithoutCsm_NobodyIsEmailed()
    {
        await Notifier().HandleAsync(Delivery(csm: null), CancellationToken.None);

        Assert.Empty(_emails);
        _email.Verify(e => e.SendAsync(It.Is<EmailMessage>(m => m.To == "oncall@example.com" || m.To == "vp@example.com"), It.IsAny<CancellationToken>()), Times.Never);
    }
}
