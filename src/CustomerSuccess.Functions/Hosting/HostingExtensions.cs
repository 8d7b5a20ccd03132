namespace CustomerSuccess.Functions.Hosting;

internal static class HostingExtensions
{
    public static WebApplicationBuilder AddCustomHandlerHosting(this WebApplicationBuilder builder)
    {
        var underHost = !string.IsNullOrEmpty(builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"]);
        builder.Services.AddSingleton(new HostingMode(underHost));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<FunctionKeyOptions>().BindConfiguration(FunctionKeyOptions.SectionName);
        return builder;
    }

    public static WebApplication MapCustomHandlerFunctions(this WebApplication app)
    {
        app.MapGet("/api/healthz", () => Results.Ok(new { status = "ok" })).WithFunction("HealthCheck");
        return app;
    }
}
