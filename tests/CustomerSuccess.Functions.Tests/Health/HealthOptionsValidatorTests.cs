using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Tests.Health;

[Collection(AzuriteCollection.Name)]
public sealed class HealthOptionsValidatorTests(AzuriteFixture azurite)
{
    private static ValidateOptionsResult Validate(Action<HealthOptions> configure)
    {
        var options = new HealthOptions();
        configure(options);
        return new HealthOptionsValidator().Validate(null, options);
    }

    [Fact]
    public void Validate_Defaults_Succeed() => Assert.True(Validate(_ => { }).Succeeded);

    [Fact]
    public void Validate_SegmentWeightsNotSumming100_NamesSegmentAndSum()
    {
        // Enterprise defaults 25/20/15/10/20/10: without its payment weight the six sum to 90.
        var result = Validate(o => o.Weights.Enterprise.Payment = 0);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains("Health:Weights:Enterprise weights sum to 90", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NegativeWeight_NamesSetting()
    {
        var result = Validate(o => { o.Weights.Smb.Payment = -5; o.Weights.Smb.ProductUsage = 50; });

        Assert.Contains(result.Failures!, f => f.StartsWith("Health:Weights:Smb:Payment is -5", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(50, 50)]
    [InlineData(101, 50)]
    [InlineData(75, 0)]
    public void Validate_BadBands_NamesBandSetting(int green, int yellow)
    {
        var result = Validate(o => o.Bands = new HealthBandOptions { Green = green, Yellow = yellow });

        Assert.Contains(result.Failures!, f => f.Contains("Health:Bands:", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SegmentGreenBelowGlobalYellow_NamesTheSegmentsSetting()
    {
        var result = Validate(o => o.Bands.MidMarket = new SegmentBandOptions { Green = 45 });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("Health:Bands:MidMarket:Green is 45", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SegmentBandsInOrder_Succeeds()
    {
        var result = Validate(o => o.Bands.Enterprise = new SegmentBandOptions { Green = 80, Yellow = 60 });

        Assert.True(result.Succeeded, string.Join("; ", result.Failures ?? []));
    }

    [Fact]
    public void Validate_EnterpriseBelowMidMarket_NamesSegmentSetting()
    {
        var result = Validate(o => o.Segments = new HealthSegmentOptions { EnterpriseMinArr = 10_000, MidMarketMinArr = 20_000 });

        Assert.Contains(result.Failures!, f => f.StartsWith("Health:Segments:EnterpriseMinArr", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_OnboardingAndShards_NameSettings()
    {
        var result = Validate(o => { o.OnboardingMaxDays = 0; o.ShardCount = 0; });

        Assert.Contains(result.Failures!, f => f.StartsWith("Health:OnboardingMaxDays", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Health:ShardCount", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SupportMinimumsAndAdoptionRampOutOfRange_NameSettings()
    {
        var result = Validate(o => { o.TicketSpikeMinimum = 0; o.UrgentTicketsMinimum = -1; o.TeamAdoptionDays = -1; });

        Assert.Contains(result.Failures!, f => f.StartsWith("Health:TeamAdoptionDays is -1", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Health:TicketSpikeMinimum is 0", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Health:UrgentTicketsMinimum is -1", StringComparison.Ordinal));
    }

    [Fact]
    public void AppStart_InvalidWeightsInConfiguration_RefusesToStartNamingSetting()
    {
        var error = Assert.IsType<OptionsValidationException>(AppStartup.FailureOf(() =>
            new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource([]), TimeProvider.System, b => SetWeights(b, "Smb", 45, 5, 15, 10, 5, 25))));

        Assert.Contains("Health:Weights:Smb weights sum to 105", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AppStart_SegmentWeightsSetOnlyInPart_RefusesToStartNamingMissingSettings()
    {
        // 30 + 15 + 15 + 10 + 20 + 10 = 100 with Enterprise's defaults filling the gap: it would pass the sum check, so
        // only the whole-segment rule stops the operator's two settings from being completed with numbers they never set.
        var error = Assert.IsType<OptionsValidationException>(AppStartup.FailureOf(() =>
            new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource([]), TimeProvider.System, b => b
                .UseSetting("Health:Weights:Enterprise:ProductUsage", "30")
                .UseSetting("Health:Weights:Enterprise:Engagement", "15"))));

        Assert.Contains("Health:Weights:Enterprise is set only in part (ProductUsage, Engagement)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Health:Weights:Enterprise:Outcomes, Health:Weights:Enterprise:Support, Health:Weights:Enterprise:Relationship, Health:Weights:Enterprise:Payment", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Health:Weights:Smb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AppStart_ConfiguredWeights_BoundFromSettings()
    {
        using var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource([]), TimeProvider.System, b => SetWeights(b, "Enterprise", 30, 20, 15, 10, 20, 5));
        using var client = factory.CreateClient();

        var weights = factory.Services.GetRequiredService<IOptions<HealthOptions>>().Value.Weights;

        Assert.Equal((30, 20, 15, 10, 20, 5), (weights.Enterprise.ProductUsage, weights.Enterprise.Engagement, weights.Enterprise.Outcomes, weights.Enterprise.Support, weights.Enterprise.Relationship, weights.Enterprise.Payment));
        Assert.Equal(45, weights.Smb.ProductUsage);
    }

    [Fact]
    public void AppStart_LoginYardstickSetEmpty_LoginsReadAgainstTheAccountsOwnPast()
    {
        using var factory = new HealthAppFactory(azurite.ConnectionString, new FakeSignalSource([]), TimeProvider.System, b => b.UseSetting("Health:ExpectedWeeklyLoginsPerActiveUser", string.Empty));
        using var client = factory.CreateClient();

        Assert.Null(factory.Services.GetRequiredService<IOptions<HealthOptions>>().Value.ExpectedWeeklyLoginsPerActiveUser);
        Assert.Equal(3, new HealthOptions().ExpectedWeeklyLoginsPerActiveUser);
    }

    private static Microsoft.AspNetCore.Hosting.IWebHostBuilder SetWeights(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder, string segment, int productUsage, int engagement, int outcomes, int support, int relationship, int payment) => builder
        .UseSetting($"Health:Weights:{segment}:ProductUsage", productUsage.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting($"Health:Weights:{segment}:Engagement", engagement.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting($"Health:Weights:{segment}:Outcomes", outcomes.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting($"Health:Weights:{segment}:Support", support.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting($"Health:Weights:{segment}:Relationship", relationship.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting($"Health:Weights:{segment}:Payment", payment.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
