using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Storage;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>The lifecycle tables through the app's AppTables on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LifecycleTableStoreTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly RequestCountingPolicy _requests = new();
    private AppTables _tables = null!;

    private LifecycleTableStore Store => new(_tables);

    public async Task InitializeAsync() => _tables = await AppTablesTestKit.FreshAsync(
        azurite.ConnectionString,
        _requests,
        LifecycleTableStore.EnrollmentsTable,
        LifecycleTableStore.AccountContactsTable,
        LifecycleTableStore.ContactsTable,
        LifecycleTableStore.LedgerTable);

    public Task DisposeAsync() => Task.CompletedTask;

    private static LifecycleSendMessage Message(string contactId, string account = "acct_store") =>
        new(Guid.NewGuid().ToString("D"), account, contactId, "onboarding", "welcome", "20260302", 0);

    private static LifecycleEnrollment Enrollment(string account, string contact, string sequence = "renewal") => new()
    {
        AccountId = account,
        ContactId = contact,
        Sequence = sequence,
        EnrollmentKey = "20270302",
        EnrolledAt = At,
        RenewalDate = At.AddDays(90),
        StepOccurrences = new Dictionary<string, int> { ["value-recap"] = 1 },
    };

    [Fact]
    public async Task RecordSent_RecordedTwice_OneLedgerRowAndLastSentNeverMovesBack()
    {
        var contact = LifecycleContactId.For(Guid.NewGuid().ToString("N") + "@example.com");
        var message = Message(contact);

        await Store.RecordSentAsync(message, At, default);
        await Store.RecordSentAsync(message, At.AddMinutes(5), default);
        await Store.RecordSentAsync(Message(contact), At.AddMinutes(-5), default);

        Assert.True(await Store.WasSentAsync(message.SendId, default));
        var ledger = await _tables[LifecycleTableStore.LedgerTable].GetAsync<LifecycleLedgerEntity>(message.SendId, "send");
        Assert.Equal(At, ledger!.At); // the first record stays (insert, 409 = already have it)
        Assert.Equal(At.AddMinutes(5), (await Store.GetContactStateAsync(contact, default)).LastSentAt);
        Assert.Equal(At.AddMinutes(5), (await Store.GetPageStateAsync(["acct_store"], default)).ContactsOf("acct_store")[contact].LastSentAt); // the account's scan sees it too
    }

    [Fact]
    public async Task RecordRejected_IsNotASend()
    {
        var message = Message(LifecycleContactId.For(Guid.NewGuid().ToString("N") + "@example.com"));

        await Store.RecordRejectedAsync(message, "InvalidRecipient", At, default);

        Assert.False(await Store.WasSentAsync(message.SendId, default));
    }

    [Fact]
    public async Task Suppress_Twice_FirstReasonKeptAndSecondReportsAlreadySuppressed()
    {
        var contact = LifecycleContactId.For(Guid.NewGuid().ToString("N") + "@example.com");

        var first = await Store.SuppressAsync(contact, "unsubscribed", At, default);
        var second = await Store.SuppressAsync(contact, "hard bounce", At.AddDays(1), default);

        Assert.True(first);
        Assert.False(second);
        var state = await Store.GetContactStateAsync(contact, default);
        Assert.Equal((true, "unsubscribed"), (state.Suppressed, state.SuppressedReason));
    }

    [Fact]
    public async Task ShareContactState_SuppressionThenASend_TheAccountsScanKeepsTheSuppression()
    {
        var contact = LifecycleContactId.For("kim@example.com");
        await Store.SuppressAsync(contact, "hard bounce", At, default);

        await Store.ShareContactStateAsync("acct_a", await Store.GetContactStateAsync(contact, default), default);
        await Store.RecordSentAsync(Message(contact, "acct_a"), At.AddDays(1), default);

        var seen = (await Store.GetPageStateAsync(["acct_a", "acct_b"], default)).ContactsOf("acct_a")[contact];
        Assert.Equal((true, "hard bounce", At.AddDays(1)), (seen.Suppressed, seen.SuppressedReason, seen.LastSentAt));
        Assert.Empty((await Store.GetPageStateAsync(["acct_b"], default)).ContactsOf("acct_b")); // another account's view is its own
    }

    [Fact]
    public async Task SaveEnrollments_ReadBack_SameContent()
    {
        var account = "acct_" + Guid.NewGuid().ToString("N")[..8];
        var enrollment = Enrollment(account, "c1");

        await Store.SaveEnrollmentsAsync([enrollment, enrollment with { Sequence = "onboarding", EnrollmentKey = "20260302", ExitedAt = At, ExitReason = "Churned" }], default);

        var all = await Store.GetEnrollmentsAsync(account, default);
        Assert.Equal(2, all.Count);
        Assert.Equal(LifecycleTableStore.Fingerprint(enrollment), LifecycleTableStore.Fingerprint(all.Single(e => e.Sequence == "renewal")));
        Assert.Equal("Churned", (await Store.GetEnrollmentAsync(account, "c1", "onboarding", "20260302", default))!.ExitReason);
    }

    [Fact]
    public async Task GetPageState_APageOfNeighbouringAccounts_EachGetsExactlyItsOwnEnrollmentsAndContacts()
    {
        // 300 accounts, two contacts each, in the bucket order pages come in; read back in pages of 100.
        var accounts = Enumerable.Range(0, 300).Select(i => $"acct-{i:D3}").OrderBy(AccountShard.BucketOf).ThenBy(a => a, StringComparer.Ordinal).ToList();
        await Store.SaveEnrollmentsAsync([.. accounts.SelectMany(a => new[] { Enrollment(a, "c-" + a + "-1"), Enrollment(a, "c-" + a + "-2", "onboarding") })], default);
        foreach (var a in accounts.Where((_, i) => i % 7 == 0))
        {
            await Store.ShareContactStateAsync(a, new LifecycleContactState("c-" + a + "-1", At), default);
        }

        foreach (var page in accounts.Chunk(100))
        {
            _requests.Reset();
            var state = await Store.GetPageStateAsync(page, default);

            Assert.Equal(2, _requests.Reads); // one range query per table, not one per account

            Assert.Equal(page.Order(StringComparer.Ordinal), state.Enrollments.Keys.Order(StringComparer.Ordinal));
            Assert.All(page, a => Assert.Equal(["c-" + a + "-1", "c-" + a + "-2"], state.EnrollmentsOf(a).Select(e => e.ContactId).Order(StringComparer.Ordinal)));
            Assert.Equal(page.Where(a => accounts.IndexOf(a) % 7 == 0).Order(StringComparer.Ordinal), state.Contacts.Keys.Order(StringComparer.Ordinal));
        }
    }
}
