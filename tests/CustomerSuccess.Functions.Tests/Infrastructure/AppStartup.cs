using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>Starts the real app (Program) configured by the test, for tests of what it refuses to start with.</summary>
internal static class AppStartup
{
    private const int Attempts = 5;

    /// <summary>
    /// The exception the app fails to start with, or null when it starts. WebApplicationFactory's deferred host
    /// sometimes reports ObjectDisposedException ('IServiceProvider') instead of the app's own exception: it
    /// resolves services after the app's thread has already disposed the host that failed (seen about once in
    /// four full test runs on a loaded machine). Only that race is retried; the app's own exception never is.
    /// </summary>
    public static Exception? FailureOf(Action<IWebHostBuilder> configure) =>
        FailureOf(() => new WebApplicationFactory<Program>().WithWebHostBuilder(configure));

    /// <summary>As <see cref="FailureOf(Action{IWebHostBuilder})"/>, for a factory the test configures itself (a new one each attempt).</summary>
    public static Exception? FailureOf<TFactory>(Func<TFactory> create)
        where TFactory : WebApplicationFactory<Program>
    {
        ArgumentNullException.ThrowIfNull(create);
        for (var attempt = 1; ; attempt++)
        {
            using var factory = create();
            var error = Record.Exception(() => factory.Services);
            if (error is ObjectDisposedException { ObjectName: "IServiceProvider" } && attempt < Attempts)
            {
                continue;
            }

            return error;
        }
    }
}
