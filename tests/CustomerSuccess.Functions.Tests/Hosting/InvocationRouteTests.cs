using System.Net;
using System.Text;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>
/// The invocation routes (<c>POST /{FunctionName}</c> of every timer and Service Bus function): standalone they take
/// the function key; under the Functions host they answer the host's loopback calls only; and a payload that is not
/// the contract's is answered 400, never 500.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class InvocationRouteTests(AzuriteFixture azurite)
{
    private const string Key = "invocation-test-key";
    private const string ValidTimerPayload = """{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}""";

    private static readonly string[] NonHttpFunctions = [.. FunctionManifest.Load(Path.Combine(RepoPaths.Root, "src", "CustomerSuccess.Functions", "functions")).Functions
        .Where(f => f.TriggerKind != FunctionTriggerKind.Http)
        .Select(f => f.Name)];

    public static TheoryData<string> Functions => [.. NonHttpFunctions];

    private WebApplicationFactory<Program> App(bool underHost = false) => new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
        b.UseSetting("FunctionKeys:Default", Key);
        b.UseSetting("LocalRunner:Enabled", "false");
        if (underHost)
        {
            // What FUNCTIONS_CUSTOMHANDLER_PORT decides at start; the checks read it per request.
            b.ConfigureTestServices(s => s.AddSingleton(new HostingMode(UnderFunctionsHost: true)));
        }
    });

    private static StringContent Payload(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public void EveryNonHttpFunction_HasAnInvocationRouteMarkedAsSuch()
    {
        using var app = App();
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Where(e => e.Metadata.GetMetadata<InvocationEndpointMetadata>() is not null)
            .Select(e => e.Metadata.GetMetadata<FunctionEndpointMetadata>()!.FunctionName)
            .Order(StringComparer.Ordinal);

        Assert.Equal(NonHttpFunctions.Order(StringComparer.Ordinal), routes);
        Assert.Contains("WebhookSweep", NonHttpFunctions);
        Assert.Contains("AlertsCritical", NonHttpFunctions);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task Standalone_WithoutOrWithAWrongKey_401(string function)
    {
        using var app = App();
        using var client = app.CreateClient();

        using var none = await client.PostAsync("/" + function, Payload(ValidTimerPayload));
        using var wrong = await client.PostAsync("/" + function + "?code=not-the-key", Payload(ValidTimerPayload));

        // Without a key even a malformed body is not looked at.
        using var malformed = await client.PostAsync("/" + function, Payload("not json"));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, malformed.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task Standalone_WithTheKey_MalformedPayloads400(string function)
    {
        using var app = App();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", Key);

        foreach (var body in (string[])["not json", "", "[]", "\"text\"", "null", """{"Data":null,"Metadata":{}}""", """{"Data":{},"Metadata":null}""", """{"Data":[],"Metadata":{}}"""])
        {
            using var response = await client.PostAsync("/" + function, Payload(body));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{function} answered {(int)response.StatusCode} to {body}");
        }
    }

    [Theory]
    [InlineData("AlertsWatch")]
    [InlineData("AlertsWarning")]
    [InlineData("AlertsCritical")]
    [InlineData("AlertsOpportunity")]
    [InlineData("HealthRecomputeShard")]
    [InlineData("LifecycleSend")]
    public async Task Standalone_ServiceBusConsumer_ProbeMessage400NotA500(string function)
    {
        using var app = App();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", Key);

        foreach (var body in (string[])["""{"Data":{},"Metadata":{}}""", """{"Data":{"message":"{}"},"Metadata":{}}""", """{"Data":{"message":"probe"},"Metadata":{"MessageId":"m"}}""", """{"Data":{"message":{"alert":null}},"Metadata":{}}"""])
        {
            using var response = await client.PostAsync("/" + function, Payload(body));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{function} answered {(int)response.StatusCode} to {body}");
        }
    }

    [Fact]
    public async Task UnderTheHost_OnlyALoopbackCallWithAnInvocationIdGetsThrough()
    {
        using var app = App(underHost: true);
        var server = app.Server;

        async Task<int> InvokeAsync(IPAddress? remote, string? invocationId)
        {
            var context = await server.SendAsync(c =>
            {
                c.Request.Method = "POST";
                c.Request.Path = "/AlertsCritical";
                c.Request.ContentType = "application/json";
                c.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes("""{"Data":{"message":"probe"},"Metadata":{}}"""));
                c.Connection.RemoteIpAddress = remote;
                if (invocationId is not null)
                {
                    c.Request.Headers[FunctionKeyAuthorization.HostInvocationIdHeader] = invocationId;
                }
            });
            return context.Response.StatusCode;
        }

        Assert.Equal(StatusCodes.Status401Unauthorized, await InvokeAsync(IPAddress.Loopback, null));
        Assert.Equal(StatusCodes.Status401Unauthorized, await InvokeAsync(IPAddress.Loopback, "not-a-guid"));
        Assert.Equal(StatusCodes.Status401Unauthorized, await InvokeAsync(IPAddress.Parse("10.0.0.7"), Guid.NewGuid().ToString()));

        // From the host: past the check, to the handler, which refuses the probe message itself.
        Assert.Equal(StatusCodes.Status400BadRequest, await InvokeAsync(IPAddress.Loopback, Guid.NewGuid().ToString()));
    }
}
