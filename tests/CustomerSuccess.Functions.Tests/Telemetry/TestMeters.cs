using System.Diagnostics.Metrics;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Telemetry;

/// <summary>The app's instruments for code built by hand in tests, from a meter factory of their own.</summary>
internal static class TestMeters
{
    private static readonly ServiceProvider Services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public static AppMetrics Metrics() => new(Services.GetRequiredService<IMeterFactory>());
}
