using System.ComponentModel.DataAnnotations;

namespace CustomerSuccess.Functions.LocalRunner;

/// <summary>Settings of the standalone runner, the laptop stand-in for the Functions host: its timers and queue pumps.</summary>
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

    // The in-process queues' own settings (max delivery count, duplicate detection) live in the same section, bound
    // by Messaging's LocalQueuesOptions.
}
