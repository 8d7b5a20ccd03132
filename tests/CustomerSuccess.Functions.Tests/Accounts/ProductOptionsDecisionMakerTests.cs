using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Tests.Accounts;

public sealed class ProductOptionsDecisionMakerTests
{
    [Theory]
    [InlineData("economic_buyer", null, true)]
    [InlineData("Decision_Maker", null, true)]
    [InlineData("member", "VP Operations", true)]
    [InlineData(null, "Chief Revenue Officer", true)]
    [InlineData(null, "Director, Customer Care", true)]
    [InlineData(null, "Directory Administrator", false)] // a word inside another word is not the word
    [InlineData(null, "Headcount Analyst", false)]
    [InlineData("member", "Analyst", false)]
    [InlineData(null, null, false)]
    public void IsDecisionMaker_DefaultVocabulary(string? role, string? title, bool expected) =>
        Assert.Equal(expected, new ProductOptions().IsDecisionMaker(role, title));

    [Fact]
    public void IsDecisionMaker_ConfiguredListsReplaceTheDefaults()
    {
        var product = new ProductOptions();
        product.DecisionMakerTitles.Add("Partner");

        Assert.True(product.IsDecisionMaker(null, "Managing Partner"));
        Assert.False(product.IsDecisionMaker(null, "VP Sales"));
    }
}
