using Azure.Data.Tables;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>
/// The open alerts the views read, on Azurite: kept for a minute, served stale while a new read runs for up to five,
/// and read again at once after this instance writes a change. Rows written behind the store's back (as another
/// instance would) show only when the cache reads again, which is how each rule is told apart here.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class OpenAlertsCacheTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _time = new(Now);
    private AppTables _tables = null!;
    private AlertStore _store = null!;
    private OpenAlertsCache _cache = null!;

    public async Task InitializeAsync()
    {
        _tables = await AppTablesTestKit.FreshAsync(azurite.ConnectionString, null, AlertStore.DefaultTable, AlertStore.OpenIndexTable);
        _store = new AlertStore(_tables);
        _cache = new OpenAlertsCache(_store, _time);
        await WrittenByAnotherInstanceAsync("acct-1");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task WithinAMinute_TheSameRead()
    {
        var first = await _cache.GetAsync(CancellationToken.None);
        await WrittenByAnotherInstanceAsync("acct-2");
        _time.Advance(OpenAlertsCache.FreshFor - TimeSpan.FromSeconds(1));

        var second = await _cache.GetAsync(CancellationToken.None);

        Assert.Same(first, second);
        Assert.Equal(["acct-1"], second.Alerts.Select(a => a.AccountId));
    }

    [Fact]
    public async Task AfterAMinute_StaleAtOnce_ThenTheNewRead()
    {
        var first = await _cache.GetAsync(CancellationToken.None);
        await WrittenByAnotherInstanceAsync("acct-2");
        _time.Advance(OpenAlertsCache.FreshFor + TimeSpan.FromSeconds(1));

        var stale = await _cache.GetAsync(CancellationToken.None);
        var background = _cache.PendingRead ?? throw new InvalidOperationException("a stale view must start a read");
        await background.WaitAsync(TimeSpan.FromSeconds(30));
        var fresh = await _cache.GetAsync(CancellationToken.None);

        Assert.Same(first, stale);
        Assert.DoesNotContain(stale.Alerts, a => a.AccountId == "acct-2");
        Assert.Same(await background, fresh);
        Assert.Contains(fresh.Alerts, a => a.AccountId == "acct-2");
    }

    [Fact]
    public async Task OlderThanItServesStale_TheViewWaitsForTheRead()
    {
        await _cache.GetAsync(CancellationToken.None);
        await WrittenByAnotherInstanceAsync("acct-2");
        _time.Advance(OpenAlertsCache.ServeStaleFor + TimeSpan.FromSeconds(1));

        var read = await _cache.GetAsync(CancellationToken.None);

        Assert.Contains(read.Alerts, a => a.AccountId == "acct-2");
    }

    [Fact]
    public async Task AChangeThisInstanceWrites_ShowsAtOnceWithoutAScan()
    {
        await _cache.GetAsync(CancellationToken.None);
        await WrittenByAnotherInstanceAsync("acct-2");
        var open = Assert.Single(await _store.GetForAccountAsync("acct-1", CancellationToken.None));

        var written = await _store.ApplyAsync("acct-1", [new AlertChange(AlertChangeKind.Resolve, open with { Status = AlertStatus.Resolved, ResolvedAt = Now })], CancellationToken.None);
        var afterResolve = await _cache.GetAsync(CancellationToken.None);
        var raised = await _store.ApplyAsync("acct-3", [new AlertChange(AlertChangeKind.Raise, Open("acct-3"))], CancellationToken.None);
        var afterRaise = await _cache.GetAsync(CancellationToken.None);

        Assert.Equal((AlertWriteStatus.Written, AlertWriteStatus.Written), (written, raised));
        // The resolve and the raise show at once; acct-2, written behind the store's back, waits for the next scan.
        Assert.Empty(afterResolve.Alerts);
        Assert.Equal(["acct-3"], afterRaise.Alerts.Select(a => a.AccountId));
    }

    [Fact]
    public async Task AReadInFlightDuringAChange_DoesNotUndoIt()
    {
        await _cache.GetAsync(CancellationToken.None);
        _time.Advance(OpenAlertsCache.FreshFor + TimeSpan.FromSeconds(1));
        _ = await _cache.GetAsync(CancellationToken.None); // starts a read in the background
        var background = _cache.PendingRead!;
        var open = Assert.Single(await _store.GetForAccountAsync("acct-1", CancellationToken.None));

        await _store.ApplyAsync("acct-1", [new AlertChange(AlertChangeKind.Resolve, open with { Status = AlertStatus.Resolved, ResolvedAt = Now })], CancellationToken.None);
        await background.WaitAsync(TimeSpan.FromSeconds(30));
        var after = await _cache.GetAsync(CancellationToken.None);

        Assert.DoesNotContain(after.Alerts, a => a.AccountId == "acct-1");
    }

    private async Task WrittenByAnotherInstanceAsync(string accountId) =>
        Assert.True((await _tables[AlertStore.DefaultTable].UpsertAsync(AlertEntity.From(Open(accountId)), TableUpdateMode.Replace)).Succeeded);

    private static Alert Open(string accountId) =>
        new()
        {
            AccountId = accountId,
            RuleId = AlertRules.HealthBand,
            Occurrence = 1,
            Tier = AlertTier.Warning,
            Status = AlertStatus.Open,
            RaisedAt = Now,
            DueBy = Now.AddDays(3),
            Reason = "Health band moved to Yellow",
        };
}
