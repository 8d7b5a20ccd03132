using System.ComponentModel.DataAnnotations;

namespace CustomerSuccess.Functions.LocalRunner;

/// <summary>Settings of the standalone runner, the laptop stand-in for the Functions host and Service Bus.</summary>
public sealed class LocalRunnerOptions
{
    public const string SectionName = "LocalRunner";

    /// <summary>Run timer and Service Bus triggers in-process. Ignored (always off) under the Functions host.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Folder holding the &lt;FunctionName&gt;/function.json files; defaults to the app's own "functions" folder.</summary>
    public string? ScriptRoot { get; set; }

    /// <summary>How often (real time) timers and scheduled messages are checked against the app clock.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Concurrent deliveries per queue, as host.json extensions.serviceBus.maxConcurrentCalls.</summary>
    [Range(1, 256)]
    public int MaxConcurrentCalls { get; set; } = 16;

    /// <summary>Default deliveries before a message is dead-lettered (Service Bus default 10); per queue in <see cref="Queues"/>.</summary>
    [Range(1, 2000)]
    public int MaxDeliveryCount { get; set; } = 10;

    /// <summary>Window in which a resent message id is dropped (queues have duplicate detection on).</summary>
    public TimeSpan DuplicateDetectionWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per-queue overrides, keyed by queue name.</summary>
    public Dictionary<string, LocalQueueOptions> Queues { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public int MaxDeliveryCountFor(string queue) =>
        Queues.TryGetValue(queue, out var q) && q.MaxDeliveryCount is { } n ? n : MaxDeliveryCount;
}

public sealed class LocalQueueOptions
{
    [Range(1, 2000)]
    public int? MaxDeliveryCount { get; set; }
}
