using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Accounts: the product vocabulary, the account model and its storage (states, links, parked events), the signal
/// source the health model reads, the account page's linked ids and recent events (<see cref="IAccountActivity"/>),
/// the revenue and value figures behind /api/metrics (served by Metrics), and the admin endpoints. Needs an <see cref="IAccountLinkListener"/> from ingestion.
/// </summary>
internal static class AccountsModule
{
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<ProductOptions>, ProductOptionsValidator>();
        builder.Services.AddOptions<ProductOptions>().BindConfiguration(ProductOptions.SectionName).ValidateOnStart();
        builder.Services.AddTables(AccountStateStore.Table, AccountIdentity.LinksTable, AccountIdentity.ParkedTable);
        builder.Services.AddSingleton(sp => new AccountStateStore(sp.GetRequiredService<AppTables>()));
        builder.Services.AddSingleton<AccountIdentity>();
        builder.Services.AddSingleton<AccountUpdater>();
        builder.Services.AddSingleton<AccountLinking>();
        builder.Services.AddSingleton<RevenueMetricsReader>();
        builder.Services.AddSingleton<IAccountSignalSource, AccountSignalReader>();
        builder.Services.AddSingleton<IAccountActivity, AccountActivityReader>();
        return builder;
    }

    public static WebApplication MapAccounts(this WebApplication app)
    {
        app.MapPost("/api/accounts/links", AccountsEndpoints.LinkAsync).WithFunction("AccountLink").RequireFunctionKey().ExcludeFromDescription();
        app.MapGet("/api/accounts/unlinked", AccountsEndpoints.ListUnlinkedAsync).WithFunction("UnlinkedAccountIds").RequireFunctionKey().ExcludeFromDescription();
        return app;
    }
}
