using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Telemetry;

/// <summary>
/// The app's instruments from a meter factory of their own, and what they recorded: only this capture's meters are
/// listened to, so other app instances in the test process do not add to its counts.
/// </summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentDictionary<string, string?> _units = new(StringComparer.Ordinal);
    private readonly Lazy<AppMetrics> _metrics;

    public MetricCapture()
        : this(null)
    {
    }

    /// <summary>Listens to the meters of <paramref name="appMeters"/> (an app instance's own factory) instead of a new one.</summary>
    public MetricCapture(IMeterFactory? appMeters)
    {
        var factory = appMeters ?? _services.GetRequiredService<IMeterFactory>();
        _metrics = new Lazy<AppMetrics>(() => new AppMetrics(factory));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                _units[instrument.Name] = instrument.Unit;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>The app's instruments on this capture's factory (for code built by hand).</summary>
    public AppMetrics Metrics => _metrics.Value;

    /// <summary>What an observable instrument reports now (the last of its measurements with <paramref name="tags"/>, collected on the call).</summary>
    public double Observe(string instrument, params (string Key, string Value)[] tags)
    {
        _listener.RecordObservableInstruments();
        return Measurements(instrument, tags).Last().Value;
    }

    /// <summary>The unit <paramref name="instrument"/> was created with.</summary>
    public string? UnitOf(string instrument) => _units.GetValueOrDefault(instrument);

    /// <summary>The sum of what <paramref name="instrument"/> recorded, over measurements whose tags include <paramref name="tags"/>.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) =>
        Measurements(instrument, tags).Sum(m => m.Value);

    /// <summary>The sums of <paramref name="instrument"/> per combination of <paramref name="tagKeys"/>' values, in the order first seen: "a/b=2 c/d=1".</summary>
    public string Describe(string instrument, params string[] tagKeys) => string.Join(' ', _measurements
        .Where(m => m.Instrument == instrument)
        .GroupBy(m => string.Join('/', tagKeys.Select(k => m.Tags.GetValueOrDefault(k))))
        .Select(g => g.Key + "=" + g.Sum(m => m.Value).ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>How many measurements <paramref name="instrument"/> recorded with <paramref name="tags"/>.</summary>
    public int Count(string instrument, params (string Key, string Value)[] tags) => Measurements(instrument, tags).Count();

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements(string instrument, (string Key, string Value)[] tags) =>
        _measurements.Where(m => m.Instrument == instrument && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value)));

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, value, copy));
    }
}
