using System.Reflection;
using CustomerSuccess.Functions.Health;
using Microsoft.Extensions.Logging;

namespace CustomerSuccess.Functions.Tests.Architecture;

/// <summary>
/// Every source-generated log line of the app names an event id of its own, so an operator's query or alert on an id
/// (Application Insights keeps it as a custom dimension) finds one kind of line, not two.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void LoggerMessages_EachEventIdUsedOnce()
    {
        var methods = typeof(HealthScoreCalculator).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        var shared = methods
            .GroupBy(x => x.Attribute!.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => $"{x.Method.DeclaringType!.FullName}.{x.Method.Name}"))}")
            .ToList();

        var unnamed = methods.Where(x => x.Attribute!.EventId < 0).Select(x => $"{x.Method.DeclaringType!.FullName}.{x.Method.Name}").ToList();

        Assert.True(methods.Count > 50, $"Only {methods.Count} log messages found; the scan is not reading the app's.");
        Assert.True(unnamed.Count == 0, "Log messages without an event id:\n" + string.Join("\n", unnamed));
        Assert.True(shared.Count == 0, "Event ids used by more than one log message:\n" + string.Join("\n", shared));
    }
}
