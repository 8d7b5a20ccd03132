namespace CustomerSuccess.Functions.Hosting;

internal static class HostingExtensions
{
    public static WebApplicationBuilder AddCustomHandlerHosting(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static WebApplication MapCustomHandlerFunctions(this WebApplication app)
    {
        app.MapGet("/api/healthz", () => Results.Ok(new { status = "ok" }));
        return app;
    }
}
