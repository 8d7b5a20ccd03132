namespace CustomerSuccess.Functions.Storage;

/// <summary>A table some feature reads or writes; declared at registration so it exists before the first request.</summary>
public sealed record DeclaredTable(string Name);

/// <summary>
/// Creates every declared table at start, before the server takes requests, so a read on a fresh storage account
/// (the first timer tick, an API call before any webhook) finds an empty table rather than a 404. If storage is down
/// at start this logs and lets the app come up: <see cref="AppTable"/> creates a table it finds missing.
/// </summary>
public sealed partial class TableProvisioner(AppTables tables, ILogger<TableProvisioner> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var name in tables.Declared)
        {
            try
            {
                await tables.EnsureAsync(name, cancellationToken);
            }
            catch (TableStorageUnavailableException)
            {
                LogStorageUnavailable(logger, name);
                return;
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 4801, Level = LogLevel.Warning, Message = "Table storage was unavailable at start; table {Table} and the rest will be created on first use.")]
    private static partial void LogStorageUnavailable(ILogger logger, string table);
}

public static class TableDeclarationExtensions
{
    public static IServiceCollection AddTables(this IServiceCollection services, params string[] names)
    {
        foreach (var name in names)
        {
            services.AddSingleton(new DeclaredTable(name));
        }

        return services;
    }
}
