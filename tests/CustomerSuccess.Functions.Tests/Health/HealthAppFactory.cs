using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Messaging;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Tests.Health;

/// <summary>The real app pipeline with the health feature's collaborators replaced: storage in memory (or Azurite), fake signals, a recording publisher.</summary>
internal sealed class HealthAppFactory(ITableStore tables, IAccountSignalSource signals, TimeProvider time, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public const string FunctionKey = "test-function-key";

    public Mock<IMessagePublisher> Publisher { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("FunctionKeys:Default", FunctionKey);
        builder.UseSetting("Health:ShardCount", "3");
        configure?.Invoke(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<ITableStore>();
            services.RemoveAll<IAccountSignalSource>();
            services.RemoveAll<IMessagePublisher>();
            services.RemoveAll<TimeProvider>();
            services.AddSingleton(tables);
            services.AddSingleton(signals);
            services.AddSingleton(Publisher.Object);
            services.AddSingleton(time);
        });
    }
}
