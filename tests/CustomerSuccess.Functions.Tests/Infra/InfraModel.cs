using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>What the Bicep in infra/ deploys, read from the files: app settings, queues and role assignments.</summary>
internal static partial class InfraModel
{
    public const string FunctionAppModule = "modules/functionapp.bicep";
    public const string ServiceBusModule = "modules/servicebus.bicep";
    public const string RbacModule = "modules/rbac.bicep";

    /// <summary>
    /// The app settings the function app gets: the entries of the <c>Microsoft.Web/sites/config</c> 'appsettings'
    /// resource, plus FUNCTIONS_WORKER_RUNTIME, which Flex Consumption takes from functionAppConfig.runtime.name
    /// (it rejects it as an app setting).
    /// </summary>
    public static IReadOnlyDictionary<string, string> AppSettings(BicepText? functionApp = null)
    {
        functionApp ??= BicepText.Load(RepositoryPaths.InfraFile(FunctionAppModule));
        var resourceLine = functionApp.FindRawLine(SiteConfigResource());
        Assert.True(resourceLine >= 0, $"{FunctionAppModule} declares no Microsoft.Web/sites/config resource for the app settings");
        var entries = functionApp.ObjectEntries(resourceLine);
        Assert.Contains(entries, e => e.Key == "name" && e.RawValue == "'appsettings'");
        var propertiesLine = entries.Single(e => e.Key == "properties").Line - 1;

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value, line) in functionApp.ObjectEntries(propertiesLine))
        {
            Assert.True(settings.TryAdd(key, value), $"{FunctionAppModule}:{line} sets {key} twice");
        }

        var runtime = RuntimeName().Match(functionApp.Raw);
        if (runtime.Success)
        {
            settings["FUNCTIONS_WORKER_RUNTIME"] = $"'{runtime.Groups["name"].Value}'";
        }

        return settings;
    }

    public static IReadOnlyList<BicepQueue> Queues(BicepText? serviceBus = null)
    {
        serviceBus ??= BicepText.Load(RepositoryPaths.InfraFile(ServiceBusModule));
        var open = serviceBus.FindCodeLine(QueuesVariable());
        Assert.True(open >= 0, $"{ServiceBusModule} has no 'var queues = [' list");
        var end = serviceBus.BlockEnd(open);
        var queues = new List<BicepQueue>();
        for (var line = open + 1; line < end; line++)
        {
            if (serviceBus.CodeLines[line].Trim() != "{")
            {
                continue;
            }

            var p = serviceBus.ObjectEntries(line).ToDictionary(e => e.Key, e => e.RawValue, StringComparer.Ordinal);
            queues.Add(new BicepQueue(
                Unquote(p.GetValueOrDefault("name")),
                p.GetValueOrDefault("requiresDuplicateDetection") == "true",
                Duration(p.GetValueOrDefault("duplicateDetectionHistoryTimeWindow")),
                int.TryParse(p.GetValueOrDefault("maxDeliveryCount"), out var n) ? n : null,
                Duration(p.GetValueOrDefault("lockDuration")),
                p.GetValueOrDefault("deadLetteringOnMessageExpiration") == "true"));
        }

        return queues;
    }

    public static string? Unquote(string? value) => value is { Length: >= 2 } && value[0] == '\'' && value[^1] == '\'' ? value[1..^1] : value;

    public static TimeSpan? Duration(string? value) => Unquote(value) is { Length: > 0 } v ? XmlConvert.ToTimeSpan(v) : null;

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

    [GeneratedRegex(@"^resource\s+\w+\s+'Microsoft\.Web/sites/config@")]
    private static partial Regex SiteConfigResource();

    [GeneratedRegex(@"runtime:\s*\{\s*name:\s*'(?<name>[^']+)'")]
    private static partial Regex RuntimeName();

    [GeneratedRegex(@"^var\s+queues\s*=\s*\[\s*$")]
    private static partial Regex QueuesVariable();
}

internal sealed record BicepQueue(
    string? Name,
    bool RequiresDuplicateDetection,
    TimeSpan? DuplicateDetectionHistoryTimeWindow,
    int? MaxDeliveryCount,
    TimeSpan? LockDuration,
    bool DeadLetteringOnMessageExpiration);
