using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>The scan on Azurite: facts, enrollments and contact states read a page of accounts at a time.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LifecycleSchedulerTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly RequestCountingPolicy _requests = new();
    private readonly List<OutgoingMessage> _sent = [];
    private AppTables _tables = null!;

    public async Task InitializeAsync() => _tables = await AppTablesTestKit.FreshAsync(
        azurite.ConnectionString,
        _requests,
        [.. HealthStorage.Tables, LifecycleTableStore.EnrollmentsTable, LifecycleTableStore.AccountContactsTable, LifecycleTableStore.ContactsTable, LifecycleTableStore.LedgerTable]);

    public Task DisposeAsync() => Task.CompletedTask;

    private static AccountSignals NewSmbAccount(int i) => new()
    {
        AccountId = $"acct-{i:D3}",
        Name = "Shop " + i,
        SubscriptionStatus = "active",
        MrrCents = 9_900,
        CustomerSince = Now.AddHours(-1),
        RenewalDate = Now.AddYears(1),
        Users = [new AccountUser("u1", $"ana@shop{i}.example", "Ana"), new AccountUser("u2", $"bo@shop{i}.example", "Bo")],
    };

    private LifecycleScheduler Scheduler(IAccountSignalSource signals)
    {
        var options = new LifecycleOptions { QuietHours = new QuietHoursOptions { Start = new TimeOnly(0, 0), End = new TimeOnly(0, 0) } };
        var time = new ManualTime(Now);
        var engine = new LifecycleSequenceEngine(options);
        var facts = new LifecycleFactsReader(signals, new HealthScoreCalculator(new HealthOptions()), new HealthScoreReader(_tables), Microsoft.Extensions.Options.Options.Create(new ProductOptions()), time);
        return new LifecycleScheduler(signals, facts, new LifecycleTableStore(_tables), new LifecyclePlanner(engine, new SendCapPolicy(options)), new Mock<IMessagePublisher>().Records(_sent).Object, time, NullLogger<LifecycleScheduler>.Instance);
    }

    [Fact]
    public async Task Scan_250NewAccounts_ReadsEachPageInThreeQueriesAndQueuesEachPagesWelcomesInOneBatch()
    {
        var accounts = Enumerable.Range(0, 250).Select(NewSmbAccount).ToList();
        var scheduler = Scheduler(new FakeSignalSource(accounts));

        var summary = await scheduler.ScanAsync(CancellationToken.None);

        Assert.Equal((250, 500), (summary.Accounts, summary.Queued));
        Assert.Equal(500, _sent.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(3 * 3, _requests.Reads); // 3 pages × (scores, enrollments, contact states): nothing per account
        var enrollments = await _tables.RowsAsync<LifecycleEnrollmentEntity>(LifecycleTableStore.EnrollmentsTable);
        Assert.Equal(500, enrollments.Count(e => e.Sequence == "onboarding"));
    }

    [Fact]
    public async Task Scan_Again_QueuesNothingTwice()
    {
        var scheduler = Scheduler(new FakeSignalSource(Enumerable.Range(0, 30).Select(NewSmbAccount)));
        await scheduler.ScanAsync(CancellationToken.None);
        _sent.Clear();

        var again = await scheduler.ScanAsync(CancellationToken.None);

        Assert.Equal((30, 0), (again.Accounts, again.Queued));
        Assert.Empty(_sent);
    }
}
