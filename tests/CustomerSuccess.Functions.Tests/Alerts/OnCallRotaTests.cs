using CustomerSuccess.Functions.Alerts;

namespace CustomerSuccess.Functions.Tests.Alerts;

public sealed class OnCallRotaTests
{
    private static OnCallRotaOptions Rota(string zone) => new()
    {
        TimeZone = zone,
        StartDate = new DateOnly(2026, 3, 2), // a Monday
        HandoverTime = new TimeOnly(9, 0),
        Members = ["ana@example.com", "ben@example.com", "chloe@example.com"],
    };

    [Theory]
    [InlineData("2026-03-02T09:00:00Z", "ana@example.com")]
    [InlineData("2026-03-09T08:59:59Z", "ana@example.com")]
    [InlineData("2026-03-09T09:00:00Z", "ben@example.com")]
    [InlineData("2026-03-16T09:00:00Z", "chloe@example.com")]
    [InlineData("2026-03-23T09:00:00Z", "ana@example.com")]
    [InlineData("2026-03-02T08:00:00Z", "chloe@example.com")]
    public void OnCall_WeeklyRotationInUtc_HandsOverAtNine(string now, string expected) =>
        Assert.Equal(expected, OnCallRota.OnCall(Rota("Etc/UTC"), DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void OnCall_RotaInTokyo_HandsOverAtNineTokyoTime()
    {
        var rota = Rota("Asia/Tokyo");

        // 09:00 in Tokyo on Monday 9 March is 00:00 UTC.
        Assert.Equal("ana@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 3, 8, 23, 59, 0, TimeSpan.Zero)));
        Assert.Equal("ben@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void OnCall_RotaInLosAngelesAcrossDst_HandoverStaysAtNineLocal()
    {
        var rota = Rota("America/Los_Angeles");

        // DST starts 8 March 2026 in the US: the 9 March handover is 16:00 UTC (PDT), the 2 March one was 17:00 UTC (PST).
        Assert.Equal("ana@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 3, 2, 17, 0, 0, TimeSpan.Zero)));
        Assert.Equal("chloe@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 3, 2, 16, 59, 0, TimeSpan.Zero)));
        Assert.Equal("ana@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 3, 9, 15, 59, 0, TimeSpan.Zero)));
        Assert.Equal("ben@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 3, 9, 16, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void OnCall_HolidayOverride_WinsForItsLocalDates()
    {
        var rota = Rota("Europe/Berlin");
        rota.Overrides.Add(new OnCallOverride { From = new DateOnly(2026, 4, 3), To = new DateOnly(2026, 4, 6), Email = "dana@example.com" });

        Assert.Equal("dana@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 4, 3, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal("dana@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 4, 7, 6, 0, 0, TimeSpan.Zero))); // 08:00 Berlin: still the 6th's shift
        Assert.NotEqual("dana@example.com", OnCallRota.OnCall(rota, new DateTimeOffset(2026, 4, 7, 7, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void OnCall_NoMembers_ReturnsNull() =>
        Assert.Null(OnCallRota.OnCall(new OnCallRotaOptions(), DateTimeOffset.UnixEpoch));
}

public sealed class AlertRecipientSelectorTests
{
    private readonly AlertsOptions _options = new()
    {
        EscalationContact = "vp@example.com",
        DashboardBaseUrl = "https://cs.example.com",
        WorkingHours = new WorkingHoursOptions { TimeZone = "Etc/UTC" },
        CsmTimeZones = { ["tokyo.csm@example.com"] = "Asia/Tokyo" },
        AccountCsms = { ["acc-configured"] = "configured@example.com" },
        Rota = new OnCallRotaOptions { TimeZone = "Etc/UTC", StartDate = new DateOnly(2026, 3, 2), Members = ["oncall@example.com"] },
    };

    private static Alert Alert(AlertTier tier, string? csm, string account = "acc-1") => new()
    {
        AccountId = account,
        RuleId = AlertRules.HealthBand,
        Occurrence = 1,
        Tier = tier,
        Status = AlertStatus.Open,
        RaisedAt = DateTimeOffset.UnixEpoch,
        DueBy = DateTimeOffset.UnixEpoch,
        CsmEmail = csm,
    };

    private static readonly DateTimeOffset MondayNoonUtc = new(2026, 3, 9, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Select_WarningInHours_GoesToAssignedCsm()
    {
        var r = AlertRecipientSelector.Select(Alert(AlertTier.Warning, "csm@example.com"), AlertChangeKind.Raise, _options, MondayNoonUtc)!;
        Assert.Equal("csm@example.com", r.To);
        Assert.Empty(r.Cc);
    }

    [Fact]
    public void Select_NoCsmInAccountData_UsesConfiguredCsm() =>
        Assert.Equal("configured@example.com", AlertRecipientSelector.Select(Alert(AlertTier.Watch, null, "acc-configured"), AlertChangeKind.Raise, _options, MondayNoonUtc)!.To);

    [Fact]
    public void Select_NoCsmAtAll_GoesToOnCall()
    {
        var r = AlertRecipientSelector.Select(Alert(AlertTier.Warning, null), AlertChangeKind.Raise, _options, MondayNoonUtc)!;
        Assert.Equal("oncall@example.com", r.To);
        Assert.True(r.ViaOnCall);
    }

    [Fact]
    public void Select_CriticalInHours_GoesToCsmAndCopiesEscalationContact()
    {
        var r = AlertRecipientSelector.Select(Alert(AlertTier.Critical, "csm@example.com"), AlertChangeKind.Raise, _options, MondayNoonUtc)!;
        Assert.Equal("csm@example.com", r.To);
        Assert.Equal(["vp@example.com"], r.Cc);
    }

    [Fact]
    public void Select_CriticalOutOfCsmHoursInTheirTimeZone_GoesToOnCall()
    {
        // Noon UTC is 21:00 in Tokyo: out of hours for the Tokyo CSM, in hours for a UTC one.
        var r = AlertRecipientSelector.Select(Alert(AlertTier.Critical, "tokyo.csm@example.com"), AlertChangeKind.Raise, _options, MondayNoonUtc)!;
        Assert.Equal("oncall@example.com", r.To);
        Assert.Equal(["vp@example.com"], r.Cc);

        var morningTokyo = new DateTimeOffset(2026, 3, 9, 1, 0, 0, TimeSpan.Zero); // 10:00 Tokyo
        Assert.Equal("tokyo.csm@example.com", AlertRecipientSelector.Select(Alert(AlertTier.Critical, "tokyo.csm@example.com"), AlertChangeKind.Raise, _options, morningTokyo)!.To);
    }

    [Fact]
    public void Select_WarningOutOfHours_StillGoesToCsm() =>
        Assert.Equal("csm@example.com", AlertRecipientSelector.Select(Alert(AlertTier.Warning, "csm@example.com"), AlertChangeKind.Raise, _options, new DateTimeOffset(2026, 3, 8, 23, 0, 0, TimeSpan.Zero))!.To);

    [Theory]
    [InlineData(AlertTier.Watch, "alerts-watch")]
    [InlineData(AlertTier.Warning, "alerts-warning")]
    [InlineData(AlertTier.Critical, "alerts-critical")]
    public void QueueFor_EachTier_HasItsQueue(AlertTier tier, string queue) => Assert.Equal(queue, AlertTierRouter.QueueFor(tier));
}
