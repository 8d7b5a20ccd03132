using System.Diagnostics;

namespace CustomerSuccess.Functions.Telemetry;

/// <summary>The app's activity source: the spans that follow one event from its webhook on.</summary>
public static class AppTracing
{
    public const string SourceName = "CustomerSuccess.Functions";

    public static readonly ActivitySource Source = new(SourceName);
}
