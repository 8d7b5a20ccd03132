using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.LocalRunner;
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
            builder.Services.TryAddSingleton(TimeProvider.System);
            builder.Services.TryAddSingleton<LocalServiceBus>();
            builder.Services.AddSingleton<IMessagePublisher, LocalMessagePublisher>();
            builder.Services.AddSingleton<IDeadLetterStore, LocalDeadLetterStore>();
        }

        return builder;
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

    /// <summary>Dead letters, listed and re-driven the same way whichever queues are in use (<see cref="DeadLetterEndpoints"/>).</summary>
    public static IEndpointRouteBuilder MapMessaging(this IEndpointRouteBuilder app) => app.MapDeadLetters();
}
