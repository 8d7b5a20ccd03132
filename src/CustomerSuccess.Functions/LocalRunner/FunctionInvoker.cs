using System.Text.Json;
using CustomerSuccess.Functions.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.LocalRunner;

public readonly record struct InvocationOutcome(bool Succeeded, int StatusCode, string Detail);

/// <summary>
/// Invokes a function the way the Functions host does: an HTTP POST of the invocation payload to
/// <c>/{FunctionName}</c> on this very server. The handlers cannot tell the runner from the host.
/// </summary>
public interface IFunctionInvoker
{
    Task<InvocationOutcome> InvokeAsync(string functionName, InvocationRequest request, CancellationToken cancellationToken);
}

public sealed class HttpFunctionInvoker : IFunctionInvoker
{
    private readonly IServer _server;
    private readonly IHttpClientFactory _clients;
    private readonly IOptions<FunctionKeyOptions> _keys;
    private Uri? _baseAddress;

    public HttpFunctionInvoker(IServer server, IHttpClientFactory clients, IOptions<FunctionKeyOptions> keys)
    {
        _server = server;
        _clients = clients;
        _keys = keys;
    }

    public const string ClientName = "local-runner";

    public async Task<InvocationOutcome> InvokeAsync(string functionName, InvocationRequest request, CancellationToken cancellationToken)
    {
        var client = _clients.CreateClient(ClientName);
        client.BaseAddress ??= _baseAddress ??= ResolveOwnAddress();
        try
        {
            // Standalone, invocation routes take the function key like every keyed route; the runner has it.
            using var message = new HttpRequestMessage(HttpMethod.Post, "/" + functionName) { Content = JsonContent.Create(request, options: InvocationJson.Options) };
            message.Headers.Add(FunctionKeyAuthorization.KeyHeader, _keys.Value.Default);
            using var response = await client.SendAsync(message, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new InvocationOutcome(response.IsSuccessStatusCode, (int)response.StatusCode, Truncate(body));
        }
        catch (HttpRequestException ex)
        {
            return new InvocationOutcome(false, 0, ex.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new InvocationOutcome(false, 0, "The invocation timed out.");
        }
    }

    private Uri ResolveOwnAddress()
    {
        var address = _server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no listening address yet.");
        address = address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
        return new Uri(address);
    }

    private static string Truncate(string body) => body.Length <= 500 ? body : body[..500];
}

public static class InvocationJson
{
    /// <summary>The host's payloads use PascalCase member names ("Data", "Metadata", "Outputs" ...).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);
}

/// <summary>A function answered an invocation with a failure (or could not be reached); the message says which and how.</summary>
public sealed class FunctionInvocationFailedException : Exception
{
    public FunctionInvocationFailedException()
    {
    }

    public FunctionInvocationFailedException(string message)
        : base(message)
    {
    }

    public FunctionInvocationFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FunctionInvocationFailedException(string functionName, InvocationOutcome outcome)
        : base(outcome.StatusCode == 0 ? $"{functionName}: {outcome.Detail}" : $"{functionName} answered HTTP {outcome.StatusCode}: {outcome.Detail}")
    {
    }
}
