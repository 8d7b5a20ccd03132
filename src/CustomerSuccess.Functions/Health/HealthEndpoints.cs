using System.Text.Json;
using CustomerSuccess.Functions.Hosting;

namespace CustomerSuccess.Functions.Health;

/// <summary>Thin function endpoints: read the invocation or request, call one service, map the result.</summary>
internal static class HealthEndpoints
{
    public const string TimerFunction = "HealthRecomputeTimer";
    public const string ShardFunction = "HealthRecomputeShard";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapInvocation(TimerFunction, async (InvocationRequest _, HealthRecompute recompute, TimeProvider time, CancellationToken ct) =>
        {
            // The run is keyed by the scheduled hour: a retried or past-due tick within the hour is the same run.
            var outcome = await recompute.StartRunAsync(time.GetUtcNow(), ct);
            return Results.Ok(InvocationResponse.Ok($"health recompute: {outcome}"));
        });

        app.MapInvocation(ShardFunction, async (InvocationRequest request, HealthRecompute recompute, ILogger<HealthRecompute> logger, CancellationToken ct) =>
        {
            var delivery = ServiceBusDelivery.From(request, "message");
            HealthShardMessage? message;
            try
            {
                message = JsonSerializer.Deserialize<HealthShardMessage>(delivery.Body, HealthJson.Options);
            }
            catch (JsonException)
            {
                message = null;
            }

            if (message is null || string.IsNullOrEmpty(message.RunId) || message.ShardCount < 1 || message.Shard < 0 || message.Shard >= message.ShardCount)
            {
                // Non-2xx like every malformed invocation: the queue redelivers it and then dead-letters it, where an
                // operator sees it (and can re-drive it); nothing is scored.
                HealthLog.ShardMessageRejected(logger, "malformed body");
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "health-recompute message is not a HealthShardMessage (runId, shard, shardCount).");
            }

            var summary = await recompute.ScoreShardAsync(message, ct);
            return Results.Ok(InvocationResponse.Ok($"health shard {message.Shard} of run {message.RunId} scored{(summary is { Completed: true } ? "; run complete" : string.Empty)}"));
        });

        app.MapGet("/api/accounts/{id}/health", async (string id, HealthQueries queries, HealthExplanation explanation, CancellationToken ct) =>
            await queries.GetAccountAsync(id, ct) is { } view
                ? Results.Json(view with { SubSignals = await explanation.ExplainAsync(id, ct) }, HealthJson.Options)
                : Results.NotFound())
            .WithFunction("AccountHealth").RequireFunctionKey();

        app.MapPut("/api/accounts/{id}/health/override", async (string id, HttpRequest http, HealthQueries queries, CancellationToken ct) =>
        {
            HealthOverrideRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync<HealthOverrideRequest>(http.Body, HealthJson.Options, ct);
            }
            catch (JsonException)
            {
                request = null;
            }

            if (request is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Body must be JSON: {band, reason, expiresAt}.");
            }

            var (outcome, error) = await queries.SetOverrideAsync(id, request, ct);
            return outcome == OverrideOutcome.Saved ? Results.NoContent() : Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: error);
        }).WithFunction("AccountHealthOverride").RequireFunctionKey();

        app.MapDelete("/api/accounts/{id}/health/override", async (string id, HealthQueries queries, CancellationToken ct) =>
            await queries.ClearOverrideAsync(id, ct) ? Results.NoContent() : Results.NotFound())
            .WithFunction("AccountHealthOverride").RequireFunctionKey();

        // Every account's daily score and band in a range, paged (reports and exports read the whole portfolio's past).
        app.MapGet("/api/health/history", async (string? from, string? to, string? continuation, string? pageSize, HealthHistoryQuery history, CancellationToken ct) =>
        {
            var (request, error) = HealthHistoryRequest.Parse(from, to, continuation, pageSize);
            if (request is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: error);
            }

            try
            {
                return Results.Json(await history.GetPageAsync(request, ct), HealthJson.Options);
            }
            catch (Storage.TableStorageUnavailableException)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Table storage is unavailable; try again shortly.");
            }
        }).WithFunction("HealthHistory").RequireFunctionKey();

        app.MapGet("/api/portfolio", async (HealthQueries queries, CancellationToken ct) => Results.Json(await queries.GetPortfolioAsync(ct), HealthJson.Options))
            .WithFunction("Portfolio").RequireFunctionKey();

        return app;
    }
}
