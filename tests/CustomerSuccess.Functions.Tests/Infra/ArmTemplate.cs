using System.Text.Json.Nodes;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// The compiled ARM template of infra/main.bicep: main.bicep itself and, nested inside it as deployments, every
/// module. Read for what the snapshot does not carry: parameter and output declarations with their descriptions
/// and types, and output value expressions.
/// </summary>
internal sealed class ArmTemplate(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public static ArmTemplate Parse(string json) => new(JsonNode.Parse(json)!.AsObject());

    /// <summary>The outputs of the template itself (what azd reads back after a deployment).</summary>
    public IReadOnlyDictionary<string, JsonObject> Outputs => Declarations(Root, "outputs");

    /// <summary>The template and every nested deployment's template, each named by its deployment path ("main/rbac").</summary>
    public IEnumerable<(string Name, JsonObject Template)> Templates() => Walk("main", Root);

    public static IReadOnlyDictionary<string, JsonObject> Declarations(JsonObject template, string section) =>
        template[section] is JsonObject declarations
            ? declarations.Where(p => p.Value is JsonObject).ToDictionary(p => p.Key, p => p.Value!.AsObject(), StringComparer.Ordinal)
            : new Dictionary<string, JsonObject>();

    /// <summary>Every string in the JSON below <paramref name="node"/>, with its JSON path.</summary>
    public static IEnumerable<(string Path, string Value)> Strings(JsonNode? node, string path = "$")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    foreach (var s in Strings(child, $"{path}.{key}"))
                    {
                        yield return s;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var s in Strings(a[i], $"{path}[{i}]"))
                    {
                        yield return s;
                    }
                }

                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                yield return (path, text);
                break;
        }
    }

    private static IEnumerable<(string Name, JsonObject Template)> Walk(string name, JsonObject template)
    {
        yield return (name, template);
        var resources = template["resources"] switch
        {
            JsonArray list => list.OfType<JsonObject>(),
            JsonObject symbolic => symbolic.Select(p => p.Value).OfType<JsonObject>(),
            _ => [],
        };
        foreach (var deployment in resources.Where(r => (string?)r["type"] == "Microsoft.Resources/deployments"))
        {
            if (deployment["properties"]?["template"] is JsonObject nested)
            {
                foreach (var t in Walk($"{name}/{(string?)deployment["name"]}", nested))
                {
                    yield return t;
                }
            }
        }
    }
}
