using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// The real app pipeline with generated signing secrets, a hand-set clock and the real Table client on a given Azurite,
/// with a <see cref="TableTrafficPolicy"/> on its pipeline (to count requests or to break storage).
/// </summary>
public sealed class WebhookAppFactory(ManualTimeProvider clock, string storageConnectionString) : WebApplicationFactory<Program>
{
    public const int MaxBodyBytes = 64 * 1024;

    public string StripeSecret { get; } = WebhookSigning.NewSecret("whsec_");

    public string StripeOldSecret { get; } = WebhookSigning.NewSecret("whsec_");

    public string SegmentSecret { get; } = WebhookSigning.NewSecret("seg_");

    public string ZendeskSecret { get; } = WebhookSigning.NewSecret("zd_");

    public Dictionary<string, string?> Settings { get; } = [];

    internal TableTrafficPolicy Traffic { get; } = new();

    /// <summary>Extra logging setup (a capturing provider), applied to the app's own logging.</summary>
    public Action<ILoggingBuilder>? WithLogging { get; set; }

    /// <summary>Extra services (an in-memory telemetry exporter), added after the app's own.</summary>
    public Action<IServiceCollection>? WithServices { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Webhooks:Stripe:SigningSecrets:0", StripeOldSecret);
        builder.UseSetting("Webhooks:Stripe:SigningSecrets:1", StripeSecret);
        builder.UseSetting("Webhooks:Segment:SharedSecrets:0", SegmentSecret);
        builder.UseSetting("Webhooks:Zendesk:SigningSecrets:0", ZendeskSecret);
        builder.UseSetting("Webhooks:MaxBodyBytes", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("FunctionKeys:Default", "test-function-key");
        builder.UseSetting("AzureWebJobsStorage", storageConnectionString);
        foreach (var (k, v) in Settings)
        {
            builder.UseSetting(k, v);
        }

        if (WithLogging is { } logging)
        {
            builder.ConfigureLogging(logging);
        }

        builder.ConfigureTestServices(services =>
        {
            var options = new TableClientOptions();
            options.AddPolicy(Traffic, Azure.Core.HttpPipelinePosition.PerCall);
            services.RemoveAll<TableServiceClient>();
            services.AddSingleton(StorageModule.CreateServiceClient(new TableStorageOptions { ConnectionString = storageConnectionString }, options));
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(clock);
            WithServices?.Invoke(services);
        });
    }
}
