using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// What <c>bicep snapshot</c> says a deployment of the compiled template creates: every resource with its ID, type,
/// API version and body, expressions evaluated where the engine can before deploying. A value only known once
/// something exists (a principal ID, an endpoint) stays an expression string, e.g.
/// <c>[reference('/subscriptions/…/userAssignedIdentities/id-x', '2024-11-30').clientId]</c>.
/// </summary>
internal sealed partial class DeploymentSnapshot(IReadOnlyList<PredictedResource> resources, JsonObject outputs)
{
    public IReadOnlyList<PredictedResource> Resources { get; } = resources;

    public JsonObject Outputs { get; } = outputs;

    public static DeploymentSnapshot Parse(string json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var resources = root["predictedResources"]!.AsArray().Select(r => PredictedResource.From(r!.AsObject())).ToList();
        return new DeploymentSnapshot(resources, root["outputs"]?.AsObject() ?? []);
    }

    public IEnumerable<PredictedResource> OfType(string type) =>
        Resources.Where(r => r.Type.Equals(type, StringComparison.OrdinalIgnoreCase));

    public PredictedResource Single(string type)
    {
        var matches = OfType(type).ToList();
        Assert.True(matches.Count == 1, $"expected one {type}, the snapshot has {matches.Count}");
        return matches[0];
    }

    public PredictedResource? ById(string id) =>
        Resources.FirstOrDefault(r => r.Id.Equals(id, StringComparison.OrdinalIgnoreCase));

    /// <summary>The resource ID inside <c>[reference('&lt;id&gt;', '&lt;api&gt;').&lt;property&gt;]</c>, or null for any other value.</summary>
    public static string? ReferencedId(string? value, string property)
    {
        var m = value is null ? Match.Empty : Reference().Match(value);
        return m.Success && m.Groups["property"].Value.Equals(property, StringComparison.Ordinal) ? m.Groups["id"].Value : null;
    }

    [GeneratedRegex(@"^\[reference\('(?<id>[^']+)', '[^']+'\)\.(?<property>\w+)\]$")]
    private static partial Regex Reference();
}

internal sealed record PredictedResource(string Id, string Type, string Name, string ApiVersion, JsonObject Body)
{
    public static PredictedResource From(JsonObject body) => new(
        (string?)body["id"] ?? string.Empty,
        (string?)body["type"] ?? string.Empty,
        (string?)body["name"] ?? string.Empty,
        (string?)body["apiVersion"] ?? string.Empty,
        body);

    /// <summary>The node at a dotted path below the resource body ("properties.siteConfig.minTlsVersion"), or null.</summary>
    public JsonNode? At(string path)
    {
        JsonNode? node = Body;
        foreach (var segment in path.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(segment, out var next) ? next : null;
        }

        return node;
    }

    /// <summary>The value at a path as text: a string as is, anything else as JSON, null when absent.</summary>
    public string? Text(string path) => At(path) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var n => n.ToJsonString(),
    };

    /// <summary>For an extension resource (role assignment, diagnostic setting): the ID of the resource it applies to.</summary>
    public string Scope
    {
        get
        {
            var suffix = $"/providers/{Type}/{Name}";
            return Id.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? Id[..^suffix.Length] : string.Empty;
        }
    }

    /// <summary>The last segment of the name: the queue's name for "sb-x/health-recompute".</summary>
    public string LeafName => Name[(Name.LastIndexOf('/') + 1)..];
}
