using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>Client options of the Service Bus REST client (retries, transport, diagnostics).</summary>
public sealed class ServiceBusRestClientOptions : ClientOptions;

/// <summary>
/// Sends one message per request with the Service Bus REST API ("Send Message"):
/// <c>POST https://{namespace}/{queue}/messages</c>, an Entra ID bearer token for <c>https://servicebus.azure.net</c>,
/// broker properties (message id, scheduled enqueue time) as the JSON <c>BrokerProperties</c> header and application
/// properties as one header each, string values quoted. 201 means the queue has it; anything else after the
/// pipeline's retries is a <see cref="MessagePublishException"/>, so the caller keeps the message for the next attempt.
/// </summary>
public sealed partial class ServiceBusRestPublisher : IMessagePublisher
{
    public const string Scope = "https://servicebus.azure.net/.default";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly ILogger<ServiceBusRestPublisher> _logger;

    public ServiceBusRestPublisher(ServiceBusOptions options, TokenCredential credential, ILogger<ServiceBusRestPublisher> logger, ServiceBusRestClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        clientOptions ??= new ServiceBusRestClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        _pipeline = HttpPipelineBuilder.Build(clientOptions, new ServiceBusTokenPolicy(credential, Scope));
        _endpoint = options.ResolveEndpoint();
        _logger = logger;
    }

    internal HttpPipeline Pipeline => _pipeline;

    internal Uri Endpoint => _endpoint;

    public async Task SendAsync(string queueName, OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueName);
        ArgumentNullException.ThrowIfNull(message);

        using var request = _pipeline.CreateRequest();
        request.Method = RequestMethod.Post;
        request.Uri.Reset(new Uri(_endpoint, Uri.EscapeDataString(queueName) + "/messages"));
        request.Headers.Add("BrokerProperties", BrokerProperties(message));
        request.Headers.Add(HttpHeader.Names.ContentType, message.ContentType);
        foreach (var (name, value) in message.ApplicationProperties)
        {
            if (!IsToken(name))
            {
                throw new ArgumentException($"Application property name '{name}' cannot be sent as a header.", nameof(message));
            }

            // A quoted value is a string property; JSON escaping keeps the header ASCII.
            request.Headers.Add(name, QuotedHeaderValue(value));
        }

        request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(message.Body));

        Response response;
        try
        {
            response = await _pipeline.SendRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RequestFailedException or IOException or HttpRequestException or AggregateException or Azure.Identity.AuthenticationFailedException)
        {
            Log.SendFailed(_logger, queueName, message.MessageId, 0, ex);
            throw new MessagePublishException($"Sending message {message.MessageId} to {queueName} failed: {ex.Message}", ex);
        }

        using (response)
        {
            if (response.Status == 201)
            {
                Log.Sent(_logger, queueName, message.MessageId);
                return;
            }

            Log.SendFailed(_logger, queueName, message.MessageId, response.Status, null);
            throw new MessagePublishException(string.Create(CultureInfo.InvariantCulture, $"Sending message {message.MessageId} to {queueName} returned {response.Status} {response.ReasonPhrase}."));
        }
    }

    internal static string BrokerProperties(OutgoingMessage message)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("MessageId", message.MessageId);
            if (message.CorrelationId is { } correlation)
            {
                json.WriteString("CorrelationId", correlation);
            }

            if (message.ScheduledEnqueueTime is { } at)
            {
                json.WriteString("ScheduledEnqueueTimeUtc", at.UtcDateTime.ToString("R", CultureInfo.InvariantCulture));
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A JSON string literal that is plain ASCII (anything else as \uXXXX), readable in the portal as sent.</summary>
    internal static string QuotedHeaderValue(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else if (c < 0x20 || c > 0x7E)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.Append('"').ToString();
    }

    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c < 127 && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)));

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Sent message {MessageId} to {Queue}")]
        public static partial void Sent(ILogger logger, string queue, string messageId);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Sending message {MessageId} to {Queue} failed with status {Status}")]
        public static partial void SendFailed(ILogger logger, string queue, string messageId, int status, Exception? exception);
    }
}

/// <summary>
/// Adds an Entra ID bearer token to every request, refreshed five minutes before it expires. Azure.Core's own
/// bearer policy refuses plain-HTTP endpoints, which would make the local request-checking tests impossible.
/// </summary>
internal sealed class ServiceBusTokenPolicy(TokenCredential credential, string scope) : HttpPipelinePolicy
{
    // Racing refreshes are harmless (the credential caches too); a lock would only add waiting.
    private AccessToken _token;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        var token = await GetTokenAsync(message.CancellationToken).ConfigureAwait(false);
        message.Request.Headers.SetValue(HttpHeader.Names.Authorization, "Bearer " + token);
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    private async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var token = _token;
        if (token.Token is null || token.ExpiresOn - TimeSpan.FromMinutes(5) <= DateTimeOffset.UtcNow)
        {
            token = await credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken).ConfigureAwait(false);
            _token = token;
        }

        return token.Token;
    }
}
