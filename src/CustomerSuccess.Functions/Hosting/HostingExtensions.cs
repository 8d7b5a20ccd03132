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

        // Every background loop catches its own failures (WorkerLoop) and reports to WorkerLiveness; should one end
        // anyway, it shows as degraded on /api/healthz while the host and every other worker go on.
        builder.Services.AddSingleton(new WorkerLiveness(TimeProvider.System));
        builder.Services.AddReadiness();
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);

        // A body minimal APIs cannot bind is the caller's error: 400, logged at Debug, in every environment (the
        // Development default throws, which the exception handler would turn into a 500).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        builder.Services.AddOptions<FunctionKeyOptions>().BindConfiguration(FunctionKeyOptions.SectionName).PostConfigure(o =>
        {
            // Standalone without a configured key: a key only this process knows, which the local runner presents,
            // so no keyed or invocation route is ever open.
            if (!mode.UnderFunctionsHost && string.IsNullOrEmpty(o.Default))
            {
                o.Default = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            }
        });
        // No stack traces or exception text in any public response, in any environment. Invocation endpoints
        // (POST /{FunctionName}) answer only the host or the local runner on loopback: they keep the exception's
        // type and message (no stack), or the title the function gave, which becomes the failure reason a dead letter carries.
        // Tiers, bands and statuses read as words in every API answer, not as enum ordinals.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.Remove("exception");
            if (context.ProblemDetails.Status >= StatusCodes.Status500InternalServerError)
            {
                var invocation = !context.HttpContext.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);
                if (!invocation || context.Exception is not null)
                {
                    // An invocation's own answer (Results.Problem, no exception) keeps its title: it is the reason a
                    // dead letter carries for the operator.
                    context.ProblemDetails.Title = "The request could not be processed.";
                }

                context.ProblemDetails.Detail = invocation && context.Exception is { } ex ? $"{ex.GetType().Name}: {ex.Message}" : null;
            }
        });
        return builder;
    }

    public static WebApplication MapCustomHandlerFunctions(this WebApplication app)
    {
        // Ahead of the developer exception page too: unhandled errors become a bare 500 problem (Service Bus
        // triggers read it as a failure and redeliver); the exception goes to the log, not the response.
        // Two exceptions are not the app's fault and get their own status without an error log: a request whose body
        // cannot be read (bad chunked framing, cut short: Kestrel's BadHttpRequestException, 400) and storage that
        // cannot be reached (503, so callers retry).
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                Storage.TableStorageUnavailableException => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            },
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
        });
        app.UseStatusCodePages();
        app.UseFunctionKeyAuthorization();

        // Liveness: the process answers, and which background loops are failing or have ended ("degraded"). Always
        // 200 while the process serves: a failing loop is reported, not a reason to take the instance out.
        app.MapGet("/api/healthz", (TimeProvider time, WorkerLiveness liveness) =>
        {
            var workers = liveness.Snapshot();
            return Results.Ok(new HealthReport(workers.Any(w => w.Degraded) ? "degraded" : "ok", time.GetUtcNow(), workers));
        }).WithFunction("HealthCheck");
        app.MapReadiness();
        return app;
    }
}

/// <summary>The body of <c>GET /api/healthz</c>.</summary>
public sealed record HealthReport(string Status, DateTimeOffset UtcNow, IReadOnlyList<WorkerStatus> Workers);
