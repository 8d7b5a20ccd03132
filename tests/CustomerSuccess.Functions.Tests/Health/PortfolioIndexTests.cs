using System.Text.Json;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using static CustomerSuccess.Functions.Tests.Health.HealthTestData;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The portfolio index on Azurite: what a build writes, what another instance reads back, and when views use it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PortfolioIndexTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ManualTimeProvider _time = new(AsOf);
    private AppTables _tables = null!;

    public async Task InitializeAsync() => _tables = await HealthStorage.FreshAsync(azurite);

    public Task DisposeAsync() => Task.CompletedTask;

    private PortfolioIndex Index() => new(_tables, _time);

    [Fact]
    public async Task Build_AnotherInstanceReadsEveryLiveAccount_ChurnedLeftOut()
    {
        await SeedAsync(40);
        await ScoreAsync("acct-gone", 12, HealthBand.Red, AccountSegment.Smb, lifecycle: AccountLifecycleState.Churned);

        var built = await Index().BuildAsync(CancellationToken.None);
        var read = await Index().TryReadAsync(CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(40, built.Entries.Count);
        Assert.Equal(built.Generation, read.Generation);
        Assert.Equal(built.Entries.OrderBy(e => e.AccountId), read.Entries.OrderBy(e => e.AccountId));
        Assert.DoesNotContain(read.Entries, e => e.AccountId == "acct-gone");
    }

    [Fact]
    public async Task Views_FromTheIndex_SameAsTheScan_ForEveryFilterAndPage()
    {
        await SeedAsync(300);
        var index = Index();
        var queries = new HealthQueries(_tables, _time, index);
        await index.BuildAsync(CancellationToken.None);

        PortfolioQuery[] views =
        [
            new(), new(Page: 3), new(PageSize: 7, Page: 5), new(CsmEmail: "CSM-03@example.com"), new(Segment: AccountSegment.MidMarket, Band: HealthBand.Red, Page: 1, PageSize: 5),
            new(Band: HealthBand.Green), new(Page: 40),
        ];
        foreach (var query in views)
        {
            var fromIndex = await queries.GetPortfolioPageAsync(query, CancellationToken.None);
            var scanned = await queries.ScanPortfolioPageAsync(query, CancellationToken.None);

            Assert.Equal(AsOf, fromIndex.AsOf);
            Assert.Null(scanned.AsOf);
            Assert.Equal(JsonSerializer.Serialize(scanned, Json), JsonSerializer.Serialize(fromIndex with { AsOf = null }, Json));
        }
    }

    [Fact]
    public async Task Read_ARunCompletedAfterTheBuild_ViewsScanUntilTheNextBuild()
    {
        await SeedAsync(10);
        var index = Index();
        var queries = new HealthQueries(_tables, _time, index);
        await index.BuildAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));
        await CompleteRunAsync(_time.GetUtcNow());
        await ScoreAsync("acct-new", 20, HealthBand.Red, AccountSegment.Enterprise);

        var afterRun = await queries.GetPortfolioPageAsync(new(), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        await index.BuildAsync(CancellationToken.None);
        var afterBuild = await queries.GetPortfolioPageAsync(new(), CancellationToken.None);

        Assert.Null(afterRun.AsOf);
        Assert.Contains(afterRun.AtRisk, a => a.AccountId == "acct-new");
        Assert.Equal(_time.GetUtcNow(), afterBuild.AsOf);
        Assert.Contains(afterBuild.AtRisk, a => a.AccountId == "acct-new");
    }

    [Fact]
    public async Task Read_OlderThanItServesFor_NotCurrent()
    {
        await SeedAsync(5);
        await Index().BuildAsync(CancellationToken.None);

        _time.Advance(PortfolioIndex.ServesFor);
        var atTheLimit = await Index().TryReadAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var past = await Index().TryReadAsync(CancellationToken.None);

        Assert.NotNull(atTheLimit);
        Assert.Null(past);
    }

    [Fact]
    public async Task Build_LargePortfolio_CutIntoRowsUnder64KiB_OlderGenerationDeleted()
    {
        // Random names and drivers compress poorly, so 3,000 accounts take several rows.
        await SeedAsync(3000, randomText: true);
        var first = await Index().BuildAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        var second = await Index().BuildAsync(CancellationToken.None);

        var rows = new List<TableEntity>();
        await foreach (var row in _tables[PortfolioIndex.Table].QueryAsync<TableEntity>(TableFilter.All))
        {
            rows.Add(row);
        }

        var chunks = rows.Where(r => r.PartitionKey != "index").ToList();
        Assert.True(chunks.Count > 1, $"expected several chunk rows, found {chunks.Count}");
        Assert.All(chunks, c => Assert.Equal("g|" + second.Generation, c.PartitionKey));
        Assert.All(chunks, c => Assert.InRange(c.GetBinary("Data").Length, 1, PortfolioIndex.ChunkBytes));
        Assert.NotEqual(first.Generation, second.Generation);
        var read = await Index().TryReadAsync(CancellationToken.None);
        Assert.Equal(3000, read!.Entries.Count);
        Assert.Equal(second.Entries, read.Entries);
    }

    [Fact]
    public void EncodeDecode_KeepsEveryColumn_NullsAndOverridesIncluded()
    {
        PortfolioEntry[] entries =
        [
            new("a-1", "Ünïcode Ltd", AccountSegment.Enterprise, 0, HealthBand.Red, HealthBand.Green, AsOf.AddDays(3), AsOf.AddDays(40), "csm@example.com", "ProductUsage:-4.5:70:52"),
            new("a-2", null, AccountSegment.Smb, 100, HealthBand.Green, null, null, null, null, null),
        ];

        var decoded = PortfolioIndex.Decode([PortfolioIndex.Encode(entries)], 2);

        Assert.Equal(entries, decoded);
    }

    [Fact]
    public void Decode_CountNotTheHeaders_Refused() =>
        Assert.Throws<InvalidDataException>(() => PortfolioIndex.Decode([PortfolioIndex.Encode([new("a", null, AccountSegment.Smb, 1, HealthBand.Red, null, null, null, null, null)])], 2));

    [Theory]
    [InlineData(0, null, true)]
    [InlineData(90, null, true)]
    [InlineData(91, null, false)]
    [InlineData(10, -1, true)]
    [InlineData(10, 0, true)]
    [InlineData(10, 1, false)]
    public void IsCurrent_YoungerThanItServesFor_AndNoRunCompletedSince(int minutesOld, int? runCompletedMinutesAfterBuild, bool expected)
    {
        var builtAt = AsOf;
        Assert.Equal(expected, PortfolioIndex.IsCurrent(builtAt, runCompletedMinutesAfterBuild is { } m ? builtAt.AddMinutes(m) : null, builtAt.AddMinutes(minutesOld)));
    }

    private async Task CompleteRunAsync(DateTimeOffset completedAt)
    {
        var pointer = new HealthRunPointerEntity { RunId = "2026063012", Status = HealthRunStatus.Completed, StartedAt = completedAt.AddMinutes(-1), CompletedAt = completedAt };
        Assert.True((await _tables[HealthTables.Runs].UpsertAsync(pointer, TableUpdateMode.Replace)).Succeeded);
    }

    private async Task SeedAsync(int accounts, bool randomText = false)
    {
        var random = new Random(7);
        string Text(int length) => new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next('a', 'z' + 1))]);
        for (var i = 0; i < accounts; i++)
        {
            var score = random.Next(0, 101);
            var band = score < 40 ? HealthBand.Red : score < 70 ? HealthBand.Yellow : HealthBand.Green;
            await ScoreAsync(
                $"acct-{i:D4}",
                score,
                band,
                (AccountSegment)(i % 3),
                name: randomText ? Text(40) : $"Account {i}",
                csm: $"csm-{i % 5:D2}@example.com",
                renewalDays: i % 4 == 0 ? null : random.Next(-10, 200),
                driverDelta: randomText ? random.NextDouble() * -20 : -3.5);
        }
    }

    private async Task ScoreAsync(string id, int score, HealthBand band, AccountSegment segment, string? name = null, string? csm = null, int? renewalDays = 30, double driverDelta = -3.5, AccountLifecycleState lifecycle = AccountLifecycleState.Active)
    {
        var health = new HealthScore
        {
            AccountId = id,
            Day = Today,
            ScoredAt = AsOf,
            Segment = segment,
            Score = score,
            ComputedBand = band,
            Band = band,
            Dimensions = [score, score, score, score, score, score],
            Drivers = [new HealthDriverDelta(HealthDimension.ProductUsage, driverDelta, 70, 52)],
            BandSince = Today.AddDays(-3),
            FirstScoredOn = Today.AddDays(-60),
            Lifecycle = lifecycle,
        };
        var signals = new AccountSignals { AccountId = id, Name = name ?? id, CsmEmail = csm, RenewalDate = renewalDays is { } d ? AsOf.AddDays(d + 0.5) : null };
        Assert.True((await _tables[HealthTables.Scores].UpsertAsync(HealthScoreEntity.From(health, signals), TableUpdateMode.Replace)).Succeeded);
    }
}
