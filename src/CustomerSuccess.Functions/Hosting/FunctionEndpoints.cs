using CustomerSuccess.Functions.Telemetry;

namespace CustomerSuccess.Functions.Hosting;

/// <summary>Marks an endpoint as the handler of one function (the folder name of its function.json).</summary>
public sealed record FunctionEndpointMetadata(string FunctionName);

public static class FunctionEndpointExtensions
{
    /// <summary>
    /// Declares which function this endpoint serves. Invocation endpoints (timer, Service Bus) are mapped at
    /// <c>POST /{FunctionName}</c>, where the host posts the invocation payload; forwarded HTTP functions at
    /// <c>/api/{route}</c>. A test checks every function.json against these declarations, both ways.
    /// </summary>
    public static TBuilder WithFunction<TBuilder>(this TBuilder builder, string functionName)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new FunctionEndpointMetadata(functionName));
        return builder;
    }

    /// <summary>
    /// Maps the invocation endpoint of a non-HTTP function: <c>POST /{functionName}</c> taking the host's payload.
    /// Only the host (or, standalone, a caller with the function key: the local runner) may call it
    /// (<see cref="FunctionKeyAuthorization.UseFunctionKeyAuthorization"/>), and a payload that is not the contract's
    /// <c>{"Data":{…},"Metadata":{…}}</c> object is answered 400 before the handler runs.
    /// </summary>
    public static RouteHandlerBuilder MapInvocation(this IEndpointRouteBuilder endpoints, string functionName, Delegate handler) =>
        endpoints.MapPost("/" + functionName, handler)
            .WithFunction(functionName)
            .WithMetadata(InvocationEndpointMetadata.Instance)
            .AddEndpointFilter(RequireInvocationPayloadAsync)
            .ExcludeFromDescription();

    private static async ValueTask<object?> RequireInvocationPayloadAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // Handlers that take the payload had it bound already (a body that is not JSON never gets here: 400); the
        // others, such as timers that ignore it, have it read here.
        var payload = context.Arguments.OfType<InvocationRequest>().FirstOrDefault() ?? await InvocationRequest.TryReadAsync(context.HttpContext.Request);
        if (payload is not { Data: not null, Metadata: not null })
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The invocation payload must be a JSON object {\"Data\":{…},\"Metadata\":{…}}.");
        }

        // A queue message's invocation continues the trace its producer put in the message (the host and the local
        // runner both pass the application properties in the metadata), linked to the invocation request's own span.
        if (!payload.Metadata.ContainsKey("ApplicationProperties") && !payload.Metadata.ContainsKey("UserProperties"))
        {
            return await next(context);
        }

        var delivery = ServiceBusDelivery.From(payload, string.Empty);
        var function = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<FunctionEndpointMetadata>()?.FunctionName;
        using var activity = TraceContext.StartContinuing("process " + function, System.Diagnostics.ActivityKind.Consumer, TraceContext.Extract(delivery.ApplicationProperties));
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "servicebus");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.message.id", delivery.MessageId);
            activity.SetTag("messaging.servicebus.message.delivery_count", delivery.DeliveryCount);
        }

        var result = await next(context);
        if (activity is not null && result is IStatusCodeHttpResult { StatusCode: >= 400 } failed)
        {
            activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "HTTP " + failed.StatusCode);
        }

        return result;
    }
}
