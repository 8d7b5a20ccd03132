using System.Diagnostics;

namespace CustomerSuccess.Functions.Telemetry;

/// <summary>
/// W3C trace context carried where a trace crosses an asynchronous boundary: a queue message (application properties
/// <c>traceparent</c>, <c>tracestate</c> and <c>Diagnostic-Id</c>, the last holding the traceparent as the Azure SDK
/// and the Functions host's Service Bus extension read and write it) or a stored row (its traceparent alone). When no
/// listener records the app's spans there is no current activity, and nothing is written.
/// </summary>
public static class TraceContext
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>The Service Bus property the Azure SDK reads and writes; a W3C traceparent value.</summary>
    public const string DiagnosticId = "Diagnostic-Id";

    /// <summary>The traceparent of <paramref name="activity"/> (the current one by default), or null when there is none.</summary>
    public static string? Current(Activity? activity = null)
    {
        activity ??= Activity.Current;
        return activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;
    }

    /// <summary>
    /// As <see cref="Current"/>, but null unless the trace is sampled: for the columns written with every event (an
    /// inbox row, an account's state). A listener creates an activity for every request, sampled or not; an
    /// unsampled trace has no spans to continue, and 55 characters on every stored event are not free. Messages
    /// carry the context either way (<see cref="Stamp"/>), so a consumer follows its producer's sampling decision.
    /// </summary>
    public static string? Sampled(Activity? activity = null)
    {
        activity ??= Activity.Current;
        return activity is { Recorded: true } ? Current(activity) : null;
    }

    /// <summary>
    /// <paramref name="properties"/> with the current trace context added, unless they carry one already (a message
    /// that carries the context of what caused it, such as an alert raised for a transition, keeps it).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Stamp(IReadOnlyDictionary<string, string> properties, string? traceParent = null, string? traceState = null)
    {
        ArgumentNullException.ThrowIfNull(properties);
        if (properties.ContainsKey(TraceParent) || properties.ContainsKey(DiagnosticId))
        {
            return properties;
        }

        if (traceParent is null)
        {
            traceParent = Current();
            traceState = Activity.Current?.TraceStateString;
        }

        if (traceParent is null)
        {
            return properties;
        }

        var stamped = new Dictionary<string, string>(properties, StringComparer.Ordinal)
        {
            [TraceParent] = traceParent,
            [DiagnosticId] = traceParent,
        };
        if (!string.IsNullOrEmpty(traceState))
        {
            stamped[TraceState] = traceState;
        }

        return stamped;
    }

    /// <summary>The producer's context in a message's properties: <c>traceparent</c> first, else <c>Diagnostic-Id</c> (W3C only).</summary>
    public static ActivityContext? Extract(IReadOnlyDictionary<string, string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var parent = properties.GetValueOrDefault(TraceParent) ?? properties.GetValueOrDefault(DiagnosticId);
        return Parse(parent, properties.GetValueOrDefault(TraceState));
    }

    /// <summary>A stored traceparent as a context; null when absent or not W3C (a hierarchical Request-Id is ignored).</summary>
    public static ActivityContext? Parse(string? traceParent, string? traceState = null) =>
        !string.IsNullOrEmpty(traceParent) && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : null;

    /// <summary>
    /// Starts an app span that continues the trace of <paramref name="cause"/> (a stored or received traceparent) and
    /// links to the span current here, so the work it does is found from either. Without a cause it is a child of
    /// the current span, as any other.
    /// </summary>
    public static Activity? StartContinuing(string name, ActivityKind kind, ActivityContext? cause)
    {
        if (cause is not { } parent)
        {
            return AppTracing.Source.StartActivity(name, kind);
        }

        var here = Activity.Current;
        ActivityLink[]? links = here is null ? null : [new ActivityLink(here.Context)];
        return AppTracing.Source.StartActivity(name, kind, parent, links: links);
    }
}
