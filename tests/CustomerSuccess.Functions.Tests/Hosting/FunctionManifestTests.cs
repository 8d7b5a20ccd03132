using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>
/// The function.json files are what the Functions host knows; the endpoints are what the handler serves.
/// Either without the other is a function that silently never runs.
/// </summary>
public sealed class FunctionManifestTests : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly WebApplicationFactory<Program> _factory;

    public FunctionManifestTests(WebApplicationFactory<Program> factory)
    {
        _factory = factory.WithWebHostBuilder(b => b.UseSetting("LocalRunner:Enabled", "false").UseSetting("FunctionKeys:Default", "test-key"));
    }

    private static FunctionManifest SourceManifest() =>
        FunctionManifest.Load(Path.Combine(RepoPaths.Root, "src", "CustomerSuccess.Functions", "functions"));

    private IReadOnlyList<RouteEndpoint> Endpoints() =>
        [.. _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    [Fact]
    public void EveryFunctionJson_HasAHandlerEndpoint()
    {
        var endpoints = Endpoints();
        var missing = new List<string>();
        foreach (var function in SourceManifest().Functions)
        {
            var served = endpoints.Where(e => e.Metadata.GetMetadata<FunctionEndpointMetadata>()?.FunctionName == function.Name).ToList();
            if (function.TriggerKind == FunctionTriggerKind.Http)
            {
                // One function.json may be served by several endpoints (one per method) on the same route.
                var methods = function.Trigger.GetStrings("methods").Select(m => m.ToUpperInvariant()).ToHashSet();
                var servedMethods = served
                    .Where(e => string.Equals("/" + e.RoutePattern.RawText!.TrimStart('/'), function.HttpPath, StringComparison.OrdinalIgnoreCase))
                    .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                    .ToHashSet();
                var ok = servedMethods.SetEquals(methods);
                if (!ok)
                {
                    missing.Add($"{function.Name} ({string.Join(',', methods)} {function.HttpPath})");
                }
            }
            else if (!served.Any(e => string.Equals(e.RoutePattern.RawText!.TrimStart('/'), function.Name, StringComparison.Ordinal)
                && e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("POST") == true))
            {
                missing.Add($"{function.Name} (POST /{function.Name})");
            }
        }

        Assert.True(missing.Count == 0, "function.json without a matching handler endpoint: " + string.Join("; ", missing));
    }

    [Fact]
    public void EveryFunctionEndpoint_HasAFunctionJson()
    {
        var names = SourceManifest().Functions.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

        var orphans = Endpoints()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith("api/", StringComparison.OrdinalIgnoreCase)
                || e.Metadata.GetMetadata<FunctionEndpointMetadata>() is not null)
            .Where(e => e.Metadata.GetMetadata<FunctionEndpointMetadata>() is not { } m || !names.Contains(m.FunctionName))
            .Select(e => e.RoutePattern.RawText)
            .ToList();

        Assert.True(orphans.Count == 0, "endpoints the host would never call (no function.json): " + string.Join("; ", orphans));
    }

    [Fact]
    public void EveryFunctionJson_HasExactlyOneTriggerAndAKnownKind()
    {
        foreach (var function in SourceManifest().Functions)
        {
            Assert.NotEqual(FunctionTriggerKind.Other, function.TriggerKind);
            if (function.TriggerKind == FunctionTriggerKind.Http)
            {
                // Forwarded HTTP functions must answer through an http output named res.
                Assert.Contains(function.Bindings, b => b.Type == "http" && b.Direction == "out" && b.Name == "res");
            }
        }
    }

    [Fact]
    public void Parse_TwoTriggers_IsRejected()
    {
        const string json = """{"bindings":[{"type":"timerTrigger","name":"a","schedule":"0 0 * * * *"},{"type":"serviceBusTrigger","name":"b","queueName":"q"}]}""";

        Assert.Throws<InvalidDataException>(() => FunctionDefinition.Parse("Broken", json));
    }
}
