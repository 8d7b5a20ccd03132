using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>
/// Signs each try with the Table service's Shared Key scheme:
/// <c>HMAC-SHA256(key, VERB \n Content-MD5 \n Content-Type \n x-ms-date \n CanonicalizedResource)</c>, where the
/// canonicalized resource is <c>/account</c> followed by the encoded URI path (and <c>?comp=</c> when present).
/// With a path-style endpoint such as Azurite's, the account therefore appears twice, as documented for the emulator.
/// Runs per try so a retried request carries a fresh date.
/// </summary>
internal sealed class TableSharedKeyPolicy : HttpPipelineSynchronousPolicy
{
    private readonly string _accountName;
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public TableSharedKeyPolicy(string accountName, string accountKey, TimeProvider time)
    {
        _accountName = accountName;
        _key = Convert.FromBase64String(accountKey);
        _time = time;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var request = message.Request;
        var date = _time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture);
        request.Headers.SetValue("x-ms-date", date);
        request.Headers.TryGetValue("Content-MD5", out var md5);
        request.Headers.TryGetValue("Content-Type", out var contentType);
        var signature = Sign(request.Method.Method, md5, contentType, date, CanonicalizedResource(_accountName, request.Uri.Path, request.Uri.Query));
        request.Headers.SetValue("Authorization", "SharedKey " + _accountName + ":" + signature);
    }

    public static string CanonicalizedResource(string accountName, string encodedPath, string? query)
    {
        var resource = "/" + accountName + (string.IsNullOrEmpty(encodedPath) ? "/" : encodedPath);
        var comp = CompParameter(query);
        return comp is null ? resource : resource + "?comp=" + comp;
    }

    public string Sign(string verb, string? contentMd5, string? contentType, string date, string canonicalizedResource)
    {
        var stringToSign = string.Concat(verb, "\n", contentMd5, "\n", contentType, "\n", date, "\n", canonicalizedResource);
        var length = Encoding.UTF8.GetMaxByteCount(stringToSign.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(stringToSign, rented);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(_key, rented.AsSpan(0, written), mac);
            return Convert.ToBase64String(mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string? CompParameter(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }

        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            if (pair.StartsWith("comp=", StringComparison.OrdinalIgnoreCase))
            {
                return Uri.UnescapeDataString(pair[5..]);
            }
        }

        return null;
    }
}
