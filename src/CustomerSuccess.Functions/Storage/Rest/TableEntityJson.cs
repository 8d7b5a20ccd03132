using System.Globalization;
using System.Text.Json;

namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>
/// The Table service's JSON entity format (odata=minimalmetadata): types JSON cannot tell apart carry an
/// <c>Name@odata.type</c> annotation (Edm.Int64 as a string, Edm.DateTime, Edm.Guid, Edm.Binary as base64,
/// Edm.Double so that 3.0 stays a double). Int32, String and Boolean go bare.
/// </summary>
internal static class TableEntityJson
{
    private const string TypeSuffix = "@odata.type";

    public static void Write(Utf8JsonWriter writer, TableEntity entity)
    {
        writer.WriteStartObject();
        writer.WriteString("PartitionKey", entity.PartitionKey);
        writer.WriteString("RowKey", entity.RowKey);
        foreach (var (name, value) in entity.Properties)
        {
            if (value is null || name is "PartitionKey" or "RowKey" or "Timestamp" || name.Contains("odata.", StringComparison.Ordinal))
            {
                // The service has no null; a missing property is how "no value" is stored.
                continue;
            }

            WriteProperty(writer, name, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteProperty(Utf8JsonWriter writer, string name, object value)
    {
        switch (value)
        {
            case string s:
                writer.WriteString(name, s);
                break;
            case int i:
                writer.WriteNumber(name, i);
                break;
            case long l:
                writer.WriteString(name + TypeSuffix, "Edm.Int64");
                writer.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                WriteDouble(writer, name, d);
                break;
            case float f:
                WriteDouble(writer, name, f);
                break;
            case bool b:
                writer.WriteBoolean(name, b);
                break;
            case DateTimeOffset dto:
                writer.WriteString(name + TypeSuffix, "Edm.DateTime");
                writer.WriteString(name, dto.UtcDateTime);
                break;
            case DateTime dt:
                writer.WriteString(name + TypeSuffix, "Edm.DateTime");
                writer.WriteString(name, dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : DateTime.SpecifyKind(dt, DateTimeKind.Utc));
                break;
            case Guid g:
                writer.WriteString(name + TypeSuffix, "Edm.Guid");
                writer.WriteString(name, g);
                break;
            case byte[] bytes:
                writer.WriteString(name + TypeSuffix, "Edm.Binary");
                writer.WriteBase64String(name, bytes);
                break;
            case ReadOnlyMemory<byte> memory:
                writer.WriteString(name + TypeSuffix, "Edm.Binary");
                writer.WriteBase64String(name, memory.Span);
                break;
            default:
                throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which the Table service cannot store (string, int, long, double, bool, DateTimeOffset, Guid, byte[]).", nameof(value));
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, string name, double d)
    {
        writer.WriteString(name + TypeSuffix, "Edm.Double");
        if (double.IsFinite(d))
        {
            writer.WriteNumber(name, d);
        }
        else
        {
            writer.WriteString(name, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        }
    }

    public static TableEntity Read(JsonElement element, string? partitionKey = null, string? rowKey = null)
    {
        if (element.TryGetProperty("PartitionKey", out var pk))
        {
            partitionKey = pk.GetString();
        }

        if (element.TryGetProperty("RowKey", out var rk))
        {
            rowKey = rk.GetString();
        }

        var entity = new TableEntity(partitionKey ?? string.Empty, rowKey ?? string.Empty);
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (name.EndsWith(TypeSuffix, StringComparison.Ordinal) || name is "PartitionKey" or "RowKey")
            {
                continue;
            }

            if (name == "odata.etag")
            {
                entity.ETag = property.Value.GetString();
                continue;
            }

            if (name.StartsWith("odata.", StringComparison.Ordinal))
            {
                continue;
            }

            if (name == "Timestamp")
            {
                entity.Timestamp = ParseDateTime(property.Value.GetString()!);
                continue;
            }

            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            string? edmType = null;
            if (value.ValueKind is JsonValueKind.String or JsonValueKind.Number
                && element.TryGetProperty(name + TypeSuffix, out var annotation))
            {
                edmType = annotation.GetString();
            }

            entity.Properties[name] = ReadValue(value, edmType);
        }

        return entity;
    }

    private static object? ReadValue(JsonElement value, string? edmType)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String:
                return edmType switch
                {
                    "Edm.Int64" => long.Parse(value.GetString()!, CultureInfo.InvariantCulture),
                    "Edm.DateTime" => ParseDateTime(value.GetString()!),
                    "Edm.Guid" => value.GetGuid(),
                    "Edm.Binary" => value.GetBytesFromBase64(),
                    "Edm.Double" => value.GetString() switch
                    {
                        "NaN" => double.NaN,
                        "Infinity" => double.PositiveInfinity,
                        "-Infinity" => double.NegativeInfinity,
                        var s => double.Parse(s!, CultureInfo.InvariantCulture),
                    },
                    _ => value.GetString(),
                };
            case JsonValueKind.Number:
                if (edmType == "Edm.Double")
                {
                    return value.GetDouble();
                }

                if (edmType == "Edm.Int64")
                {
                    return value.GetInt64();
                }

                // Unannotated numbers are Int32 unless they carry a fraction or exponent.
                // (object) on both arms: a bare int/double conditional would widen the int to double.
                return value.TryGetInt32(out var i) && !LooksFractional(value) ? (object)i : (object)value.GetDouble();
            default:
                return value.GetRawText();
        }
    }

    private static bool LooksFractional(JsonElement number)
    {
        var raw = number.GetRawText();
        return raw.AsSpan().IndexOfAny(".eE") >= 0;
    }

    private static DateTimeOffset ParseDateTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
