using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Tests.Infrastructure;
using CustomerSuccess.Functions.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>The product vocabulary: one section, validated at start naming the setting, configured lists replacing the defaults.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ProductOptionsTests(AzuriteFixture azurite)
{
    [Fact]
    public void Validate_EmptyMilestoneEntryAndUnknownKind_NameTheSettings()
    {
        var options = new ProductOptions { FirstValueMilestone = " ", KeyFeatures = ["Reports", ""] };
        options.SegmentGroupLinkTraits["crm_id"] = "salesforce";

        var result = new ProductOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("Product:FirstValueMilestone is empty", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Product:KeyFeatures contains an empty entry", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Product:SegmentGroupLinkTraits:crm_id is 'salesforce'", StringComparison.Ordinal));
    }

    [Fact]
    public void Milestones_EveryNamedOnceWhateverTheCase()
    {
        var options = new ProductOptions { FirstValueMilestone = "Integration Connected", SuccessMilestones = ["integration connected", "Report Shared"], OnboardingMilestones = ["Invited"] };

        Assert.Equal(["Integration Connected", "activated", "onboarding-completed", "Report Shared", "Invited"], options.Milestones());
    }

    [Fact]
    public void AppStart_ConfiguredLists_ReplaceTheDefaultsAndReachEveryReader()
    {
        using var factory = new WebhookAppFactory(new ManualTimeProvider(DateTimeOffset.UnixEpoch), azurite.ConnectionString);
        factory.Settings["Product:LoginEvents:0"] = "Session Started";
        factory.Settings["Product:KeyFeatures:0"] = "Report Created";
        factory.Settings["Product:KeyFeatures:1"] = "Workflow Run";
        factory.Settings["Product:FirstValueMilestone"] = "Integration Connected";
        using var client = factory.CreateClient();

        var product = factory.Services.GetRequiredService<IOptions<ProductOptions>>().Value;

        Assert.Equal(["Session Started"], product.LoginEvents);
        Assert.Equal(["Report Created", "Workflow Run"], product.KeyFeatures);
        Assert.Equal(["Meeting Held"], product.MeetingEvents);
        Assert.Equal(["complaint"], product.ComplaintTags);
        Assert.Equal("Integration Connected", product.FirstValueMilestone);
    }

    [Fact]
    public void AppStart_InvalidVocabulary_RefusesToStartNamingTheSetting()
    {
        var error = AppStartup.FailureOf(() =>
        {
            var factory = new WebhookAppFactory(new ManualTimeProvider(DateTimeOffset.UnixEpoch), azurite.ConnectionString);
            factory.Settings["Product:ActivationMilestone"] = " ";
            return factory;
        });

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("Product:ActivationMilestone is empty", validation.Message, StringComparison.Ordinal);
    }
}
