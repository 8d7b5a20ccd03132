using CustomerSuccess.Functions.Alerts;
using Microsoft.Extensions.Configuration;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>Where the links in alert emails point when no deployment names a dashboard address.</summary>
public sealed class AlertsOwnUrlTests
{
    private static string? OwnUrl(params (string Key, string Value)[] settings) =>
        AlertsExtensions.OwnUrl(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void InAzure_TheSitesHostName() =>
        Assert.Equal("https://cs-func.azurewebsites.net", OwnUrl(("WEBSITE_HOSTNAME", "cs-func.azurewebsites.net"), ("FUNCTIONS_CUSTOMHANDLER_PORT", "40123")));

    [Fact]
    public void UnderTheFunctionsHostOnALaptop_TheHostsAddressNotTheHandlersPort() =>
        Assert.Equal("http://localhost:7071", OwnUrl(("FUNCTIONS_CUSTOMHANDLER_PORT", "40123")));

    [Fact]
    public void Standalone_TheFirstUrlItListensOn() =>
        Assert.Equal("http://127.0.0.1:5080", OwnUrl(("urls", "http://+:5080;http://127.0.0.1:6000")));

    [Fact]
    public void Standalone_WithoutUrls_ItsPort() =>
        Assert.Equal("http://127.0.0.1:8088", OwnUrl(("Hosting:Port", "8088")));
}
