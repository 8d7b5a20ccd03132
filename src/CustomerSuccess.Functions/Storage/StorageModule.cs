using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Storage;

internal static class StorageModule
{
    /// <summary>The tag of the health checks <c>GET /api/readyz</c> runs.</summary>
    public const string ReadinessTag = "ready"; // the same value as Hosting.Readiness.Tag

    /// <summary>
    /// Table storage from the host's <c>AzureWebJobsStorage</c> settings, validated at start so a deployment without
    /// usable settings fails immediately with a message naming the setting: a connection string locally and on Azurite,
    /// <c>__tableServiceUri</c> + <c>__credential=managedidentity</c> + <c>__clientId</c> in Azure (what the Bicep writes).
    /// One <see cref="TableServiceClient"/> (Azure.Data.Tables, registered through <c>AddAzureClients</c>), the
    /// <see cref="AppTables"/> every feature reaches its tables through, and the start-up <see cref="TableProvisioner"/>.
    /// </summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<TableStorageOptions>()
            .Configure<IConfiguration>((options, configuration) => Bind(options, configuration, development))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TableStorageOptions>, TableStorageOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services.AddAzureClients(clients =>
            clients.AddClient<TableServiceClient, TableClientOptions>((options, _, services) =>
                CreateServiceClient(services.GetRequiredService<IOptions<TableStorageOptions>>().Value, options)));
        builder.Services.AddSingleton<AppTables>();

        // The SDK logs every non-2xx response and every slow one at Warning: here 409, 412 and 404 are outcomes the
        // features branch on (insert-and-409 is how events are stored once), so at Warning the log is mostly those.
        // Outages still surface, as TableStorageUnavailableException in the features' own log lines.
        builder.Logging.AddFilter("Azure.Core", LogLevel.Error);
        builder.Services.AddHostedService<TableProvisioner>();
        builder.Services.AddHealthChecks().AddCheck<StorageReadinessCheck>("storage", tags: [ReadinessTag]);
        return builder;
    }

    /// <summary>The service client for validated settings: shared key for connection strings, a token credential otherwise.</summary>
    internal static TableServiceClient CreateServiceClient(TableStorageOptions settings, TableClientOptions? options = null)
    {
        if (!TableConnection.TryCreate(settings, out var connection, out var error))
        {
            throw new InvalidOperationException(error);
        }

        options = Configure(options ?? new TableClientOptions(), connection!.Endpoint);
        if (connection.UsesSharedKey)
        {
            return new TableServiceClient(connection.Endpoint, new TableSharedKeyCredential(connection.AccountName!, connection.AccountKey!), options);
        }

        TokenCredential credential = connection.CredentialKind == TableCredentialKind.ManagedIdentity
            ? new ManagedIdentityCredential(connection.ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(connection.ClientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = connection.ClientId });
        return new TableServiceClient(connection.Endpoint, credential, options);
    }

    /// <summary>
    /// Retries with exponential back-off on the transient statuses, a per-try network timeout of a few seconds so an
    /// outage surfaces quickly (the caller answers 503 and the provider retries later), no request logging, and a
    /// socket handler that keeps enough connections open that storage, not the client, is the bottleneck.
    /// </summary>
    internal static TableClientOptions Configure(TableClientOptions options, Uri endpoint)
    {
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        // No request logging: AddAzureClients forwards the SDK's event source to ILogger at every level, so with it
        // on, the SDK formats each request's and response's headers for a log that the filter in AddStorage drops
        // (Azure.Core at Error; this policy writes nothing above Warning): 3% of the app's CPU samples under load.
        options.Diagnostics.IsLoggingEnabled = false;
        options.Diagnostics.IsLoggingContentEnabled = false;
        options.Diagnostics.ApplicationId = "customer-success";
        options.Transport = new HttpClientTransport(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,

            // A proxy from the environment must not capture local emulator traffic.
            UseProxy = !endpoint.IsLoopback,
        });
        return options;
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
