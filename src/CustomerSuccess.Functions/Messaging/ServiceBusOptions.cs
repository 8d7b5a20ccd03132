using System.ComponentModel.DataAnnotations;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// The identity-based Service Bus connection, read from the same settings the Functions host uses for the
/// trigger (<c>ServiceBusConnection__fullyQualifiedNamespace</c>, <c>__credential</c>, <c>__clientId</c>), so one
/// setting serves both sending and receiving.
/// </summary>
public sealed class ServiceBusOptions
{
    public const string SectionName = "ServiceBusConnection";

    /// <summary>e.g. <c>cs-prod.servicebus.windows.net</c>. Required under the Functions host, whose queues these are.</summary>
    [Required(ErrorMessage = "ServiceBusConnection__fullyQualifiedNamespace is required under the Functions host: the namespace the queues live in, such as cs-prod.servicebus.windows.net.")]
    [RegularExpression(@"^[A-Za-z0-9.\-]+(:\d+)?$", ErrorMessage = "ServiceBusConnection__fullyQualifiedNamespace must be a host name such as cs-prod.servicebus.windows.net.")]
    public string FullyQualifiedNamespace { get; set; } = string.Empty;

    /// <summary>"managedidentity" to use a managed identity; otherwise the default Azure credential chain.</summary>
    public string? Credential { get; set; }

    /// <summary>Client id of the user-assigned managed identity.</summary>
    public string? ClientId { get; set; }

    /// <summary>Retries of a failed send or receive inside the client, before the caller sees the failure.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;
}
