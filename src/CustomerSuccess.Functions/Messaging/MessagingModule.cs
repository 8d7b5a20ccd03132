using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using CustomerSuccess.Functions.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Messaging;

public static class MessagingModule
{
    /// <summary>
    /// The one place the queues are chosen, from configuration alone (so it does not matter which feature registers
    /// first): Service Bus when <c>ServiceBusConnection__fullyQualifiedNamespace</c> is set, through one
    /// <see cref="ServiceBusClient"/> registered with <c>AddAzureClients</c> on the host's own connection settings; the
    /// local runner's in-process queues when the app runs standalone without it; and under the Functions host without
    /// it, a start-up failure naming the setting (the host's triggers read those queues, so nothing else would do).
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (UsesServiceBus(builder.Configuration))
        {
            builder.Services.AddOptions<ServiceBusOptions>().BindConfiguration(ServiceBusOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddAzureClients(clients =>
                clients.AddClient<ServiceBusClient, ServiceBusClientOptions>((options, _, services) =>
                    CreateClient(services.GetRequiredService<IOptions<ServiceBusOptions>>().Value, options)));
            builder.Services.AddSingleton<ServiceBusQueueSenders>();
            builder.Services.AddSingleton<IMessagePublisher, ServiceBusMessagePublisher>();
            builder.Services.AddSingleton<IDeadLetterStore, ServiceBusDeadLetterStore>();
        }
        else
        {
            builder.Services.AddLocalQueues();
            builder.Services.AddSingleton<IMessagePublisher, LocalMessagePublisher>();
            builder.Services.AddSingleton<IDeadLetterStore, LocalDeadLetterStore>();
        }

        return builder;
    }

    /// <summary>
    /// The in-process queues (<see cref="LocalServiceBus"/>) and their settings, once: the app's queues when no Service
    /// Bus is configured, and what the local runner's pumps read standalone either way.
    /// </summary>
    public static IServiceCollection AddLocalQueues(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(LocalServiceBus)))
        {
            return services;
        }

        services.AddOptions<LocalQueuesOptions>().BindConfiguration(LocalQueuesOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LocalServiceBus>();
        return services;
    }

    /// <summary>Service Bus when its namespace is configured, and always under the Functions host (where it must be).</summary>
    public static bool UsesServiceBus(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[ServiceBusOptions.SectionName + ":fullyQualifiedNamespace"]) || HostingMode.From(configuration).UnderFunctionsHost;
    }

    internal static ServiceBusClient CreateClient(ServiceBusOptions settings, ServiceBusClientOptions options)
    {
        options.RetryOptions.Mode = ServiceBusRetryMode.Exponential;
        options.RetryOptions.MaxRetries = settings.MaxRetries;
        options.RetryOptions.TryTimeout = TimeSpan.FromSeconds(30);
        TokenCredential credential = string.Equals(settings.Credential, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrEmpty(settings.ClientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(settings.ClientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = settings.ClientId });
        return new ServiceBusClient(settings.FullyQualifiedNamespace, credential, options);
    }

    /// <summary>
    /// Dead letters, listed and re-driven the same way whichever queues are in use: the app's own quarantines
    /// (<see cref="IDeadLetterSource"/>, such as the webhook quarantine) by name, and the queues' dead letters
    /// (<see cref="IDeadLetterStore"/>: Service Bus in Azure, the local runner's standalone).
    /// </summary>
    public static IEndpointRouteBuilder MapMessaging(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/deadletters", async (string? queue, [FromServices] IEnumerable<IDeadLetterSource> own, [FromServices] IDeadLetterStore deadLetters, CancellationToken ct) =>
        {
            if (Find(own, queue) is { } mine)
            {
                return Results.Ok(await mine.ListAsync(50, ct));
            }

            if (!IsKnownQueue(queue))
            {
                return UnknownQueue(queue, own);
            }

            try
            {
                return Results.Ok(await deadLetters.ListAsync(queue!, cancellationToken: ct));
            }
            catch (MessagePublishException)
            {
                return BrokerUnavailable();
            }
        }).WithFunction("DeadLettersList").RequireFunctionKey();

        app.MapPost("/api/admin/deadletters/{queue}/{messageId}/redrive", async (string queue, string messageId, [FromServices] IEnumerable<IDeadLetterSource> own, [FromServices] IDeadLetterStore deadLetters, CancellationToken ct) =>
        {
            if (Find(own, queue) is { } mine)
            {
                return await mine.RedriveAsync(messageId, ct) ? Results.Accepted() : Results.NotFound();
            }

            if (!IsKnownQueue(queue))
            {
                return UnknownQueue(queue, own);
            }

            try
            {
                return await deadLetters.RedriveAsync(queue, messageId, ct) ? Results.Accepted() : Results.NotFound();
            }
            catch (MessagePublishException)
            {
                return BrokerUnavailable();
            }
        }).WithFunction("DeadLettersRedrive").RequireFunctionKey();
        return app;
    }

    private static IDeadLetterSource? Find(IEnumerable<IDeadLetterSource> sources, string? name) =>
        sources.FirstOrDefault(q => string.Equals(q.Name, name, StringComparison.Ordinal));

    private static bool IsKnownQueue(string? queue) => QueueNames.All.Any(q => string.Equals(q.Name, queue, StringComparison.Ordinal));

    private static IResult UnknownQueue(string? queue, IEnumerable<IDeadLetterSource> own) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: $"No queue '{queue}': use one of {string.Join(", ", QueueNames.All.Select(q => q.Name).Concat(own.Select(o => o.Name)))}.");

    private static IResult BrokerUnavailable() =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Bus is unavailable; try again shortly.");
}
