using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Pages;

/// <summary>
/// The pages for the people who act: portfolio, account, my day, alerts, renewals. Server-rendered Razor components (no
/// script needed), each also JSON for tools; signed-in users only; every form that changes state carries an
/// anti-forgery token.
/// </summary>
internal static class PagesModule
{
    public static WebApplicationBuilder AddPages(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();
        // One key ring for every instance, in the app's own storage, so a cookie signed by one instance reads on another.
        builder.Services.AddTables(TableKeyRing.Table);
        builder.Services.AddSingleton<TableKeyRing>();
        builder.Services.AddDataProtection().SetApplicationName("CustomerSuccess.Functions");
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = sp.GetRequiredService<TableKeyRing>()));
        var mode = HostingMode.From(builder.Configuration);
        builder.Services.AddDashboardAuthentication(mode, EntraSignInOptions.From(builder.Configuration));
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "cs-dashboard-af";
            o.Cookie.Path = DashboardRoutes.Root;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = mode.UnderFunctionsHost ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddTables(PortfolioTrendStore.Table);
        builder.Services.AddSingleton<PortfolioTrendStore>();
        builder.Services.AddSingleton<DashboardQueries>();
        return builder;
    }

    public static WebApplication MapPages(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapPagesEndpoints();
        return app;
    }
}
