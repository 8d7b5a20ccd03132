using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Parses provider JSON so that every string in it can be read afterwards. System.Text.Json accepts a document
/// with invalid UTF-8 inside a string, or an escaped UTF-16 surrogate without its pair (<c>"\udfff"</c>), and only
/// throws (InvalidOperationException, not JsonException) when that string is read. Checking the whole document
/// once here turns both into a reason, and makes every later <c>GetString</c> on it safe.
/// </summary>
internal static class WebhookJson
{
    public static bool TryParse(ReadOnlyMemory<byte> utf8, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out string? error)
    {
        document = null;
        if (!Utf8.IsValid(utf8.Span))
        {
            error = "body is not valid UTF-8";
            return false;
        }

        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(utf8);
        }
        catch (JsonException)
        {
            error = "body is not valid JSON";
            return false;
        }

        if (FindUnreadableString(parsed.RootElement, "$") is { } path)
        {
            parsed.Dispose();
            error = $"{path} is an escaped UTF-16 surrogate without its pair, which is not text";
            return false;
        }

        document = parsed;
        error = null;
        return true;
    }

    /// <summary>The same rules for JSON held as a string (a stored event).</summary>
    public static bool TryParse(string json, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out string? error) =>
        TryParse(Encoding.UTF8.GetBytes(json), out document, out error);

    /// <summary>The JSON path of the first property name or string value that cannot be decoded, or null.</summary>
    private static string? FindUnreadableString(JsonElement root, string rootPath)
    {
        // Segments are collected while unwinding, so a readable document costs no path strings.
        var trail = new List<string>();
        return Unreadable(root, trail) ? rootPath + string.Concat(Enumerable.Reverse(trail)) : null;
    }

    private static bool Unreadable(JsonElement element, List<string> trail)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return !Readable(element);
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Unreadable(item, trail))
                    {
                        trail.Add("[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
                        return true;
                    }

                    index++;
                }

                return false;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!TryGetName(property, out var name))
                    {
                        trail.Add(".<name>");
                        return true;
                    }

                    if (Unreadable(property.Value, trail))
                    {
                        trail.Add("." + Shown(name));
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    // The only way System.Text.Json offers to find out is to decode and catch; done once per string, at the edge.
    private static bool Readable(JsonElement value)
    {
        try
        {
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryGetName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = string.Empty;
            return false;
        }
    }

    /// <summary>Names go into error messages: keep them short.</summary>
    private static string Shown(string name) => name.Length <= 40 ? name : name[..40] + "…";
}
