using System.Globalization;
using System.Text.Json;

namespace CustomerSuccess.Simulator.Observation;

/// <summary>
/// Reading the app's API answers without binding to one exact shape: members are found by any of a few likely
/// names, case-insensitively, and lists may be bare arrays or wrapped in an object ({"items":[...]} and the like).
/// </summary>
internal static class TolerantJson
{
    public static IEnumerable<JsonElement> Items(JsonElement root, params string[] wrappers)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            return root.EnumerateArray();
        }

        if (root.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in wrappers.Concat(["items", "value", "data", "results"]))
            {
                if (Member(root, name) is { ValueKind: JsonValueKind.Array } list)
                {
                    return list.EnumerateArray();
                }
            }
        }

        return [];
    }

    public static JsonElement? Member(JsonElement obj, params string[] names)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var name in names)
        {
            foreach (var p in obj.EnumerateObject())
            {
                if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind != JsonValueKind.Null)
                {
                    return p.Value;
                }
            }
        }

        return null;
    }

    public static string? String(JsonElement obj, params string[] names) => Member(obj, names) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        _ => null,
    };

    public static double? Number(JsonElement obj, params string[] names) => Member(obj, names) switch
    {
        { ValueKind: JsonValueKind.Number } n => n.GetDouble(),
        { ValueKind: JsonValueKind.String } s when double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    public static DateTimeOffset? Time(JsonElement obj, params string[] names) => Member(obj, names) switch
    {
        { ValueKind: JsonValueKind.String } s when DateTimeOffset.TryParse(s.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => t,
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var unix) => DateTimeOffset.FromUnixTimeSeconds(unix),
        _ => null,
    };

    /// <summary>Green/Yellow/Red from a name in any case, or the app's enum order (Red = 0, Yellow = 1, Green = 2).</summary>
    public static string? Band(JsonElement obj, params string[] names)
    {
        var raw = String(obj, names);
        return raw?.Trim().ToUpperInvariant() switch
        {
            "GREEN" or "2" => "Green",
            "YELLOW" or "AMBER" or "1" => "Yellow",
            "RED" or "0" => "Red",
            _ => null,
        };
    }

    /// <summary>
    /// Likely/AtRisk/LikelyToChurn (the renewal forecast's categories) from a name in any case, or the app's enum order
    /// (Likely = 0, AtRisk = 1, LikelyToChurn = 2); Unknown when absent.
    /// </summary>
    public static string RenewalCategory(JsonElement obj, params string[] names)
    {
        var raw = String(obj, names);
        return raw?.Trim().ToUpperInvariant() switch
        {
            null => "Unknown",
            "LIKELY" or "0" => "Likely",
            "ATRISK" or "1" => "AtRisk",
            "LIKELYTOCHURN" or "2" => "LikelyToChurn",
            _ => raw,
        };
    }

    /// <summary>Watch/Warning/Critical from a name in any case, or enum order (Watch = 0, Warning = 1, Critical = 2).</summary>
    public static string? Tier(JsonElement obj, params string[] names)
    {
        var raw = String(obj, names);
        return raw?.Trim().ToUpperInvariant() switch
        {
            "WATCH" or "0" or "LOW" => "Watch",
            "WARNING" or "1" or "MEDIUM" => "Warning",
            "CRITICAL" or "2" or "HIGH" => "Critical",
            _ => raw,
        };
    }
}
