namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// local.settings.sample.json holds the same settings as the Bicep, with local values: Azurite for storage,
/// placeholders for secrets. An identity-based connection (Name__credential, Name__clientId, ...) is one setting
/// locally: the sample sets the connection string form (Name) or one of its Name__* settings.
/// </summary>
public sealed class LocalSettingsSampleTests
{
    [Fact]
    public void Sample_HasEverySettingTheBicepSets()
    {
        var sample = InfraModel.LocalSettingsSample();
        var missing = InfraModel.AppSettings().Keys
            .Where(name => !sample.ContainsKey(name))
            .Where(name => !IsPartOfIdentityConnection(name) || !SetsConnection(sample, AppSettingsConsistencyTests.ConnectionPrefix(name)))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json lacks settings the Bicep sets:\n  " + string.Join("\n  ", missing));
    }

    [Fact]
    public void Sample_SecretsArePlaceholders()
    {
        var sample = InfraModel.LocalSettingsSample();
        var secrets = sample.Where(p => AppSettingsConsistencyTests.LooksSecret(p.Key)).ToList();

        Assert.NotEmpty(secrets);
        foreach (var (name, value) in secrets)
        {
            Assert.True(value is { Length: > 2 } && value[0] == '<' && value[^1] == '>', $"{name} must be a <placeholder>, not a value");
        }
    }

    [Fact]
    public void Sample_UsesAzuriteAndTheCustomHandlerRuntime()
    {
        var sample = InfraModel.LocalSettingsSample();

        Assert.Equal("custom", sample["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", sample["AzureWebJobsStorage"]);
        Assert.DoesNotContain(sample.Values, v => v is not null && v.Contains("AccountKey=", StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsPartOfIdentityConnection(string name) =>
        name.StartsWith("AzureWebJobsStorage__", StringComparison.OrdinalIgnoreCase) ||
        name.EndsWith("__credential", StringComparison.OrdinalIgnoreCase) ||
        name.EndsWith("__clientId", StringComparison.OrdinalIgnoreCase) ||
        name.EndsWith("__fullyQualifiedNamespace", StringComparison.OrdinalIgnoreCase);

    private static bool SetsConnection(IReadOnlyDictionary<string, string?> sample, string connection) =>
        sample.ContainsKey(connection) || sample.Keys.Any(k => k.StartsWith(connection + "__", StringComparison.OrdinalIgnoreCase));
}
