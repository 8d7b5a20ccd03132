using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>The digest on its own: newest copy of each row whatever the merge order, a lossless stored form, bounded days and size.</summary>
public sealed class AccountDigestTests
{
    private static readonly DateTimeOffset Seen = new(2026, 3, 9, 14, 30, 0, TimeSpan.Zero);

    private static TableEntity Row(string key, long rev, params (string Name, object? Value)[] properties)
    {
        var row = new TableEntity("acct-1", key) { [AccountDigest.RevProperty] = rev, ["EventId"] = "evt_" + rev };
        foreach (var (name, value) in properties)
        {
            row[name] = value;
        }

        return row;
    }

    [Fact]
    public void Merge_CopiesArrivingInAnyOrder_KeepTheHighestRevOfEachRow()
    {
        TableEntity[] copies =
        [
            Row("ticket|7", 1, ("Status", "open"), ("Priority", "urgent")),
            Row("ticket|7", 2, ("Status", "pending"), ("Priority", "urgent")),
            Row("ticket|7", 3, ("Status", "solved"), ("Priority", "urgent")),
            Row("day|2026-03-09", 1, ("Logins", 1L)),
            Row("day|2026-03-09", 2, ("Logins", 2L), ("Events", 5L)),
        ];

        foreach (var order in new[] { new[] { 0, 1, 2, 3, 4 }, [4, 2, 3, 0, 1], [2, 4, 1, 3, 0] })
        {
            var digest = new AccountDigest("acct-1");
            foreach (var i in order)
            {
                digest.Merge(copies[i]);
            }

            var ticket = Assert.Single(digest.Rows);
            Assert.Equal("solved", ticket.GetString("Status"));
            var day = Assert.Single(digest.Days());
            Assert.Equal((2, 5), (day.Logins, day.Events));
        }
    }

    [Fact]
    public void Merge_SameOrOlderRev_ReportsNothingChanged()
    {
        var digest = new AccountDigest("acct-1");

        Assert.True(digest.Merge(Row("user|u1", 2, ("Email", "a@example.com"))));
        Assert.False(digest.Merge(Row("user|u1", 2, ("Email", "b@example.com"))));
        Assert.False(digest.Merge(Row("user|u1", 1, ("Email", "c@example.com"))));
        Assert.False(digest.Merge(Row("~evt|Stripe|evt_1", 1)));
        Assert.Equal("a@example.com", Assert.Single(digest.Rows).GetString("Email"));
    }

    [Fact]
    public void ToEntityFromEntity_KeepsEveryTypeAndDay_DropsTheAuditEventId()
    {
        var digest = new AccountDigest("acct-1") { ObservedSince = Seen.AddDays(-40) };
        digest.Merge(Row("sub|sub_1", 3, ("MrrCents", 1_234_567_890_123L), ("Seats", 25), ("CancelAtPeriodEnd", true), ("CurrentPeriodEnd", Seen.AddDays(30)), ("Plan", "Team — annual")));
        digest.Merge(Row("day|2026-03-08", 4, ("Logins", 3L), ("MrrDeltaCents", -45_000L), ("PaymentsFailed", 1L)));
        digest.Merge(Row("day|2026-03-01", 1, ("Events", 300_000L)));

        var back = AccountDigest.FromEntity(digest.ToEntity());

        Assert.False(back.Overflow);
        Assert.Equal(Seen.AddDays(-40), back.ObservedSince);
        var sub = Assert.Single(back.Rows);
        Assert.Equal(1_234_567_890_123L, sub["MrrCents"]);
        Assert.Equal(25, sub["Seats"]);
        Assert.Equal(true, sub["CancelAtPeriodEnd"]);
        Assert.Equal(Seen.AddDays(30), sub.GetDateTimeOffset("CurrentPeriodEnd"));
        Assert.Equal("Team — annual", sub.GetString("Plan"));
        Assert.Equal(3L, sub.GetInt64(AccountDigest.RevProperty));
        Assert.Null(sub["EventId"]);
        Assert.Equal(
            [(new DateOnly(2026, 3, 1), 300_000, 0, 0L, 0), (new DateOnly(2026, 3, 8), 0, 3, -45_000L, 1)],
            back.Days().Select(d => (d.Day, d.Events, d.Logins, d.MrrDeltaCents, d.PaymentsFailed)));

        // The Rev survives too: an older copy merged into the read-back digest is still refused.
        Assert.False(back.Merge(Row("day|2026-03-08", 3, ("Logins", 1L))));
    }

    [Fact]
    public void Merge_DaysFallingMoreThan62DaysBehindTheNewest_AreDropped()
    {
        var digest = new AccountDigest("acct-1");
        var newest = new DateOnly(2026, 6, 30);
        for (var back = 70; back >= 0; back--)
        {
            digest.Merge(Row(AccountSignalWriter.DayKey(newest.AddDays(-back)), 1, ("Logins", 1L)));
        }

        var days = digest.Days();
        Assert.Equal(63, days.Length);
        Assert.Equal(newest.AddDays(-62), days[0].Day);
        Assert.Equal(newest, days[^1].Day);
    }

    [Fact]
    public void ToEntity_PayloadOverTheLimit_MarksOverflowAndStoresNoPayload()
    {
        var digest = new AccountDigest("acct-1") { ObservedSince = Seen };
        for (var u = 0; u < 50; u++)
        {
            digest.Merge(Row($"user|u{u}", 1, ("Email", $"person{u}@example.com"), ("FirstName", "Person " + u)));
        }

        var entity = digest.ToEntity(maxPayloadBytes: 200);
        var back = AccountDigest.FromEntity(entity);

        Assert.Equal(true, entity["Overflow"]);
        Assert.DoesNotContain(entity.Properties.Keys, k => k.StartsWith("Rows", StringComparison.Ordinal) || k == "Days");
        Assert.True(back.Overflow);
        Assert.Equal(Seen, back.ObservedSince);
        Assert.False(back.Merge(Row("user|u99", 1)));
    }

    [Fact]
    public void ToEntity_RowsLargerThanOneBinaryProperty_SplitAcrossChunksAndReassemble()
    {
        var digest = new AccountDigest("acct-1");
        var random = new Random(3);
        for (var u = 0; u < 6_000; u++)
        {
            // Random text does not compress: the packed rows outgrow one 64 KiB property.
            digest.Merge(Row($"user|u{u:D4}", 1, ("Note", Convert.ToBase64String(BitConverter.GetBytes(random.NextInt64())) + Convert.ToBase64String(BitConverter.GetBytes(random.NextInt64())))));
        }

        var entity = digest.ToEntity();
        var back = AccountDigest.FromEntity(entity);

        Assert.Contains("Rows1", entity.Properties.Keys);
        Assert.All(entity.Properties.Values.OfType<byte[]>(), b => Assert.True(b.Length <= AccountDigest.ChunkBytes));
        Assert.Equal(digest.Rows.Select(r => r.GetString("Note")), back.Rows.Select(r => r.GetString("Note")));
    }
}
