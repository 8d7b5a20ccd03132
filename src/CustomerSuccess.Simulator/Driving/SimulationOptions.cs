using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Simulator.Driving;

/// <summary>One run's settings (command-line options, or set directly by the smoke test).</summary>
internal sealed record SimulationOptions
{
    public int Accounts { get; init; } = SimulatorProgram.DefaultAccounts;

    public int Days { get; init; } = 120;

    public int Seed { get; init; } = 42;

    public required Scenario Scenario { get; init; }

    /// <summary>Simulated hours per clock step (1, 2, 3, 4, 6, 8, 12 or 24): fewer, larger steps run faster; smaller steps let hourly timers fire on time.</summary>
    public int Speed { get; init; } = 24;

    public required Uri App { get; init; }

    public required string OutputDirectory { get; init; }

    public int Concurrency { get; init; } = 8;

    public required WebhookSecrets Secrets { get; init; }

    public required string FunctionKey { get; init; }

    /// <summary>How long to wait for the app to settle after one clock step before going on regardless (the report then says so).</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Where the app writes emails (Email__OutboxPath); defaults to OUT/outbox.</summary>
    public string? OutboxPath { get; init; }

    public string Outbox => OutboxPath ?? Path.Combine(OutputDirectory, "outbox");
}
