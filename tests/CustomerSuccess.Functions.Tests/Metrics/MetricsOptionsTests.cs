using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Metrics;

namespace CustomerSuccess.Functions.Tests.Metrics;

/// <summary>The metrics' targets are validated at start, each failure naming its setting.</summary>
public sealed class MetricsOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(new MetricsOptionsValidator().Validate(null, new MetricsOptions()).Succeeded);

    [Theory]
    [InlineData(0, 91, AccountSegment.MidMarket, "Metrics:OnboardingTargetDays is 0")]
    [InlineData(30, 3, AccountSegment.MidMarket, "Metrics:QbrCadenceDays is 3")]
    [InlineData(30, 91, (AccountSegment)7, "Metrics:QbrMinSegment must be one of")]
    public void Validate_OutOfRange_FailsNamingTheSetting(int onboardingTargetDays, int qbrCadenceDays, AccountSegment qbrMinSegment, string expected)
    {
        var options = new MetricsOptions { OnboardingTargetDays = onboardingTargetDays, QbrCadenceDays = qbrCadenceDays, QbrMinSegment = qbrMinSegment };

        var result = new MetricsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }
}
