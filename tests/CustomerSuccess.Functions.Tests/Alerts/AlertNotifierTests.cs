using System.Text.Json;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Tests.Alerts;

[Collection(AzuriteCollection.Name)]
public sealed class AlertNotifierTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AppTables _tables = null!;

    public async Task InitializeAsync() => _tables = await AppTablesTestKit.FreshAsync(azurite.ConnectionString, null, AlertNotifier.LedgerTable, AlertNotifier.DigestTable);

    public Task DisposeAsync() => Task.CompletedTask;

    private static readonly DateTimeOffset MondayNoon = new(2026, 3, 9, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(MondayNoon);
    private readonly Mock<IEmailSender> _email = new();
    private readonly List<EmailMessage> _emails = [];

    private AlertNotifier Notifier(AppTables tables)
    {
        _email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()))
            .Callback<EmailMessage, CancellationToken>((m, _) => _emails.Add(m))
            .ReturnsAsync(new EmailSendResult(EmailSendStatus.Accepted));
        var options = new AlertsOptions
        {
            EscalationContact = "vp@example.com",
            DashboardBaseUrl = "https://cs.example.com/",
            Rota = new OnCallRotaOptions { Members = ["oncall@example.com"] },
        };
        return new AlertNotifier(tables, _email.Object, Options.Create(options), _clock, NullLogger<AlertNotifier>.Instance);
    }

    /// <summary>Isolates each test's ledger and digest rows by using a fresh account id.</summary>
    private static ServiceBusDelivery Delivery(AlertTier tier, string account, int deliveryCount = 1, string csm = "csm@example.com")
    {
        var alert = new Alert
        {
            AccountId = account,
            AccountName = "Acme <Corp>",
            RuleId = AlertRules.HealthBand,
            Occurrence = 1,
            Tier = tier,
            Status = AlertStatus.Open,
            RaisedAt = MondayNoon,
            DueBy = MondayNoon.AddHours(24),
            Reason = "Health band is Red",
            CsmEmail = csm,
            Drivers = [new HealthDriver("ProductUsage", -30, "active seats 62% → 18%")],
        };
        var body = JsonSerializer.Serialize(new AlertNotification(AlertChangeKind.Raise, alert), AlertStore.Json);
        return new ServiceBusDelivery(body, alert.MessageId, deliveryCount, MondayNoon, new Dictionary<string, string>());
    }

    private static string NewAccount() => "acc-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Handle_Critical_EmailsCsmWithCopyToEscalationContactAndLinks()
    {
        var notifier = Notifier(_tables);
        var account = NewAccount();

        await notifier.HandleAsync(Delivery(AlertTier.Critical, account), CancellationToken.None);

        var email = Assert.Single(_emails);
        Assert.Equal("csm@example.com", email.To);
        Assert.Equal(["vp@example.com"], email.Cc);
        Assert.Equal("[Critical] Acme <Corp>: Health band is Red", email.Subject);
        Assert.Contains("Acme &lt;Corp&gt;", email.Html, StringComparison.Ordinal);
        Assert.Contains("active seats 62% → 18%", email.PlainText, StringComparison.Ordinal);
        Assert.Contains($"Acknowledge: https://cs.example.com/api/dashboard/accounts/{account}#alert-health-band", email.PlainText, StringComparison.Ordinal);
        Assert.Contains($"Account health: https://cs.example.com/api/dashboard/accounts/{account}\n", email.PlainText.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Due by: 2026-03-10 12:00 UTC", email.PlainText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_Redelivered_NotifiesOnce()
    {
        var notifier = Notifier(_tables);
        var account = NewAccount();

        await notifier.HandleAsync(Delivery(AlertTier.Warning, account), CancellationToken.None);
        await notifier.HandleAsync(Delivery(AlertTier.Warning, account, deliveryCount: 2), CancellationToken.None);

        Assert.Single(_emails);
    }

    [Fact]
    public async Task Handle_EmailThrottled_ThrowsSoTheQueueRedeliversAndLedgerStaysEmpty()
    {
        var notifier = Notifier(_tables);
        _email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new EmailSendResult(EmailSendStatus.Throttled, RetryAfter: TimeSpan.FromSeconds(30)));
        var account = NewAccount();

        await Assert.ThrowsAsync<InvalidOperationException>(() => notifier.HandleAsync(Delivery(AlertTier.Critical, account), CancellationToken.None));

        _email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()))
            .Callback<EmailMessage, CancellationToken>((m, _) => _emails.Add(m))
            .ReturnsAsync(new EmailSendResult(EmailSendStatus.Accepted));
        await notifier.HandleAsync(Delivery(AlertTier.Critical, account, 2), CancellationToken.None);
        Assert.Single(_emails);
    }

    [Fact]
    public async Task Handle_Watch_GoesIntoTheDailyDigestNotAnImmediateEmail()
    {
        var notifier = Notifier(_tables);
        var a = NewAccount();
        var b = NewAccount();
        await notifier.HandleAsync(Delivery(AlertTier.Watch, a), CancellationToken.None);
        await notifier.HandleAsync(Delivery(AlertTier.Watch, a, 2), CancellationToken.None);
        await notifier.HandleAsync(Delivery(AlertTier.Watch, b), CancellationToken.None);
        Assert.Empty(_emails);

        await notifier.SendDigestsAsync(CancellationToken.None);

        var digest = Assert.Single(_emails, e => e.To == "csm@example.com");
        Assert.Equal("[Watch] 2 account(s) to watch", digest.Subject);
        _emails.Clear();
        await notifier.SendDigestsAsync(CancellationToken.None);
        Assert.Empty(_emails);

        // A Watch alert arriving after the digest, same day, goes out in a second digest rather than being dropped.
        await notifier.HandleAsync(Delivery(AlertTier.Watch, NewAccount()), CancellationToken.None);
        await notifier.SendDigestsAsync(CancellationToken.None);
        Assert.Equal("[Watch] 1 account(s) to watch", Assert.Single(_emails, e => e.To == "csm@example.com").Subject);
    }

    [Fact]
    public async Task SendDigests_OneRecipientsEmailFails_OthersGetTheirsAndTheFailedOneGoesOutNextRun()
    {
        var notifier = Notifier(_tables);
        await notifier.HandleAsync(Delivery(AlertTier.Watch, NewAccount(), csm: "a-first@example.com"), CancellationToken.None);
        await notifier.HandleAsync(Delivery(AlertTier.Watch, NewAccount(), csm: "b-second@example.com"), CancellationToken.None);
        _email.Setup(e => e.SendAsync(It.Is<EmailMessage>(m => m.To == "a-first@example.com"), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new HttpRequestException("Email service unavailable."));

        await Assert.ThrowsAsync<InvalidOperationException>(() => notifier.SendDigestsAsync(CancellationToken.None));

        Assert.Equal(["b-second@example.com"], _emails.Select(e => e.To));
        _emails.Clear();
        _email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()))
            .Callback<EmailMessage, CancellationToken>((m, _) => _emails.Add(m))
            .ReturnsAsync(new EmailSendResult(EmailSendStatus.Accepted));
        Assert.Equal(1, await notifier.SendDigestsAsync(CancellationToken.None));
        Assert.Equal(["a-first@example.com"], _emails.Select(e => e.To));
    }
}
