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

    /// <summary>The key callers present when the app runs standalone. Required standalone; unused under the host.</summary>
    public string? Default { get; set; }
}

public static class FunctionKeyAuthorization
{
    public static TBuilder RequireFunctionKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var services = context.HttpContext.RequestServices;
            var mode = services.GetRequiredService<HostingMode>();
            if (mode.UnderFunctionsHost)
            {
                return await next(context);
            }

            var expected = services.GetRequiredService<IOptions<FunctionKeyOptions>>().Value.Default;
            var request = context.HttpContext.Request;
            string? presented = request.Headers["x-functions-key"];
            presented ??= request.Query["code"];
            if (string.IsNullOrEmpty(expected) || presented is null || !FixedTimeEquals(expected, presented))
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A valid function key is required (x-functions-key header or code query parameter).");
            }

            return await next(context);
        });
        return builder;
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
