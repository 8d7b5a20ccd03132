using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using CustomerSuccess.Functions.Storage.Rest;
using Microsoft.Extensions.Logging;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>The real app pipeline with generated signing secrets, a hand-set clock, and either a given table store or the real client on a given Azurite.</summary>
public sealed class WebhookAppFactory(ITableStore? store, ManualTimeProvider clock, string? storageConnectionString = null) : WebApplicationFactory<Program>
{
    public const int MaxBodyBytes = 64 * 1024;

    public string StripeSecret { get; } = WebhookSigning.NewSecret("whsec_");

    public string StripeOldSecret { get; } = WebhookSigning.NewSecret("whsec_");

    public string SegmentSecret { get; } = WebhookSigning.NewSecret("seg_");

    public string ZendeskSecret { get; } = WebhookSigning.NewSecret("zd_");

    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Extra logging setup (a capturing provider), applied to the app's own logging.</summary>
    public Action<ILoggingBuilder>? WithLogging { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Webhooks:Stripe:SigningSecrets:0", StripeOldSecret);
        builder.UseSetting("Webhooks:Stripe:SigningSecrets:1", StripeSecret);
        builder.UseSetting("Webhooks:Segment:SharedSecrets:0", SegmentSecret);
        builder.UseSetting("Webhooks:Zendesk:SigningSecrets:0", ZendeskSecret);
        builder.UseSetting("Webhooks:MaxBodyBytes", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("FunctionKeys:Default", "test-function-key");

        // Replaced below, but the storage settings are validated at start like any deployment's.
        builder.UseSetting("AzureWebJobsStorage", storageConnectionString ?? "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;");
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
            if (store is not null)
            {
                services.RemoveAll<ITableStore>();
                services.AddSingleton(store);
            }

            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(clock);
        });
    }
}
