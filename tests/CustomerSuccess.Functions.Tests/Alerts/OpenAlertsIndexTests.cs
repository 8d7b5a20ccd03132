using Azure.Data.Tables;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>
/// The open-alerts index on Azurite: it follows every change the store writes, the views read it once a rebuild has
/// marked it complete (and scan until then), and the rebuild repairs what was written behind its back.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class OpenAlertsIndexTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);
    private AppTables _tables = null!;
    private AlertStore _store = null!;

    public async Task InitializeAsync()
    {
        _tables = await AppTablesTestKit.FreshAsync(azurite.ConnectionString, null, AlertStore.DefaultTable, AlertStore.OpenIndexTable);
        _store = new AlertStore(_tables);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Index_FollowsRaiseAcknowledgeAndResolve()
    {
        await _store.RebuildOpenIndexAsync(CancellationToken.None);

        await _store.ApplyAsync("acct-1", [new AlertChange(AlertChangeKind.Raise, Open("acct-1"))], CancellationToken.None);
        await _store.ApplyAsync("acct-2", [new AlertChange(AlertChangeKind.Raise, Open("acct-2"))], CancellationToken.None);
        var raised = await IndexedAsync();
        var first = (await _store.GetAsync("acct-1", AlertRules.HealthBand, CancellationToken.None))!;
        await _store.ApplyAsync("acct-1", [new AlertChange(AlertChangeKind.Acknowledge, first with { Status = AlertStatus.Acknowledged, AcknowledgedAt = Now, AcknowledgedBy = "csm@example.com" })], CancellationToken.None);
        var acknowledged = await IndexedAsync();
        var second = (await _store.GetAsync("acct-2", AlertRules.HealthBand, CancellationToken.None))!;
        await _store.ApplyAsync("acct-2", [new AlertChange(AlertChangeKind.Resolve, second with { Status = AlertStatus.Resolved, ResolvedAt = Now })], CancellationToken.None);
        var resolved = await IndexedAsync();

        Assert.Equal([("acct-1", AlertStatus.Open), ("acct-2", AlertStatus.Open)], raised);
        Assert.Equal([("acct-1", AlertStatus.Acknowledged), ("acct-2", AlertStatus.Open)], acknowledged);
        Assert.Equal([("acct-1", AlertStatus.Acknowledged)], resolved);
        var read = Assert.Single(await ListAsync());
        Assert.Equal(("acct-1", "csm@example.com", "Health band moved to Yellow"), (read.AccountId, read.AcknowledgedBy, read.Reason));
    }

    [Fact]
    public async Task BeforeTheFirstRebuild_ViewsScan_SoRowsWrittenBehindTheIndexShow()
    {
        await WrittenBehindTheStoreAsync(Open("acct-3"));

        Assert.Equal(["acct-3"], (await ListAsync()).Select(a => a.AccountId));
        Assert.Empty(await IndexedAsync());
    }

    [Fact]
    public async Task Rebuild_RepairsMissingStaleAndOrphanRows_ThenViewsReadTheIndex()
    {
        await _store.ApplyAsync("acct-1", [new AlertChange(AlertChangeKind.Raise, Open("acct-1"))], CancellationToken.None);
        await _store.ApplyAsync("acct-2", [new AlertChange(AlertChangeKind.Raise, Open("acct-2"))], CancellationToken.None);
        // Behind the index's back, as a crash between the two tables would leave it: one alert raised, one resolved, one acknowledged.
        await WrittenBehindTheStoreAsync(Open("acct-3"));
        await WrittenBehindTheStoreAsync(Open("acct-1") with { Status = AlertStatus.Resolved, ResolvedAt = Now });
        await WrittenBehindTheStoreAsync(Open("acct-2") with { Status = AlertStatus.Acknowledged, AcknowledgedAt = Now, AcknowledgedBy = "csm@example.com" });

        var repaired = await _store.RebuildOpenIndexAsync(CancellationToken.None);
        var again = await _store.RebuildOpenIndexAsync(CancellationToken.None);

        Assert.Equal((3, 0), (repaired, again));
        Assert.Equal([("acct-2", AlertStatus.Acknowledged), ("acct-3", AlertStatus.Open)], await IndexedAsync());
        Assert.Equal(["acct-2", "acct-3"], (await ListAsync()).Select(a => a.AccountId).Order(StringComparer.Ordinal));

        // Complete now: a row written behind its back stays out of the views until the next rebuild.
        await WrittenBehindTheStoreAsync(Open("acct-4"));
        Assert.DoesNotContain("acct-4", (await ListAsync()).Select(a => a.AccountId));
    }

    private async Task<List<Alert>> ListAsync()
    {
        var alerts = new List<Alert>();
        await foreach (var a in _store.ListActiveIndexedAsync(CancellationToken.None))
        {
            alerts.Add(a);
        }

        return alerts;
    }

    private async Task<List<(string, AlertStatus)>> IndexedAsync()
    {
        var rows = new List<(string, AlertStatus)>();
        await foreach (var row in _tables[AlertStore.OpenIndexTable].QueryAsync<OpenAlertRow>(TableFilter.Of($"RowKey lt {"~"}")))
        {
            rows.Add((row.AccountId, row.ToAlert().Status));
        }

        return [.. rows.OrderBy(r => r.Item1, StringComparer.Ordinal)];
    }

    private async Task WrittenBehindTheStoreAsync(Alert alert) =>
        Assert.True((await _tables[AlertStore.DefaultTable].UpsertAsync(AlertEntity.From(alert), TableUpdateMode.Replace)).Succeeded);

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
