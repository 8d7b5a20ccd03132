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

    /// <summary>Maps the invocation endpoint of a non-HTTP function: <c>POST /{functionName}</c> taking the host's payload.</summary>
    public static RouteHandlerBuilder MapInvocation(this IEndpointRouteBuilder endpoints, string functionName, Delegate handler) =>
        endpoints.MapPost("/" + functionName, handler).WithFunction(functionName).ExcludeFromDescription();
}
