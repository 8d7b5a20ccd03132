using System.Reflection;
using System.Text.RegularExpressions;
using CustomerSuccess.Functions.Messaging;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// Service Bus queues: the code side is <see cref="QueueNames"/> (every queue the app sends to or is triggered by,
/// with the properties it relies on), the queueName of every Service Bus binding in a function.json, and any queue
/// name literal passed to a publisher's SendAsync. Convention: publishers name queues through the QueueNames
/// constants, and QueueNames.All lists each constant with its <see cref="QueueSettings"/>.
/// The infra side is the queues a deployment of the compiled template creates (its snapshot).
/// </summary>
public sealed partial class QueueConsistencyTests
{
    [Fact]
    public void QueueNamesAll_ListsEveryQueueNameConstantOnce()
    {
        var constants = typeof(QueueNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);

        Assert.Equal(constants, QueueNames.All.Select(q => q.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryQueueInCode_ExistsInBicepWithTheSettingsTheCodeReliesOn()
    {
        var bicep = InfraModel.Queues().ToDictionary(q => q.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var expected in QueueNames.All)
        {
            if (!bicep.TryGetValue(expected.Name, out var actual))
            {
                problems.Add($"{expected.Name}: not declared");
                continue;
            }

            Check(expected.Name, "requiresDuplicateDetection", expected.RequiresDuplicateDetection, actual.RequiresDuplicateDetection);
            Check(expected.Name, "duplicateDetectionHistoryTimeWindow", expected.DuplicateDetectionHistoryTimeWindow, actual.DuplicateDetectionHistoryTimeWindow);
            Check(expected.Name, "maxDeliveryCount", expected.MaxDeliveryCount, actual.MaxDeliveryCount);
            Check(expected.Name, "lockDuration", expected.LockDuration, actual.LockDuration);
            Check(expected.Name, "deadLetteringOnMessageExpiration", expected.DeadLetteringOnMessageExpiration, actual.DeadLetteringOnMessageExpiration);
        }

        Assert.True(problems.Count == 0, "Deployed queues differ from QueueNames.All:\n  " + string.Join("\n  ", problems));

        void Check<T>(string queue, string property, T expected, T? actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual!))
            {
                problems.Add($"{queue}: {property} is {actual?.ToString() ?? "missing"}, code expects {expected}");
            }
        }
    }

    [Fact]
    public void EveryQueueInBicep_IsOneTheCodeUses()
    {
        var known = QueueNames.All.Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        var orphans = InfraModel.Queues().Select(q => q.Name).Where(n => !known.Contains(n)).ToList();

        Assert.True(orphans.Count == 0, "Deployed queues that no code uses: " + string.Join(", ", orphans));
    }

    [Fact]
    public void EveryServiceBusBindingInFunctionJson_UsesAQueueFromQueueNames()
    {
        var known = QueueNames.All.Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = FunctionManifest.LoadAll()
            .SelectMany(m => m.ServiceBusQueues.Select(q => (m.FunctionName, Queue: q)))
            .Where(x => !known.Contains(x.Queue))
            .Select(x => $"{x.FunctionName}: {x.Queue}")
            .ToList();

        Assert.True(unknown.Count == 0, "function.json queues missing from QueueNames (and so from the Bicep):\n  " + string.Join("\n  ", unknown));
    }

    [Fact]
    public void QueueNameLiteralsPassedToPublishers_AreInQueueNames()
    {
        var known = QueueNames.All.Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = RepositoryPaths.AppSourceFiles()
            .SelectMany(f => SendWithLiteralQueue().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Queue: m.Groups["queue"].Value)))
            .Where(x => !known.Contains(x.Queue))
            .Select(x => $"{x.File}: {x.Queue}")
            .ToList();

        Assert.True(unknown.Count == 0, "Queue names sent to that QueueNames does not declare:\n  " + string.Join("\n  ", unknown));
    }

    [Fact]
    public void QueueNameConstantsElsewhereInCode_AreInQueueNames()
    {
        // A feature may keep its own constant (const string WatchQueue = "alerts-watch"); it must name a known queue.
        var known = QueueNames.All.Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = RepositoryPaths.AppSourceFiles()
            .Where(f => !f.EndsWith("QueueNames.cs", StringComparison.Ordinal))
            .SelectMany(f => QueueConstant().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Name: m.Groups["name"].Value, Queue: m.Groups["queue"].Value)))
            .Where(x => !known.Contains(x.Queue))
            .Select(x => $"{x.File}: {x.Name} = \"{x.Queue}\"")
            .ToList();

        Assert.True(unknown.Count == 0, "Queue constants naming queues QueueNames does not declare:\n  " + string.Join("\n  ", unknown));
    }

    [GeneratedRegex(@"\bconst\s+string\s+(?<name>\w*Queue\w*)\s*=\s*""(?<queue>[^""]+)""")]
    private static partial Regex QueueConstant();

    [GeneratedRegex(@"\bSendAsync\(\s*""(?<queue>[^""]+)""")]
    private static partial Regex SendWithLiteralQueue();
}
