using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerSuccess.Functions.Health;

/// <summary>Health's JSON: the API's answers, shard messages and stored transitions (enums as words).</summary>
public static class HealthJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(), new ReadOnlyStringSetConverter() } };
}

/// <summary>System.Text.Json cannot create an IReadOnlySet (HealthTransition.Flags); read it as a HashSet.</summary>
internal sealed class ReadOnlyStringSetConverter : JsonConverter<IReadOnlySet<string>>
{
    public override IReadOnlySet<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<HashSet<string>>(ref reader, options) ?? [];

    public override void Write(Utf8JsonWriter writer, IReadOnlySet<string> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartArray();
        foreach (var item in value)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }
}
