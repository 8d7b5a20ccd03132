using CustomerSuccess.Functions.Hosting;

namespace CustomerSuccess.Functions.Renewals;

/// <summary>
/// Renewals: the renewal forecast over the next 120 days, read through Accounts', Health's and Alerts' ports
/// (it owns no table).
/// </summary>
internal static class RenewalsModule
{
    public static WebApplicationBuilder AddRenewals(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RenewalForecastReader>();
        return builder;
    }

    public static WebApplication MapRenewals(this WebApplication app)
    {
        app.MapGet("/api/renewals", RenewalsEndpoints.ForecastAsync).WithFunction("Renewals").RequireFunctionKey();
        return app;
    }
}
