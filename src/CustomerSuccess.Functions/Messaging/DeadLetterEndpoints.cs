using CustomerSuccess.Functions.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// The admin API over every dead-letter queue, the same whichever queues are in use: the app's own
/// (<see cref="IDeadLetterSource"/>, such as the webhook quarantine) by name, and the queues of
/// <see cref="QueueNames"/> through <see cref="IDeadLetterStore"/> (Service Bus in Azure, the local runner's
/// standalone). Any other name is 404, and a broker that cannot be reached is 503.
/// </summary>
internal static class DeadLetterEndpoints
{
    public static IEndpointRouteBuilder MapDeadLetters(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/deadletters", async (string? queue, [FromServices] IEnumerable<IDeadLetterSource> own, [FromServices] IDeadLetterStore store, CancellationToken ct) =>
        {
            if (Find(own, queue) is { } mine)
            {
                return Results.Ok(await mine.ListAsync(50, ct));
            }

            if (!IsServiceBusQueue(queue))
            {
                return UnknownQueue(queue, own);
            }

            try
            {
                return Results.Ok(await store.ListAsync(queue!, cancellationToken: ct));
            }
            catch (MessagePublishException)
            {
                return BrokerUnavailable();
            }
        }).WithFunction("DeadLettersList").RequireFunctionKey();

        app.MapPost("/api/admin/deadletters/{queue}/{messageId}/redrive", async (string queue, string messageId, [FromServices] IEnumerable<IDeadLetterSource> own, [FromServices] IDeadLetterStore store, CancellationToken ct) =>
        {
            if (Find(own, queue) is { } mine)
            {
                return await mine.RedriveAsync(messageId, ct) ? Results.Accepted() : Results.NotFound();
            }

            if (!IsServiceBusQueue(queue))
            {
                return UnknownQueue(queue, own);
            }

            try
            {
                return await store.RedriveAsync(queue, messageId, ct) ? Results.Accepted() : Results.NotFound();
            }
            catch (MessagePublishException)
            {
                return BrokerUnavailable();
            }
        }).WithFunction("DeadLettersRedrive").RequireFunctionKey();
        return app;
    }

    private static IDeadLetterSource? Find(IEnumerable<IDeadLetterSource> queues, string? name) =>
        queues.FirstOrDefault(q => string.Equals(q.Name, name, StringComparison.OrdinalIgnoreCase));

    private static bool IsServiceBusQueue(string? queue) => QueueNames.All.Any(q => string.Equals(q.Name, queue, StringComparison.Ordinal));

    private static IResult UnknownQueue(string? queue, IEnumerable<IDeadLetterSource> own) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: $"No queue '{queue}': use one of {string.Join(", ", QueueNames.All.Select(q => q.Name).Concat(own.Select(q => q.Name)))}.");

    private static IResult BrokerUnavailable() =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Bus is unavailable; try again shortly.");
}
