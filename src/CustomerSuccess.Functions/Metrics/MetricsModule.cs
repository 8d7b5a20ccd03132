using CustomerSuccess.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Metrics;

/// <summary>
/// Metrics: the CS metrics of <c>GET /api/metrics</c>, composed from Accounts' revenue and value figures and Alerts'
/// SLA attainment (it owns no table), with their targets (<see cref="MetricsOptions"/>, section "Metrics").
/// </summary>
internal static class MetricsModule
{
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<CustomerSuccessMetricsReader>();
        return builder;
    }

    public static WebApplication MapMetrics(this WebApplication app)
    {
        app.MapGet("/api/metrics", MetricsEndpoints.MetricsAsync).WithFunction("Metrics").RequireFunctionKey();
        return app;
    }
}
