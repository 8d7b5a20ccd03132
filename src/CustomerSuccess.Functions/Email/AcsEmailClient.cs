using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CustomerSuccess.Functions.Email;

/// <summary>
/// Azure Communication Services Email over REST (api-version 2023-03-31) on an Azure.Core pipeline. The caller's
/// deterministic <see cref="EmailMessage.OperationId"/> goes out as the Operation-Id header on every attempt, so a
/// retried send (pipeline retry on 5xx, or queue redelivery) is one operation to the service.
/// <para>
/// Why REST and not the SDK: Azure.Communication.Email cannot be restored from the package registry this project
/// builds from (docs/decisions/0001-custom-handler.md lists what it serves), while Table storage and Service Bus go
/// through their official clients. This is the one hand-written Azure client the app keeps; replace it with
/// <c>EmailClient</c> when the package is served. The test that scans src/ for hand-written Azure HTTP allows it
/// here, in Email/, and nowhere else.
/// </para>
/// </summary>
public sealed partial class AcsEmailClient : IEmailSender
{
    public const string ApiVersion = "2023-03-31";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpPipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly string _senderAddress;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<AcsEmailClient> _logger;

    public AcsEmailClient(HttpPipeline pipeline, Uri endpoint, string senderAddress, TimeProvider timeProvider, ILogger<AcsEmailClient> logger)
    {
        _pipeline = pipeline;
        _endpoint = endpoint;
        _senderAddress = senderAddress;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Builds the pipeline: access-key HMAC when <paramref name="accessKey"/> is given, else Entra ID tokens.</summary>
    public static HttpPipeline CreatePipeline(EmailClientOptions clientOptions, string? accessKey, TokenCredential? credential, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(clientOptions);
        HttpPipelinePolicy auth = !string.IsNullOrEmpty(accessKey)
            ? new AcsHmacAuthenticationPolicy(accessKey, timeProvider)
            : new BearerTokenAuthenticationPolicy(credential ?? throw new ArgumentNullException(nameof(credential)), "https://communication.azure.com/.default");
        return HttpPipelineBuilder.Build(clientOptions, [], [auth], new EmailResponseClassifier());
    }

    public async Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = new SendRequest(
            _senderAddress,
            new SendContent(message.Subject, message.PlainText, message.Html),
            new SendRecipients(
                [new SendAddress(message.To)],
                message.Cc.Count == 0 ? null : [.. message.Cc.Select(c => new SendAddress(c))]),
            message.Headers.Count == 0 ? null : message.Headers,
            UserEngagementTrackingDisabled: true);

        using var http = _pipeline.CreateMessage();
        var request = http.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(_endpoint);
        request.Uri.AppendPath("/emails:send", escape: false);
        request.Uri.AppendQuery("api-version", ApiVersion);
        request.Headers.SetValue("Operation-Id", message.OperationId);
        request.Headers.SetValue("Content-Type", "application/json");
        request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body, Json));

        await _pipeline.SendAsync(http, cancellationToken);
        var response = http.Response;
        switch (response.Status)
        {
            case 200 or 202:
                Log.Accepted(_logger, message.OperationId, message.Category);
                return new EmailSendResult(EmailSendStatus.Accepted, ReadId(response) ?? message.OperationId);
            case 429:
                var retryAfter = ReadRetryAfter(response, _timeProvider.GetUtcNow()) ?? TimeSpan.FromMinutes(1);
                Log.Throttled(_logger, message.OperationId, retryAfter);
                return new EmailSendResult(EmailSendStatus.Throttled, message.OperationId, retryAfter);
            case >= 400 and < 500:
                var code = ReadErrorCode(response) ?? response.Status.ToString(CultureInfo.InvariantCulture);
                Log.Rejected(_logger, message.OperationId, response.Status, code);
                return new EmailSendResult(EmailSendStatus.Rejected, message.OperationId, Error: code);
            default:
                // 5xx after the pipeline's retries: the caller's queue redelivers later, with the same operation id.
                throw new EmailSendException($"ACS Email answered {response.Status} after retries (operation {message.OperationId}).", response.Status);
        }
    }

    /// <summary>Polls the send operation (GET /emails/operations/{id}).</summary>
    public async Task<EmailOperationStatus> GetStatusAsync(string operationId, CancellationToken cancellationToken = default)
    {
        using var http = _pipeline.CreateMessage();
        var request = http.Request;
        request.Method = RequestMethod.Get;
        request.Uri.Reset(_endpoint);
        request.Uri.AppendPath("/emails/operations/", escape: false);
        request.Uri.AppendPath(operationId, escape: true);
        request.Uri.AppendQuery("api-version", ApiVersion);
        await _pipeline.SendAsync(http, cancellationToken);
        var response = http.Response;
        if (response.Status == 404)
        {
            return new EmailOperationStatus(operationId, "NotFound", null);
        }

        if (response.Status != 200)
        {
            throw new EmailSendException($"ACS Email status query answered {response.Status} (operation {operationId}).", response.Status);
        }

        using var doc = JsonDocument.Parse(response.Content.ToMemory());
        var root = doc.RootElement;
        var status = root.TryGetProperty("status", out var s) ? s.GetString() ?? "Unknown" : "Unknown";
        string? error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("code", out var c) ? c.GetString() : null;
        return new EmailOperationStatus(operationId, status, error);
    }

    internal static TimeSpan? ReadRetryAfter(Response response, DateTimeOffset now)
    {
        if (response.Headers.TryGetValue("retry-after-ms", out var ms) || response.Headers.TryGetValue("x-ms-retry-after-ms", out ms))
        {
            if (double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis))
            {
                return TimeSpan.FromMilliseconds(millis);
            }
        }

        if (response.Headers.TryGetValue("Retry-After", out var value))
        {
            if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(Math.Max(0, seconds));
            }

            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return at > now ? at - now : TimeSpan.Zero;
            }
        }

        return null;
    }

    private static string? ReadId(Response response)
    {
        try
        {
            var content = response.Content.ToMemory();
            if (content.IsEmpty)
            {
                return null;
            }

            using var doc = JsonDocument.Parse(content);
            return doc.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? ReadErrorCode(Response response)
    {
        try
        {
            using var doc = JsonDocument.Parse(response.Content.ToMemory());
            return doc.RootElement.TryGetProperty("error", out var e) && e.TryGetProperty("code", out var c) ? c.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record SendRequest(string SenderAddress, SendContent Content, SendRecipients Recipients, IReadOnlyDictionary<string, string>? Headers, bool UserEngagementTrackingDisabled);

    private sealed record SendContent(string Subject, string PlainText, string Html);

    private sealed record SendRecipients(IReadOnlyList<SendAddress> To, IReadOnlyList<SendAddress>? Cc);

    private sealed record SendAddress(string Address);

    /// <summary>Retries 5xx, 408 and transport errors; 429 is the caller's to reschedule (it is told when), not the pipeline's.</summary>
    private sealed class EmailResponseClassifier : ResponseClassifier
    {
        public override bool IsRetriableResponse(HttpMessage message) =>
            message.Response.Status is 408 or 500 or 502 or 503 or 504;

        public override bool IsErrorResponse(HttpMessage message) => message.Response.Status >= 400;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Email accepted by ACS: operation {OperationId}, category {Category}")]
        public static partial void Accepted(ILogger logger, string operationId, string? category);

        [LoggerMessage(2, LogLevel.Warning, "Email throttled by ACS: operation {OperationId}, retry after {RetryAfter}")]
        public static partial void Throttled(ILogger logger, string operationId, TimeSpan retryAfter);

        [LoggerMessage(3, LogLevel.Warning, "Email rejected by ACS: operation {OperationId}, status {Status}, code {ErrorCode}")]
        public static partial void Rejected(ILogger logger, string operationId, int status, string errorCode);
    }
}

/// <summary>Azure.Core options of the ACS Email client (retries, transport, diagnostics).</summary>
public sealed class EmailClientOptions : ClientOptions
{
}

/// <summary>State of an ACS send operation: NotStarted, Running, Succeeded, Failed, Canceled (or NotFound).</summary>
public sealed record EmailOperationStatus(string OperationId, string Status, string? ErrorCode);

/// <summary>The provider kept failing (5xx, network) after retries; the send should be redelivered later.</summary>
public sealed class EmailSendException : Exception
{
    public EmailSendException()
    {
    }

    public EmailSendException(string message)
        : base(message)
    {
    }

    public EmailSendException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EmailSendException(string message, int status)
        : base(message)
    {
        Status = status;
    }

    public int Status { get; }
}
