using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>
/// Pipeline settings for the Table client: exponential retries on 408/429/500/503, a per-try network timeout of a
/// few seconds so an outage surfaces quickly (the caller answers 503 and the provider retries later), and a
/// socket handler that keeps enough connections open that storage, not the client, is the bottleneck.
/// </summary>
public sealed class RestTableClientOptions : ClientOptions
{
    public RestTableClientOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 3;
        Retry.Delay = TimeSpan.FromMilliseconds(200);
        Retry.MaxDelay = TimeSpan.FromSeconds(2);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        Diagnostics.IsLoggingContentEnabled = false;
        Diagnostics.ApplicationId = "customer-success";
    }

    /// <summary>Upper bound on pooled connections to the storage endpoint.</summary>
    public int MaxConnections { get; set; } = 256;

    internal static HttpPipelineTransport CreateTransport(Uri endpoint, int maxConnections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            // A proxy from the environment must not capture local emulator traffic.
            UseProxy = !endpoint.IsLoopback,
        };
        return new HttpClientTransport(handler);
    }
}

/// <summary>Retries exactly the transient statuses of the Table service; every status is handled by the client, none throws here.</summary>
internal sealed class TableResponseClassifier : ResponseClassifier
{
    public override bool IsRetriableResponse(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Response.Status is 408 or 429 or 500 or 503;
    }

    public override bool IsErrorResponse(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Response.Status >= 400;
    }
}
