using System.Text.Json;
using CustomerSuccess.Functions.Tests.Infra;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>A deployment (not Development) with the settings the Bicep sets, one missing at a time.</summary>
public sealed class LifecycleStartupTests
{
    [Theory]
    [InlineData("Lifecycle__UnsubscribeSigningKey", "Lifecycle__UnsubscribeSigningKey is required")]
    [InlineData("Lifecycle__UnsubscribeBaseUrl", "Lifecycle__UnsubscribeBaseUrl must be an absolute URL")]
    public void AppStart_DeploymentWithoutSetting_RefusesToStartNamingIt(string missing, string message)
    {
        var error = AppStartup.FailureOf(b =>
        {
            b.UseEnvironment("Production");
            foreach (var (name, value) in SampleSettings().Where(s => s.Key != missing))
            {
                b.UseSetting(name.Replace("__", ":", StringComparison.Ordinal), value);
            }
        });

        Assert.NotNull(error);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AppStart_DeploymentWithSampleSettings_Starts()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            foreach (var (name, value) in SampleSettings())
            {
                b.UseSetting(name.Replace("__", ":", StringComparison.Ordinal), value);
            }
        });

        using var client = factory.CreateClient();

        Assert.NotNull(client);
    }

    private static List<KeyValuePair<string, string>> SampleSettings()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "local.settings.sample.json")));
        return [.. sample.RootElement.GetProperty("Values").EnumerateObject()
            .Where(p => p.Name != "ServiceBusConnection__fullyQualifiedNamespace")
            .Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString() ?? string.Empty))];
    }
}
