using System.Globalization;
using System.Text;

namespace CustomerSuccess.Functions.Email;

/// <summary>
/// Local stand-in for ACS: writes each email as an RFC 5322 .eml file (multipart/alternative, plain text then
/// HTML, with the message's own headers such as List-Unsubscribe) that any mail client opens. The file is named
/// by category and operation id and created only if absent, so a retried send leaves the first file as it was.
/// </summary>
public sealed partial class OutboxEmailSender : IEmailSender
{
    private readonly string _folder;
    private readonly string _senderAddress;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<OutboxEmailSender> _logger;

    public OutboxEmailSender(string folder, string senderAddress, TimeProvider timeProvider, ILogger<OutboxEmailSender> logger)
    {
        _folder = Path.GetFullPath(folder);
        _senderAddress = senderAddress;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public string Folder => _folder;

    public static string FileNameFor(EmailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var category = string.IsNullOrEmpty(message.Category) ? "email" : message.Category;
        var safe = new StringBuilder(category.Length + message.OperationId.Length + 5);
        foreach (var ch in category + "_" + message.OperationId)
        {
            safe.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '-');
        }

        return safe.Append(".eml").ToString();
    }

    public async Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, FileNameFor(message));
        var bytes = Encoding.UTF8.GetBytes(Render(message, _senderAddress, _timeProvider.GetUtcNow()));
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            await file.WriteAsync(bytes, cancellationToken);
        }
        catch (IOException) when (File.Exists(path))
        {
            Log.AlreadyWritten(_logger, message.OperationId);
            return new EmailSendResult(EmailSendStatus.Accepted, message.OperationId);
        }

        Log.Written(_logger, message.OperationId, path);
        return new EmailSendResult(EmailSendStatus.Accepted, message.OperationId);
    }

    internal static string Render(EmailMessage message, string from, DateTimeOffset date)
    {
        var boundary = "=_alt_" + message.OperationId.Replace("-", string.Empty, StringComparison.Ordinal);
        var eml = new StringBuilder();
        void Header(string name, string value) => eml.Append(name).Append(": ").Append(value).Append("\r\n");

        Header("From", from);
        Header("To", message.To);
        if (message.Cc.Count > 0)
        {
            Header("Cc", string.Join(", ", message.Cc));
        }

        Header("Subject", EncodeHeaderValue(message.Subject));
        Header("Date", date.ToString("r", CultureInfo.InvariantCulture).Replace("GMT", "+0000", StringComparison.Ordinal));
        Header("Message-ID", "<" + message.OperationId + "@outbox.local>");
        if (message.Category is { } category && category.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            // Local outbox only: lets a reader (or the simulator's report) sort what was sent without parsing bodies.
            Header("X-Category", category);
        }

        foreach (var (name, value) in message.Headers)
        {
            if (name.AsSpan().IndexOfAny('\r', '\n') >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                continue;
            }

            Header(name, value);
        }

        Header("MIME-Version", "1.0");
        Header("Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
        eml.Append("\r\n");
        AppendPart(eml, boundary, "text/plain", message.PlainText);
        AppendPart(eml, boundary, "text/html", message.Html);
        eml.Append("--").Append(boundary).Append("--\r\n");
        return eml.ToString();
    }

    private static void AppendPart(StringBuilder eml, string boundary, string mediaType, string content)
    {
        eml.Append("--").Append(boundary).Append("\r\n");
        eml.Append("Content-Type: ").Append(mediaType).Append("; charset=utf-8\r\n");
        eml.Append("Content-Transfer-Encoding: base64\r\n\r\n");
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(content));
        for (var i = 0; i < encoded.Length; i += 76)
        {
            eml.Append(encoded.AsSpan(i, Math.Min(76, encoded.Length - i))).Append("\r\n");
        }
    }

    /// <summary>RFC 2047 encoded-word for non-ASCII subjects; ASCII stays readable.</summary>
    private static string EncodeHeaderValue(string value) =>
        value.All(c => c is >= ' ' and <= '~')
            ? value
            : "=?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(value.ReplaceLineEndings(" "))) + "?=";

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "Email {OperationId} written to the outbox: {Path}")]
        public static partial void Written(ILogger logger, string operationId, string path);

        [LoggerMessage(11, LogLevel.Information, "Email {OperationId} already in the outbox; left as it was")]
        public static partial void AlreadyWritten(ILogger logger, string operationId);
    }
}
