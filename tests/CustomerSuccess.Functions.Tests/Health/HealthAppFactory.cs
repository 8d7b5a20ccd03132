using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The real app pipeline on Azurite's tables, with fake signals, a recording publisher and the test's clock.</summary>
internal sealed class HealthAppFactory(string storageConnection, IAccountSignalSource signals, TimeProvider time, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public const string FunctionKey = "test-function-key";

    public Mock<IMessagePublisher> Publisher { get; } = new();

    public List<OutgoingMessage> Sent { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Publisher.Records(Sent);
        builder.UseSetting("AzureWebJobsStorage", storageConnection);
        builder.UseSetting("LocalRunner:Enabled", "false");
        builder.UseSetting("FunctionKeys:Default", FunctionKey);
        builder.UseSetting("Health:ShardCount", "3");
        configure?.Invoke(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IAccountSignalSource>();
            services.RemoveAll<IMessagePublisher>();
            services.RemoveAll<TimeProvider>();
            services.AddSingleton(signals);
            services.AddSingleton(Publisher.Object);
            services.AddSingleton(time);
        });
    }
}
