using System.Globalization;
using System.Text.Json;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Tolerant reads of provider JSON: missing or oddly typed fields come back null, never throw. Strings are read
/// with GetString, so a document must have passed <c>WebhookJson.TryParse</c> (which proves every string decodes).
/// </summary>
internal static class JsonRead
{
    public static JsonElement? Path(JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }
        }

        return current.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : current;
    }

    public static string? String(JsonElement element, params string[] path) => Path(element, path) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };

    public static long? Int64(JsonElement element, params string[] path) => Path(element, path) switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var v) => v,
        { ValueKind: JsonValueKind.String } s when long.TryParse(s.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) => v,
        _ => null,
    };

    public static bool? Bool(JsonElement element, params string[] path) => Path(element, path) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.String } s when bool.TryParse(s.GetString(), out var b) => b,
        _ => null,
    };

    public static DateTimeOffset? Time(JsonElement element, params string[] path) =>
        DateTimeOffset.TryParse(String(element, path), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static DateTimeOffset? UnixTime(JsonElement element, params string[] path) =>
        Int64(element, path) is { } s ? FromUnixSeconds(s) : null;

    /// <summary>Seconds since the epoch as a time, or null outside the years 1-9999 (where FromUnixTimeSeconds throws).</summary>
    public static DateTimeOffset? FromUnixSeconds(long seconds) =>
        seconds is >= MinUnixSeconds and <= MaxUnixSeconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    private const long MinUnixSeconds = -62_135_596_800;
    private const long MaxUnixSeconds = 253_402_300_799;
}
