using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Hosting;

/// <summary>
/// Function-key auth for admin and API endpoints. Under the Functions host, <c>authLevel: function</c> in the
/// function.json makes the host check the key before forwarding, so the handler (reachable only from the host)
/// trusts what it receives. Standalone there is no host, so the app checks the same <c>x-functions-key</c>
/// header or <c>code</c> query parameter against <c>FunctionKeys__Default</c> itself.
/// </summary>
public sealed class FunctionKeyOptions
{
    public const string SectionName = "FunctionKeys";

    /// <summary>
    /// The key callers present when the app runs standalone; unused under the host. When it is not set, a random key
    /// that only this process knows takes its place (the local runner presents it), so nothing keyed is open.
    /// </summary>
    public string? Default { get; set; }
}

/// <summary>The endpoint takes the function key when the app runs standalone (under the host, the host checks it).</summary>
public sealed class FunctionKeyRequiredMetadata
{
    public static FunctionKeyRequiredMetadata Instance { get; } = new();
}

/// <summary>The endpoint is a non-HTTP function's invocation route (<c>POST /{FunctionName}</c>).</summary>
public sealed class InvocationEndpointMetadata
{
    public static InvocationEndpointMetadata Instance { get; } = new();
}

public static class FunctionKeyAuthorization
{
    /// <summary>The header the Functions host puts on every request it sends a custom handler (a GUID per invocation).</summary>
    public const string HostInvocationIdHeader = "X-Azure-Functions-InvocationId";

    public const string KeyHeader = "x-functions-key";

    public static TBuilder RequireFunctionKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(FunctionKeyRequiredMetadata.Instance);
        return builder;
    }

    /// <summary>
    /// Checks callers before the endpoint binds anything (an endpoint filter would run after body binding, so a
    /// malformed body would answer 400 to a caller without a key).
    /// <list type="bullet">
    /// <item>Standalone, keyed endpoints and every invocation route take the function key; the local runner presents it.</item>
    /// <item>Under the Functions host, invocation routes are called by the host alone. The custom-handler contract gives
    /// the handler no secret to check: the host starts the handler with FUNCTIONS_CUSTOMHANDLER_PORT and POSTs to
    /// <c>http://127.0.0.1:{port}/{FunctionName}</c> with the headers <c>X-Azure-Functions-InvocationId</c> (a GUID),
    /// <c>X-Azure-Functions-HostVersion</c> and <c>User-Agent: Azure-Functions-Host/…</c>
    /// (Azure/azure-functions-host, DefaultHttpWorkerService.AddHeaders). So what can be checked is checked: the handler
    /// listens on loopback only under the host (HostingExtensions), and an invocation must come from a loopback address
    /// and carry an invocation id. Keyed HTTP functions are checked by the host before it forwards them.</item>
    /// </list>
    /// </summary>
    public static IApplicationBuilder UseFunctionKeyAuthorization(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var metadata = context.GetEndpoint()?.Metadata;
            var invocation = metadata?.GetMetadata<InvocationEndpointMetadata>() is not null;
            if (!invocation && metadata?.GetMetadata<FunctionKeyRequiredMetadata>() is null)
            {
                await next(context);
                return;
            }

            var services = context.RequestServices;
            var underHost = services.GetRequiredService<HostingMode>().UnderFunctionsHost;
            var allowed = underHost
                ? !invocation || IsFromHost(context)
                : HasKey(context.Request, services.GetRequiredService<IOptions<FunctionKeyOptions>>().Value.Default);
            if (allowed)
            {
                await next(context);
                return;
            }

            var title = underHost
                ? "Invocation routes answer the Functions host only (a loopback caller with an X-Azure-Functions-InvocationId)."
                : "A valid function key is required (x-functions-key header or code query parameter).";
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title).ExecuteAsync(context);
        });

    private static bool IsFromHost(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote) &&
        Guid.TryParse(context.Request.Headers[HostInvocationIdHeader], out _);

    private static bool HasKey(HttpRequest request, string? expected)
    {
        string? presented = request.Headers[KeyHeader];
        presented ??= request.Query["code"];
        return !string.IsNullOrEmpty(expected) && presented is not null && FixedTimeEquals(expected, presented);
    }

    private static bool FixedTimeEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
}

/// <summary>Whether the Functions host started this process (it sets FUNCTIONS_CUSTOMHANDLER_PORT) or it runs standalone.</summary>
public sealed record HostingMode(bool UnderFunctionsHost)
{
    public const string CustomHandlerPortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>Read from configuration, so every module decides the same way whatever order it is registered in.</summary>
    public static HostingMode From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new HostingMode(!string.IsNullOrEmpty(configuration[CustomHandlerPortSetting]));
    }
}
