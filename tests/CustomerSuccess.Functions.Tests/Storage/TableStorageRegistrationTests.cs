using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Tests.Storage;

public sealed class TableStorageRegistrationTests
{
    [Fact]
    public void App_WithConnectionStringSetting_ResolvesOneTableClientForThatEndpoint()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
            b.UseSetting("AzureWebJobsStorage", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1"));

        var service = factory.Services.GetRequiredService<TableServiceClient>();
        var tables = factory.Services.GetRequiredService<AppTables>();

        Assert.Same(service, factory.Services.GetRequiredService<TableServiceClient>());
        Assert.Same(tables, factory.Services.GetRequiredService<AppTables>());
        Assert.Equal(("devstoreaccount1", new Uri("http://127.0.0.1:1/devstoreaccount1")), (service.AccountName, service.Uri));
    }

    [Fact]
    public void App_OutsideDevelopmentWithoutStorageSettings_FailsAtStartNamingTheSetting()
    {
        var ex = AppStartup.FailureOf(b =>
        {
            b.UseEnvironment("Production");
            b.UseSetting("AzureWebJobsStorage", string.Empty);
        });

        Assert.NotNull(ex);

        var validation = Assert.IsType<OptionsValidationException>(ex.GetBaseException() as OptionsValidationException ?? ex);
        Assert.Contains("AzureWebJobsStorage", validation.Message, StringComparison.Ordinal);
    }
}
