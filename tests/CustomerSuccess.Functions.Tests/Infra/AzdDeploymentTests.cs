using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// What `azd up` relies on: the infra folder azd looks for, the outputs the postprovision hook and the README use,
/// the webhook URLs pointing at routes the app serves, and the tags azd finds resources by.
/// </summary>
public sealed partial class AzdDeploymentTests
{
    [Fact]
    public void InfraLayout_HasWhatAzdLooksFor()
    {
        // azd compiles infra/main.bicepparam when it exists, in preference to main.bicep + main.parameters.json.
        foreach (var file in new[] { "main.bicep", "main.bicepparam", "abbreviations.json", "bicepconfig.json" })
        {
            Assert.True(File.Exists(RepositoryPaths.InfraFile(file)), "infra/" + file + " is missing");
        }

        Assert.False(File.Exists(RepositoryPaths.InfraFile("main.parameters.json")), "infra/main.parameters.json is ignored by azd next to main.bicepparam; remove it");
        Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, "azure.yaml")), "azure.yaml is missing");
    }

    [Fact]
    public void AzureYaml_HookUsesOnlyOutputsOfTheTemplateAndThePublishedPackage()
    {
        var yaml = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "azure.yaml"));
        var outputs = CompiledInfra.Current.Template.Outputs.Keys.ToHashSet(StringComparer.Ordinal);
        var used = EnvironmentVariable().Matches(yaml).Select(m => m.Groups["name"].Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(used);
        Assert.All(used, name => Assert.True(outputs.Contains(name), $"azure.yaml uses ${name}, which the template does not output"));
        Assert.Contains("scripts/publish.sh", yaml, StringComparison.Ordinal);
        Assert.Contains("artifacts/publish/package.zip", yaml, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+path: infra\s*$", yaml);
        Assert.Matches(@"(?m)^\s+module: main\s*$", yaml);
    }

    [Fact]
    public void WebhookUrlOutputs_PointAtRoutesAFunctionServes()
    {
        // The URLs users paste into Stripe, Segment and Zendesk must be routes an httpTrigger function.json declares.
        var routes = FunctionManifest.LoadAll()
            .SelectMany(m => m.Bindings)
            .Where(b => b.TryGetProperty("type", out var t) && t.GetString() == "httpTrigger" && b.TryGetProperty("route", out _))
            .Select(b => "/api/" + b.GetProperty("route").GetString())
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var urls = CompiledInfra.Current.Template.Outputs
            .Where(o => o.Key.EndsWith("_WEBHOOK_URL", StringComparison.Ordinal))
            .ToDictionary(o => o.Key, o => AppPath().Match((string?)o.Value["value"] ?? string.Empty).Groups["path"].Value, StringComparer.Ordinal);

        Assert.Equal(["SEGMENT_WEBHOOK_URL", "STRIPE_WEBHOOK_URL", "ZENDESK_WEBHOOK_URL"], urls.Keys.Order(StringComparer.Ordinal));
        Assert.NotEmpty(routes);
        Assert.All(urls, u => Assert.True(routes.Contains(u.Value), $"{u.Key} points at '{u.Value}', which no function.json serves"));
    }

    [Fact]
    public void Tags_CarryTheAzdEnvironmentAndServiceName()
    {
        var snapshot = CompiledInfra.Current.Snapshot;
        var untagged = snapshot.Resources
            .Where(r => r.Body["location"] is not null)
            .Where(r => r.Text("tags.azd-env-name") != CompiledInfra.Default.EnvironmentName)
            .Select(r => r.Id)
            .ToList();

        Assert.True(untagged.Count == 0, "Resources without azd-env-name (azd down finds them by it):\n  " + string.Join("\n  ", untagged));
        Assert.Equal("api", snapshot.Single(InfraModel.Site).Text("tags.azd-service-name"));
    }

    [GeneratedRegex(@"\$(?:\{)?(?<name>[A-Z][A-Z0-9_]+)")]
    private static partial Regex EnvironmentVariable();

    /// <summary>The path appended to the app's URL in an output such as [format('{0}/api/webhooks/stripe', ...)].</summary>
    [GeneratedRegex(@"'\{0\}(?<path>/api/[^']+)'")]
    private static partial Regex AppPath();
}
