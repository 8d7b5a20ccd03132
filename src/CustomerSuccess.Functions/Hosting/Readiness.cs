using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CustomerSuccess.Functions.Hosting;

/// <summary>
/// <c>GET /api/readyz</c>: whether this instance can do its work, through ASP.NET Core health checks tagged
/// <see cref="Tag"/> (storage reachable, every background worker alive, and what the features add). 200 when all pass
/// (or are only degraded), 503 naming the failing checks. <c>/api/healthz</c> stays the cheap liveness answer.
/// </summary>
public static class Readiness
{
    /// <summary>The tag every readiness check carries (the same value as the storage module's).</summary>
    public const string Tag = "ready";

    /// <summary>How long a check that reads storage may take before it counts as failed (storage retries are slower).</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddReadiness(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<WorkersReadinessCheck>("workers", tags: [Tag]);
        return services;
    }

    public static IEndpointConventionBuilder MapReadiness(this WebApplication app) =>
        app.MapGet("/api/readyz", async Task<JsonHttpResult<ReadinessReport>> (HealthCheckService checks, CancellationToken cancellationToken) =>
        {
            var report = await checks.CheckHealthAsync(check => check.Tags.Contains(Tag), cancellationToken);
            var results = report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => new ReadinessCheckResult(e.Key, e.Value.Status.ToString(), e.Value.Description)).ToList();
            var body = new ReadinessReport(
                report.Status.ToString(),
                [.. results.Where(c => c.Status == nameof(HealthStatus.Unhealthy)).Select(c => c.Name)],
                results);
            return TypedResults.Json(body, statusCode: report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        }).WithFunction("ReadinessCheck");
}

/// <summary>The body of <c>GET /api/readyz</c>.</summary>
public sealed record ReadinessReport(string Status, IReadOnlyList<string> Failing, IReadOnlyList<ReadinessCheckResult> Checks);

public sealed record ReadinessCheckResult(string Name, string Status, string? Description);

/// <summary>Every background loop is still running: one that ended (or stopped while the app was not stopping) fails readiness, naming it; one whose iterations fail is degraded.</summary>
internal sealed class WorkersReadinessCheck(WorkerLiveness liveness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var workers = liveness.Snapshot();
        var dead = workers.Where(w => w.State is WorkerState.Ended or WorkerState.Stopped).Select(w => w.Name).ToList();
        if (dead.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"not running: {string.Join(", ", dead)}"));
        }

        var failing = workers.Where(w => w.State == WorkerState.Failing).Select(w => w.Name).ToList();
        return Task.FromResult(failing.Count > 0
            ? HealthCheckResult.Degraded($"failing: {string.Join(", ", failing)}")
            : HealthCheckResult.Healthy($"{workers.Count} running"));
    }
}
