using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>The lifecycle tables through the real REST client on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LifecycleTableStoreTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly RestTableStore _tables = new(new TableStorageOptions { ConnectionString = azurite.ConnectionString }, TimeProvider.System, NullLogger<RestTableStore>.Instance);

    private LifecycleTableStore Store => new(_tables);

    public async Task InitializeAsync()
    {
        foreach (var table in (string[])[LifecycleTableStore.EnrollmentsTable, LifecycleTableStore.LedgerTable, LifecycleTableStore.ContactsTable])
        {
            await _tables.CreateTableIfNotExistsAsync(table);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static LifecycleSendMessage Message(string contactId) =>
        new(Guid.NewGuid().ToString("D"), "acct_store", contactId, "onboarding", "welcome", "20260302", 0);

    [Fact]
    public async Task RecordSent_RecordedTwice_OneLedgerRowAndLastSentNeverMovesBack()
    {
        var contact = LifecycleContactId.For(Guid.NewGuid().ToString("N") + "@example.com");
        var message = Message(contact);

        await Store.RecordSentAsync(message, At, default);
        await Store.RecordSentAsync(message, At.AddMinutes(5), default);
        await Store.RecordSentAsync(Message(contact), At.AddMinutes(-5), default);

        Assert.True(await Store.WasSentAsync(message.SendId, default));
        var ledger = await _tables.GetAsync(LifecycleTableStore.LedgerTable, message.SendId, "send");
        Assert.Equal(At, ledger!.GetDateTimeOffset("At")); // the first record stays (insert, 409 = already have it)
        Assert.Equal(At.AddMinutes(5), (await Store.GetContactStateAsync(contact, default)).LastSentAt);
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
    public async Task SaveEnrollments_ReadBack_SameContent()
    {
        var account = "acct_" + Guid.NewGuid().ToString("N")[..8];
        var enrollment = new LifecycleEnrollment
        {
            AccountId = account,
            ContactId = "c1",
            Sequence = "renewal",
            EnrollmentKey = "20270302",
            EnrolledAt = At,
            RenewalDate = At.AddDays(90),
            StepOccurrences = new Dictionary<string, int> { ["value-recap"] = 1 },
        };

        await Store.SaveEnrollmentsAsync([enrollment, enrollment with { Sequence = "onboarding", EnrollmentKey = "20260302", ExitedAt = At, ExitReason = "Churned" }], default);

        var all = await Store.GetEnrollmentsAsync(account, default);
        Assert.Equal(2, all.Count);
        Assert.Equal(LifecycleTableStore.Fingerprint(enrollment), LifecycleTableStore.Fingerprint(all.Single(e => e.Sequence == "renewal")));
        Assert.Equal("Churned", (await Store.GetEnrollmentAsync(account, "c1", "onboarding", "20260302", default))!.ExitReason);
    }
}
