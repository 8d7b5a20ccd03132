using System.Globalization;

namespace CustomerSuccess.Functions.Hosting;

internal static class HostingExtensions
{
    /// <summary>
    /// Where and how the handler listens. Under the Functions host (it sets FUNCTIONS_CUSTOMHANDLER_PORT) on that
    /// port, loopback only; standalone on Hosting__Port (default 7071) unless --urls/ASPNETCORE_URLS say otherwise.
    /// </summary>
    public static WebApplicationBuilder AddCustomHandlerHosting(this WebApplicationBuilder builder)
    {
        var mode = HostingMode.From(builder.Configuration);
        if (mode.UnderFunctionsHost)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{int.Parse(builder.Configuration[HostingMode.CustomHandlerPortSetting]!, CultureInfo.InvariantCulture)}");
        }
        else if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            var port = builder.Configuration.GetValue("Hosting:Port", 7071);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        builder.Services.AddSingleton(mode);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<FunctionKeyOptions>().BindConfiguration(FunctionKeyOptions.SectionName);
        // No stack traces or exception text in any public response, in any environment. Invocation endpoints
        // (POST /{FunctionName}) answer only the host or the local runner on loopback: they keep the exception's
        // type and message (no stack), which becomes the failure reason a dead letter carries.
        // Tiers, bands and statuses read as words in every API answer, not as enum ordinals.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.Remove("exception");
            if (context.ProblemDetails.Status >= StatusCodes.Status500InternalServerError)
            {
                var invocation = !context.HttpContext.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);
                context.ProblemDetails.Title = "The request could not be processed.";
                context.ProblemDetails.Detail = invocation && context.Exception is { } ex ? $"{ex.GetType().Name}: {ex.Message}" : null;
            }
        });
        return builder;
    }

    public static WebApplication MapCustomHandlerFunctions(this WebApplication app)
    {
        // Ahead of the developer exception page too: unhandled errors become a bare 500 problem (Service Bus
        // triggers read it as a failure and redeliver); the exception goes to the log, not the response.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapGet("/api/healthz", (TimeProvider time) => Results.Ok(new { status = "ok", utcNow = time.GetUtcNow() })).WithFunction("HealthCheck");
        return app;
    }
}
