using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>An options monitor that always answers the same value (options built in the test, no configuration).</summary>
internal sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
