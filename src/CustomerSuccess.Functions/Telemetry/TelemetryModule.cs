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
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string LiveMetricsSetting = "Telemetry:LiveMetrics";

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

            // The distro brings ASP.NET Core and HttpClient instrumentation and the Azure SDK's sources.
            var credential = IngestionCredential(builder.Configuration);
            var liveMetrics = LiveMetrics(builder.Configuration);
            otel.UseAzureMonitor(o =>
            {
                o.ConnectionString = connectionString;
                o.EnableLiveMetrics = liveMetrics;
                if (credential is not null)
                {
                    o.Credential = credential;
                }
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

    /// <summary>
    /// The credential that signs telemetry ingestion, read from the Functions host's own setting for it,
    /// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>: <c>Authorization=AAD</c> asks for Microsoft Entra ID
    /// authentication, with <c>ClientId=…</c> naming a user-assigned identity (the Bicep sets both, and local auth is
    /// disabled on its Application Insights resource). Without <c>Authorization=AAD</c> the connection string's
    /// instrumentation key alone is sent, which a resource with local authentication enabled accepts. In Azure the
    /// identity is the managed identity; on a laptop (no identity endpoint) the developer's own sign-in.
    /// </summary>
    internal static Azure.Core.TokenCredential? IngestionCredential(IConfiguration configuration)
    {
        var parts = (configuration[AuthenticationStringSetting] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var clientId = parts.GetValueOrDefault("ClientId") ?? configuration[ClientIdSetting];
        return string.IsNullOrEmpty(clientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }

    /// <summary>
    /// Whether Application Insights Live Metrics is on (<c>Telemetry__LiveMetrics</c>, default off). Live Metrics
    /// looks at every request and dependency, sampled or not, a cost paid on every webhook; turn it on while someone
    /// watches the Live Metrics view. Anything but true or false stops the app at start, naming the setting.
    /// </summary>
    internal static bool LiveMetrics(IConfiguration configuration)
    {
        var value = configuration[LiveMetricsSetting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        return bool.TryParse(value.Trim(), out var on)
            ? on
            : throw new InvalidOperationException($"{LiveMetricsSetting} (Telemetry__LiveMetrics) must be true or false, not '{value}'.");
    }

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
