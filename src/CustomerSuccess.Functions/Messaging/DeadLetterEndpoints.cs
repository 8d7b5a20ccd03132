using CustomerSuccess.Functions.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// The admin API over every dead-letter queue: the app's own (<see cref="IDeadLetterSource"/>, such as the webhook
/// quarantine) by name, and otherwise the Service Bus queues' (<see cref="IDeadLetterStore"/>: Service Bus in
/// Azure, the local runner's standalone).
/// </summary>
internal static class DeadLetterEndpoints
{
    public static IEndpointRouteBuilder MapDeadLetters(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/deadletters", async (string queue, [FromServices] IEnumerable<IDeadLetterSource> own, [FromServices] IServiceProvider services, CancellationToken ct) =>
            Find(own, queue) is { } mine
                ? Results.Ok(await mine.ListAsync(50, ct))
                : services.GetService<IDeadLetterStore>() is { } store ? Results.Ok(await store.ListAsync(queue, cancellationToken: ct)) : Results.NotFound())
            .WithFunction("DeadLettersList").RequireFunctionKey();
        app.MapPost("/api/admin/deadletters/{queue}/{messageId}/redrive", async (string queue, string messageId, [FromServices] IEnumerable<IDeadLetterSource> own, [FromServices] IServiceProvider services, CancellationToken ct) =>
        {
            var found = Find(own, queue) is { } mine
                ? await mine.RedriveAsync(messageId, ct)
                : services.GetService<IDeadLetterStore>() is { } store && await store.RedriveAsync(queue, messageId, ct);
            return found ? Results.Accepted() : Results.NotFound();
        })
            .WithFunction("DeadLettersRedrive").RequireFunctionKey();
        return app;
    }

    private static IDeadLetterSource? Find(IEnumerable<IDeadLetterSource> queues, string name) =>
        queues.FirstOrDefault(q => string.Equals(q.Name, name, StringComparison.OrdinalIgnoreCase));
}
