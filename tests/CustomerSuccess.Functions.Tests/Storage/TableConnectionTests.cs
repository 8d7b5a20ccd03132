using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Tests.Storage;

public sealed class TableConnectionTests
{
    private static TableConnection Parse(TableStorageOptions options)
    {
        Assert.True(TableConnection.TryCreate(options, out var connection, out var error), error);
        return connection!;
    }

    [Fact]
    public void UseDevelopmentStorage_MapsToAzuriteDefaults()
    {
        var c = Parse(new TableStorageOptions { ConnectionString = "UseDevelopmentStorage=true" });

        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), c.Endpoint);
        Assert.Equal("devstoreaccount1", c.AccountName);
        Assert.Equal(TableConnection.DevelopmentAccountKey, c.AccountKey);
        Assert.True(c.UsesSharedKey);
    }

    [Fact]
    public void AccountNameAndKey_BuildsHostStyleEndpointWithSuffixAndProtocol()
    {
        var c = Parse(new TableStorageOptions { ConnectionString = "DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=a2V5a2V5;EndpointSuffix=core.chinacloudapi.cn" });

        Assert.Equal(new Uri("https://contoso.table.core.chinacloudapi.cn"), c.Endpoint);
        Assert.Equal("contoso", c.AccountName);
        Assert.Equal("a2V5a2V5", c.AccountKey);
    }

    [Fact]
    public void AccountNameAndKey_DefaultsToHttpsAndPublicCloud()
    {
        var c = Parse(new TableStorageOptions { ConnectionString = "AccountName=contoso;AccountKey=a2V5a2V5" });

        Assert.Equal(new Uri("https://contoso.table.core.windows.net"), c.Endpoint);
    }

    [Fact]
    public void ExplicitTableEndpoint_PathStyle_IsUsedAsIs_AndKeyPaddingSurvives()
    {
        var c = Parse(new TableStorageOptions { ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5a2V5a2U=;TableEndpoint=http://127.0.0.1:51234/devstoreaccount1/;" });

        Assert.Equal(new Uri("http://127.0.0.1:51234/devstoreaccount1"), c.Endpoint);
        Assert.Equal("a2V5a2V5a2U=", c.AccountKey);
    }

    [Fact]
    public void ExplicitTableEndpoint_WithoutAccountName_TakesAccountFromPath()
    {
        var c = Parse(new TableStorageOptions { ConnectionString = "AccountKey=a2V5a2V5;TableEndpoint=http://127.0.0.1:51234/devstoreaccount1" });

        Assert.Equal("devstoreaccount1", c.AccountName);
    }

    [Fact]
    public void IdentityBased_ManagedIdentityWithClientId()
    {
        var c = Parse(new TableStorageOptions { TableServiceUri = "https://contoso.table.core.windows.net/", Credential = "managedidentity", ClientId = "00000000-1111-2222-3333-444444444444" });

        Assert.Equal(new Uri("https://contoso.table.core.windows.net"), c.Endpoint);
        Assert.Equal(TableCredentialKind.ManagedIdentity, c.CredentialKind);
        Assert.Equal("00000000-1111-2222-3333-444444444444", c.ClientId);
        Assert.False(c.UsesSharedKey);
        Assert.Null(c.AccountKey);
    }

    [Fact]
    public void IdentityBased_WithoutCredential_UsesDefaultChain()
    {
        var c = Parse(new TableStorageOptions { AccountName = "contoso" });

        Assert.Equal(new Uri("https://contoso.table.core.windows.net"), c.Endpoint);
        Assert.Equal(TableCredentialKind.Default, c.CredentialKind);
    }

    [Theory]
    [InlineData(null, null, "AzureWebJobsStorage")]
    [InlineData("AccountName=contoso", null, "AccountKey")]
    [InlineData("AccountName=contoso;AccountKey=not base64!", null, "base64")]
    [InlineData("AccountKey=a2V5a2V5", null, "AccountName")]
    [InlineData("garbage", null, "connection string")]
    [InlineData("AccountName=contoso;SharedAccessSignature=sv=x", null, "shared access signature")]
    [InlineData(null, "not a uri", "AzureWebJobsStorage__tableServiceUri")]
    public void Unusable_ReportsErrorNamingTheSetting(string? connectionString, string? serviceUri, string expected)
    {
        var ok = TableConnection.TryCreate(new TableStorageOptions { ConnectionString = connectionString, TableServiceUri = serviceUri }, out _, out var error);

        Assert.False(ok);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("AzureWebJobsStorage", error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCredentialKind_IsRejected()
    {
        var ok = TableConnection.TryCreate(new TableStorageOptions { TableServiceUri = "https://contoso.table.core.windows.net", Credential = "clientsecret" }, out _, out var error);

        Assert.False(ok);
        Assert.Contains("AzureWebJobsStorage__credential", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_ReadsConnectionStringAndIdentitySectionFromHostStyleKeys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:tableServiceUri"] = "https://contoso.table.core.windows.net",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "abc",
        }).Build();
        var options = new TableStorageOptions();

        StorageModule.Bind(options, configuration, development: false);

        Assert.Null(options.ConnectionString);
        Assert.Equal("https://contoso.table.core.windows.net", options.TableServiceUri);
        Assert.Equal("managedidentity", options.Credential);
        Assert.Equal("abc", options.ClientId);
    }

    [Fact]
    public void Bind_NothingSetOutsideDevelopment_FailsValidationNamingSetting()
    {
        var options = new TableStorageOptions();
        StorageModule.Bind(options, new ConfigurationBuilder().Build(), development: false);

        var result = new TableStorageOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("AzureWebJobsStorage", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_NothingSetInDevelopment_FallsBackToDevelopmentStorage()
    {
        var options = new TableStorageOptions();
        StorageModule.Bind(options, new ConfigurationBuilder().Build(), development: true);

        Assert.Equal("UseDevelopmentStorage=true", options.ConnectionString);
        Assert.Equal(ValidateOptionsResult.Success, new TableStorageOptionsValidator().Validate(null, options));
    }

    [Fact]
    public void Bind_ConnectionStringValue_IsRead()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        }).Build();
        var options = new TableStorageOptions();

        StorageModule.Bind(options, configuration, development: false);

        Assert.Equal("UseDevelopmentStorage=true", options.ConnectionString);
    }
}
