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
        var hostPort = builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"];
        var underHost = !string.IsNullOrEmpty(hostPort);
        if (underHost)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{int.Parse(hostPort!, CultureInfo.InvariantCulture)}");
        }
        else if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            var port = builder.Configuration.GetValue("Hosting:Port", 7071);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        builder.Services.AddSingleton(new HostingMode(underHost));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<FunctionKeyOptions>().BindConfiguration(FunctionKeyOptions.SectionName);
        builder.Services.AddProblemDetails();
        return builder;
    }

    public static WebApplication MapCustomHandlerFunctions(this WebApplication app)
    {
        app.MapGet("/api/healthz", (TimeProvider time) => Results.Ok(new { status = "ok", utcNow = time.GetUtcNow() })).WithFunction("HealthCheck");
        return app;
    }
}
