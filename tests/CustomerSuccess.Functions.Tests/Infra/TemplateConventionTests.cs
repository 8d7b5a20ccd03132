namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>The compiled template's declarations follow the Azure Verified Modules style and hold no secret.</summary>
public sealed class TemplateConventionTests
{
    [Fact]
    public void Parameters_AreDescribedAsRequiredOrOptional() =>
        AssertNone(TemplateConventions.ParameterDescriptionProblems(CompiledInfra.Current.Template), "Parameters");

    [Fact]
    public void Outputs_AreDescribed() =>
        AssertNone(TemplateConventions.OutputDescriptionProblems(CompiledInfra.Current.Template), "Outputs");

    [Fact]
    public void Outputs_CarryNoSecret() =>
        AssertNone(TemplateConventions.SecretOutputProblems(CompiledInfra.Current.Template), "Outputs carrying a secret");

    [Fact]
    public void Template_HoldsNoLiteralThatLooksLikeASecret() =>
        AssertNone(TemplateConventions.SecretLiteralProblems(CompiledInfra.Current.Template.Root), "Compiled template");

    [Fact]
    public void DeployedOutputs_HoldNoValueThatLooksLikeASecret() =>
        AssertNone(CompiledInfra.Current.Snapshots.Values.SelectMany(s => TemplateConventions.SecretLiteralProblems(s.Outputs)), "Outputs of a deployment");

    [Fact]
    public void CompiledParametersAndLocalSettingsSample_HoldNoSecret()
    {
        var parameters = System.Text.Json.Nodes.JsonNode.Parse(CompiledInfra.Current.CompiledParameters ?? "{}")!;
        var sample = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "local.settings.sample.json")))!;

        AssertNone(TemplateConventions.SecretLiteralProblems(parameters), "main.bicepparam, compiled");
        AssertNone(TemplateConventions.SecretLiteralProblems(sample), "local.settings.sample.json");
    }

    [Fact]
    public void ApiVersions_AreStableWhereAStableVersionDoes()
    {
        foreach (var snapshot in CompiledInfra.Current.Snapshots.Values)
        {
            AssertNone(SecurityBaseline.PreviewApiVersionProblems(snapshot), "API versions");
        }
    }

    internal static void AssertNone(IEnumerable<string> problems, string what)
    {
        var list = problems.ToList();
        Assert.True(list.Count == 0, $"{what}:\n  " + string.Join("\n  ", list));
    }
}
