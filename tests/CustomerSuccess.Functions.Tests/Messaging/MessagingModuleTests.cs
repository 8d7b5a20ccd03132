using Azure.Messaging.ServiceBus;
using CustomerSuccess.Functions.LocalRunner;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Tests.Messaging;

/// <summary>AddMessaging makes the choice of queues once, from configuration, whatever order the modules register in.</summary>
public sealed class MessagingModuleTests
{
    private const string Namespace = "cs-test.servicebus.windows.net";

    public static TheoryData<bool, bool, Type, Type> Choices => new()
    {
        // namespace configured, runner registered first → publisher, dead-letter store
        { false, false, typeof(LocalMessagePublisher), typeof(LocalDeadLetterStore) },
        { false, true, typeof(LocalMessagePublisher), typeof(LocalDeadLetterStore) },
        { true, false, typeof(ServiceBusMessagePublisher), typeof(ServiceBusDeadLetterStore) },
        { true, true, typeof(ServiceBusMessagePublisher), typeof(ServiceBusDeadLetterStore) },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public async Task AddMessaging_Standalone_ChoiceDependsOnTheNamespaceNotOnRegistrationOrder(bool withNamespace, bool runnerFirst, Type publisher, Type deadLetters)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LocalRunner:Enabled"] = "false",
            ["ServiceBusConnection:fullyQualifiedNamespace"] = withNamespace ? Namespace : null,
            ["ServiceBusConnection:credential"] = "managedidentity",
        });
        if (runnerFirst)
        {
            builder.AddLocalRunner();
            builder.AddMessaging();
        }
        else
        {
            builder.AddMessaging();
            builder.AddLocalRunner();
        }

        await using var app = builder.Build();

        Assert.IsType(publisher, app.Services.GetRequiredService<IMessagePublisher>());
        Assert.IsType(deadLetters, app.Services.GetRequiredService<IDeadLetterStore>());
        Assert.NotNull(app.Services.GetService<LocalServiceBus>()); // the runner's pumps have their queues either way
        if (withNamespace)
        {
            Assert.Equal(Namespace, app.Services.GetRequiredService<ServiceBusClient>().FullyQualifiedNamespace);
        }
    }

    [Fact]
    public void App_UnderFunctionsHostWithoutNamespace_RefusesToStartNamingTheSetting()
    {
        var error = AppStartup.FailureOf(b => b.UseSetting("FUNCTIONS_CUSTOMHANDLER_PORT", AzuriteFixture.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ServiceBusConnection__fullyQualifiedNamespace is required under the Functions host", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task App_UnderFunctionsHostWithNamespace_SendsThroughServiceBus()
    {
        await using var factory = new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("FUNCTIONS_CUSTOMHANDLER_PORT", AzuriteFixture.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("ServiceBusConnection:fullyQualifiedNamespace", Namespace)
            .UseSetting("ServiceBusConnection:credential", "managedidentity"));

        Assert.IsType<ServiceBusMessagePublisher>(factory.Services.GetRequiredService<IMessagePublisher>());
        Assert.Null(factory.Services.GetService<LocalServiceBus>()); // no runner under the host
    }
}
