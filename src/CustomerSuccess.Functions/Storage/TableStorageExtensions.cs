using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Storage;

internal static class TableStorageExtensions
{
    /// <summary>
    /// Registers <see cref="ITableStore"/> from the host's <c>AzureWebJobsStorage</c> settings, validated at start so a
    /// deployment without usable storage settings fails immediately with a message naming the setting.
    /// </summary>
    public static IHostApplicationBuilder AddTableStorage(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<TableStorageOptions>()
            .Configure<IConfiguration>((options, configuration) => Bind(options, configuration, development))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TableStorageOptions>, TableStorageOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ITableStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TableStorageOptions>>().Value;
            return new RestTableStore(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RestTableStore>>());
        });
        builder.Services.AddHostedService<TableInitializer>();
        return builder;
    }

    internal static void Bind(TableStorageOptions options, IConfiguration configuration, bool development)
    {
        var section = configuration.GetSection(TableStorageOptions.SettingName);
        options.ConnectionString = section.Value;
        options.TableServiceUri = section["tableServiceUri"];
        options.AccountName = section["accountName"];
        options.Credential = section["credential"];
        options.ClientId = section["clientId"];
        if (development && string.IsNullOrWhiteSpace(options.ConnectionString) && string.IsNullOrWhiteSpace(options.TableServiceUri) && string.IsNullOrWhiteSpace(options.AccountName))
        {
            // A laptop run without settings talks to Azurite on its default port, as the Functions tooling does.
            options.ConnectionString = "UseDevelopmentStorage=true";
        }
    }
}
