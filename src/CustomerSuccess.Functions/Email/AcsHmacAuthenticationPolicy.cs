using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CustomerSuccess.Functions.Email;

/// <summary>
/// Signs each attempt with the ACS access key as Communication Services documents it: x-ms-date,
/// x-ms-content-sha256 (base64 SHA-256 of the body) and
/// <c>Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature=…</c>, the
/// signature being the base64 HMAC-SHA256 (key = base64-decoded access key) of
/// <c>VERB\n{path and query}\n{date};{host};{content hash}</c>. Runs per retry so every attempt has a fresh date.
/// </summary>
internal sealed class AcsHmacAuthenticationPolicy : HttpPipelineSynchronousPolicy
{
    private readonly byte[] _key;
    private readonly TimeProvider _timeProvider;

    public AcsHmacAuthenticationPolicy(string base64AccessKey, TimeProvider timeProvider)
    {
        _key = Convert.FromBase64String(base64AccessKey);
        _timeProvider = timeProvider;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var request = message.Request;
        var contentHash = ComputeContentHash(request.Content);
        var date = _timeProvider.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        var uri = request.Uri.ToUri();
        var signature = Sign(_key, request.Method.Method, uri.PathAndQuery, date, uri.Authority, contentHash);

        request.Headers.SetValue("x-ms-date", date);
        request.Headers.SetValue("x-ms-content-sha256", contentHash);
        request.Headers.SetValue("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + signature);
    }

    /// <summary>The documented string-to-sign and its signature (exposed for tests that verify a request).</summary>
    public static string Sign(byte[] key, string verb, string pathAndQuery, string date, string host, string contentHash)
    {
        var stringToSign = string.Concat(verb.ToUpperInvariant(), "\n", pathAndQuery, "\n", date, ";", host, ";", contentHash);
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
    }

    public static string ComputeContentHash(ReadOnlySpan<byte> body) => Convert.ToBase64String(SHA256.HashData(body));

    private static string ComputeContentHash(RequestContent? content)
    {
        if (content is null)
        {
            return ComputeContentHash([]);
        }

        using var buffer = new MemoryStream();
        content.WriteTo(buffer, CancellationToken.None);
        return ComputeContentHash(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }
}
