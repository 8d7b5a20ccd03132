using System.Text.Json;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Hosting;

/// <summary>One binding of a function.json, with the properties the host reads.</summary>
public sealed record FunctionBinding(string Type, string Direction, string Name, IReadOnlyDictionary<string, JsonElement> Properties)
{
    public string? GetString(string property) =>
        Properties.TryGetValue(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public bool GetBoolean(string property) =>
        Properties.TryGetValue(property, out var v) && v.ValueKind == JsonValueKind.True;

    public IReadOnlyList<string> GetStrings(string property) =>
        Properties.TryGetValue(property, out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];

    public bool IsTrigger => Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase);
}

public enum FunctionTriggerKind
{
    Http,
    Timer,
    ServiceBus,
    Other,
}

/// <summary>A function as the Functions host sees it: the folder name and its function.json bindings.</summary>
public sealed partial record FunctionDefinition(string Name, IReadOnlyList<FunctionBinding> Bindings)
{
    public FunctionBinding Trigger => Bindings.Single(b => b.IsTrigger);

    public FunctionTriggerKind TriggerKind => Trigger.Type.ToUpperInvariant() switch
    {
        "HTTPTRIGGER" => FunctionTriggerKind.Http,
        "TIMERTRIGGER" => FunctionTriggerKind.Timer,
        "SERVICEBUSTRIGGER" => FunctionTriggerKind.ServiceBus,
        _ => FunctionTriggerKind.Other,
    };

    /// <summary>The route the host exposes an HTTP function at (route prefix "api"); the function name when no route is set.</summary>
    public string HttpPath => "/api/" + (Trigger.GetString("route") ?? Name);

    public static FunctionDefinition Parse(string name, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var bindings = new List<FunctionBinding>();
        foreach (var b in doc.RootElement.GetProperty("bindings").EnumerateArray())
        {
            var props = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in b.EnumerateObject())
            {
                props[p.Name] = p.Value.Clone();
            }

            bindings.Add(new FunctionBinding(
                props.TryGetValue("type", out var t) ? t.GetString() ?? string.Empty : string.Empty,
                props.TryGetValue("direction", out var d) ? d.GetString() ?? "in" : "in",
                props.TryGetValue("name", out var n) ? n.GetString() ?? string.Empty : string.Empty,
                props));
        }

        var definition = new FunctionDefinition(name, bindings);
        if (bindings.Count(b => b.IsTrigger) != 1)
        {
            throw new InvalidDataException($"function.json of '{name}' must have exactly one trigger binding.");
        }

        return definition;
    }

    /// <summary>Resolves %Setting% references the way the host does: from app settings (configuration).</summary>
    public static string ResolveSettings(string value, IConfiguration configuration) =>
        SettingReference().Replace(value, m => configuration[m.Groups[1].Value.Replace("__", ":", StringComparison.Ordinal)]
            ?? throw new InvalidOperationException($"App setting '{m.Groups[1].Value}' referenced from a function.json is not set."));

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();
}

/// <summary>Loads every <c>&lt;FunctionName&gt;/function.json</c> under the script root, as the host does at start.</summary>
public sealed class FunctionManifest
{
    public FunctionManifest(IReadOnlyList<FunctionDefinition> functions) => Functions = functions;

    public IReadOnlyList<FunctionDefinition> Functions { get; }

    public static FunctionManifest Load(string scriptRoot)
    {
        if (!Directory.Exists(scriptRoot))
        {
            throw new DirectoryNotFoundException($"No function folders at '{scriptRoot}'.");
        }

        var functions = Directory.EnumerateDirectories(scriptRoot)
            .Select(dir => (Dir: dir, File: Path.Combine(dir, "function.json")))
            .Where(x => File.Exists(x.File))
            .Select(x => FunctionDefinition.Parse(Path.GetFileName(x.Dir), File.ReadAllText(x.File)))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return new FunctionManifest(functions);
    }
}
