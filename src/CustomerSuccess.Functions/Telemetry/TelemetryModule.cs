using Azure.Identity;
using Azure.Monitor.OpenTelemetry.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CustomerSuccess.Functions.Telemetry;

/// <summary>Where the app's traces and metrics go (setting <c>Telemetry__Exporter</c>).</summary>
public enum TelemetryExporter
{
    /// <summary>Nothing is collected: no OpenTelemetry SDK in the process, the instruments cost a null check.</summary>
    None,

    /// <summary>Spans and metrics printed to the console, for a developer watching one run.</summary>
    Console,

    /// <summary>Application Insights through the Azure Monitor distro, authenticated with the managed identity.</summary>
    AzureMonitor,
}

public static class TelemetryModule
{
    public const string ExporterSetting = "Telemetry:Exporter";
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string ClientIdSetting = "AZURE_CLIENT_ID";

    /// <summary>
    /// The app's meter and activity source, and the exporter the setting names. Unset, the exporter is Azure Monitor
    /// when an Application Insights connection string is configured (Azure) and none otherwise (a laptop, tests).
    /// A value that is not one of the three stops the app at start, naming the setting.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var exporter = ResolveExporter(builder.Configuration);
        builder.Services.AddSingleton<AppMetrics>();
        if (exporter == TelemetryExporter.None)
        {
            return builder;
        }

        var otel = builder.Services.AddOpenTelemetry()
            .WithTracing(t => t.AddAppSources())
            .WithMetrics(m => m.AddAppMeters());
        if (exporter == TelemetryExporter.AzureMonitor)
        {
            var connectionString = builder.Configuration[ConnectionStringSetting];
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException($"{ExporterSetting} is azuremonitor but {ConnectionStringSetting} is not set.");
            }

            // The distro brings ASP.NET Core and HttpClient instrumentation and the Azure SDK's sources. Local auth is
            // disabled on the Application Insights resource: the user-assigned identity the Bicep names in
            // AZURE_CLIENT_ID (with Monitoring Metrics Publisher) signs the ingestion.
            var clientId = builder.Configuration[ClientIdSetting];
            otel.UseAzureMonitor(o =>
            {
                o.ConnectionString = connectionString;
                o.Credential = string.IsNullOrEmpty(clientId)
                    ? new DefaultAzureCredential()
                    : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            });
        }
        else
        {
            otel.WithTracing(t => t.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddSource("Azure.*").AddConsoleExporter())
                .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddConsoleExporter());
        }

        return builder;
    }

    /// <summary>The app's own activity source (the spans that follow one event).</summary>
    public static TracerProviderBuilder AddAppSources(this TracerProviderBuilder builder) =>
        builder.AddSource(AppTracing.SourceName);

    /// <summary>The app's own meter.</summary>
    public static MeterProviderBuilder AddAppMeters(this MeterProviderBuilder builder) =>
        builder.AddMeter(AppMetrics.MeterName);

    internal static TelemetryExporter ResolveExporter(IConfiguration configuration)
    {
        var value = configuration[ExporterSetting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return string.IsNullOrWhiteSpace(configuration[ConnectionStringSetting]) ? TelemetryExporter.None : TelemetryExporter.AzureMonitor;
        }

        return value.Trim().ToLowerInvariant() switch
        {
            "none" => TelemetryExporter.None,
            "console" => TelemetryExporter.Console,
            "azuremonitor" => TelemetryExporter.AzureMonitor,
            _ => throw new InvalidOperationException($"{ExporterSetting} (Telemetry__Exporter) must be azuremonitor, console or none, not '{value}'."),
        };
    }
}
