using System.Text.Json;
using System.Xml;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>What a deployment of infra/ creates that the code depends on, read from the snapshot of the compiled template.</summary>
internal static class InfraModel
{
    public const string SiteConfig = "Microsoft.Web/sites/config";
    public const string Site = "Microsoft.Web/sites";
    public const string Queue = "Microsoft.ServiceBus/namespaces/queues";

    /// <summary>
    /// The app settings the function app gets: the entries of its 'appsettings' config resource, plus
    /// FUNCTIONS_WORKER_RUNTIME, which Flex Consumption takes from functionAppConfig.runtime.name (it rejects it as an
    /// app setting). Values as the snapshot has them: literal, or an expression string where only the deployment knows.
    /// </summary>
    public static IReadOnlyDictionary<string, string> AppSettings(DeploymentSnapshot? snapshot = null)
    {
        snapshot ??= CompiledInfra.Current.Snapshot;
        var configs = snapshot.OfType(SiteConfig).Where(c => c.LeafName == "appsettings").ToList();
        Assert.True(configs.Count == 1, $"expected one Microsoft.Web/sites/config 'appsettings' resource, found {configs.Count}");

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in configs[0].At("properties")?.AsObject() ?? [])
        {
            Assert.True(settings.TryAdd(name, value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString() ?? string.Empty), $"appsettings sets {name} twice");
        }

        if (snapshot.Single(Site).Text("properties.functionAppConfig.runtime.name") is { } runtime)
        {
            settings["FUNCTIONS_WORKER_RUNTIME"] = runtime;
        }

        return settings;
    }

    /// <summary>The Service Bus queues a deployment creates, with the properties the code relies on.</summary>
    public static IReadOnlyList<DeployedQueue> Queues(DeploymentSnapshot? snapshot = null) =>
        [.. (snapshot ?? CompiledInfra.Current.Snapshot).OfType(Queue).Select(q => new DeployedQueue(
            q.LeafName,
            q.Text("properties.requiresDuplicateDetection") == "true",
            Duration(q.Text("properties.duplicateDetectionHistoryTimeWindow")),
            int.TryParse(q.Text("properties.maxDeliveryCount"), out var n) ? n : null,
            Duration(q.Text("properties.lockDuration")),
            q.Text("properties.deadLetteringOnMessageExpiration") == "true"))];

    public static TimeSpan? Duration(string? value) => value is { Length: > 0 } ? XmlConvert.ToTimeSpan(value) : null;

    /// <summary>The Values of local.settings.sample.json at the repository root.</summary>
    public static IReadOnlyDictionary<string, string?> LocalSettingsSample()
    {
        var path = Path.Combine(RepositoryPaths.Root, "local.settings.sample.json");
        Assert.True(File.Exists(path), "local.settings.sample.json is missing at the repository root");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.False(document.RootElement.GetProperty("IsEncrypted").GetBoolean(), "local.settings.sample.json must have IsEncrypted: false");
        return document.RootElement.GetProperty("Values").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(), StringComparer.OrdinalIgnoreCase);
    }
}

internal sealed record DeployedQueue(
    string Name,
    bool RequiresDuplicateDetection,
    TimeSpan? DuplicateDetectionHistoryTimeWindow,
    int? MaxDeliveryCount,
    TimeSpan? LockDuration,
    bool DeadLetteringOnMessageExpiration);
