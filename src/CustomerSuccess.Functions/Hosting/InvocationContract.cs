using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerSuccess.Functions.Hosting;

/// <summary>
/// The request payload the Functions host POSTs to <c>/{FunctionName}</c> for a non-HTTP trigger
/// (custom-handler contract): trigger and input binding values under <c>Data</c>, keyed by binding name,
/// and trigger metadata (message id, delivery count, <c>sys</c> ...) under <c>Metadata</c>.
/// </summary>
public sealed class InvocationRequest
{
    /// <summary>Null only when a payload said <c>"Data": null</c>; such a payload is refused before any handler runs.</summary>
    [JsonPropertyName("Data")]
    public Dictionary<string, JsonElement> Data { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    [JsonPropertyName("Metadata")]
    public Dictionary<string, JsonElement> Metadata { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads a payload from a request body; null when the body is not a JSON object of this shape.</summary>
    public static async Task<InvocationRequest?> TryReadAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await JsonSerializer.DeserializeAsync<InvocationRequest>(request.Body, JsonSerializerOptions.Web, request.HttpContext.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            // Not JSON, or a body that cannot be read (Kestrel reports an oversized chunk size as IOException).
            return null;
        }
    }

    /// <summary>A binding value as raw JSON text. The host passes queue bodies as a JSON string holding the
    /// body; some bindings pass an object. Both come back as the body's own JSON text.</summary>
    public string? GetDataText(string bindingName)
    {
        if (!Data.TryGetValue(bindingName, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => value.GetRawText(),
        };
    }

    public T? GetData<T>(string bindingName, JsonSerializerOptions options)
    {
        var text = GetDataText(bindingName);
        return text is null ? default : JsonSerializer.Deserialize<T>(text, options);
    }

    public string? GetMetadataString(string name) =>
        Metadata.TryGetValue(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => value.GetRawText(),
        } : null;

    public int GetMetadataInt(string name, int fallback = 0)
    {
        if (!Metadata.TryGetValue(name, out var value))
        {
            return fallback;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(value.GetString(), out var s) => s,
            _ => fallback,
        };
    }
}

/// <summary>The response payload a custom handler returns for a non-HTTP invocation.</summary>
public sealed class InvocationResponse
{
    [JsonPropertyName("Outputs")]
    public Dictionary<string, object?> Outputs { get; init; } = [];

    [JsonPropertyName("Logs")]
    public List<string> Logs { get; init; } = [];

    [JsonPropertyName("ReturnValue")]
    public object? ReturnValue { get; set; }

    public static InvocationResponse Ok(params string[] logs) => new() { Logs = [.. logs] };
}

/// <summary>Timer trigger binding value as the host sends it.</summary>
public sealed class TimerInfo
{
    public TimerScheduleInfo? Schedule { get; init; }

    public TimerScheduleStatus? ScheduleStatus { get; init; }

    public bool IsPastDue { get; init; }
}

public sealed class TimerScheduleInfo
{
    public bool AdjustForDST { get; init; }
}

public sealed class TimerScheduleStatus
{
    public DateTimeOffset Last { get; init; }

    public DateTimeOffset Next { get; init; }

    public DateTimeOffset LastUpdated { get; init; }
}

/// <summary>What a Service Bus trigger invocation carries, read from the request whichever host sent it.</summary>
public sealed record ServiceBusDelivery(
    string Body,
    string? MessageId,
    int DeliveryCount,
    DateTimeOffset? EnqueuedTimeUtc,
    IReadOnlyDictionary<string, string> ApplicationProperties)
{
    public static ServiceBusDelivery From(InvocationRequest request, string bindingName)
    {
        var body = request.GetDataText(bindingName) ?? string.Empty;
        DateTimeOffset? enqueued = DateTimeOffset.TryParse(
            request.GetMetadataString("EnqueuedTimeUtc"),
            System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal,
            out var e) ? e : null;

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in (string[])["ApplicationProperties", "UserProperties"])
        {
            if (request.Metadata.TryGetValue(key, out var bag) && bag.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in bag.EnumerateObject())
                {
                    properties[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }
        }

        return new ServiceBusDelivery(body, request.GetMetadataString("MessageId"), request.GetMetadataInt("DeliveryCount", 1), enqueued, properties);
    }
}
