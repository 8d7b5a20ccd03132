using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CustomerSuccess.Functions.Storage.Rest;

/// <summary>
/// Entity-group transactions: the service's rules checked on the client (one partition, one operation per row,
/// at most 100), the multipart/mixed request with a single changeset, and the response: one HTTP response per
/// operation on success, or the one refused operation, whose index leads the error message ("3:The specified ...").
/// </summary>
internal static class TableBatch
{
    public const int MaxActions = 100;
    private const string Crlf = "\r\n";

    public static void Validate(IReadOnlyList<TableTransactionAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count == 0)
        {
            throw new ArgumentException("A transaction needs at least one operation.", nameof(actions));
        }

        if (actions.Count > MaxActions)
        {
            throw new ArgumentException($"A transaction holds at most {MaxActions} operations; this one has {actions.Count}. Split it into several transactions.", nameof(actions));
        }

        var partition = actions[0].Entity?.PartitionKey;
        var rows = new HashSet<string>(actions.Count, StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            var entity = actions[i]?.Entity ?? throw new ArgumentException($"Operation {i} has no entity.", nameof(actions));
            RestTableKeys.ValidateEntityKeys(entity);
            if (!string.Equals(entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException($"A transaction must stay in one partition: operation {i} targets partition '{entity.PartitionKey}', operation 0 targets '{partition}'.", nameof(actions));
            }

            if (!rows.Add(entity.RowKey))
            {
                throw new ArgumentException($"A transaction may touch each entity once: operation {i} repeats RowKey '{entity.RowKey}'.", nameof(actions));
            }
        }
    }

    public static PooledBufferWriter WriteRequest(string endpoint, string table, IReadOnlyList<TableTransactionAction> actions, string batchBoundary, string changesetBoundary)
    {
        var body = new PooledBufferWriter(actions.Count * 512 + 512);
        try
        {
            body.WriteAscii("--" + batchBoundary + Crlf);
            body.WriteAscii("Content-Type: multipart/mixed; boundary=" + changesetBoundary + Crlf + Crlf);
            using var json = new Utf8JsonWriter(body);
            foreach (var action in actions)
            {
                var entity = action.Entity;
                var (method, hasBody, ifMatch) = action.ActionType switch
                {
                    TableTransactionActionType.Add => ("POST", true, null),
                    TableTransactionActionType.UpsertMerge => ("MERGE", true, null),
                    TableTransactionActionType.UpsertReplace => ("PUT", true, null),
                    TableTransactionActionType.UpdateMerge => ("MERGE", true, action.IfMatch ?? entity.ETag ?? "*"),
                    TableTransactionActionType.UpdateReplace => ("PUT", true, action.IfMatch ?? entity.ETag ?? "*"),
                    TableTransactionActionType.Delete => ("DELETE", false, action.IfMatch ?? entity.ETag ?? "*"),
                    _ => throw new ArgumentOutOfRangeException(nameof(actions), action.ActionType, "Unknown transaction operation."),
                };
                var target = action.ActionType == TableTransactionActionType.Add
                    ? endpoint + "/" + table
                    : endpoint + "/" + RestTableKeys.EntityPath(table, entity.PartitionKey, entity.RowKey);

                body.WriteAscii("--" + changesetBoundary + Crlf);
                body.WriteAscii("Content-Type: application/http" + Crlf + "Content-Transfer-Encoding: binary" + Crlf + Crlf);
                body.WriteAscii(method + " " + target + " HTTP/1.1" + Crlf);
                body.WriteAscii("Accept: application/json;odata=minimalmetadata" + Crlf + "DataServiceVersion: 3.0" + Crlf);
                if (action.ActionType == TableTransactionActionType.Add)
                {
                    body.WriteAscii("Prefer: return-no-content" + Crlf);
                }

                if (ifMatch is not null)
                {
                    body.WriteUtf8("If-Match: " + ifMatch + Crlf);
                }

                if (hasBody)
                {
                    body.WriteAscii("Content-Type: application/json" + Crlf + Crlf);
                    json.Reset(body);
                    TableEntityJson.Write(json, entity);
                    json.Flush();
                    body.WriteAscii(Crlf);
                }
                else
                {
                    body.WriteAscii(Crlf);
                }
            }

            body.WriteAscii("--" + changesetBoundary + "--" + Crlf + "--" + batchBoundary + "--" + Crlf);
        }
        catch
        {
            body.Dispose();
            throw;
        }

        return body;
    }

    public static TableTransactionResult ParseResponse(ReadOnlySpan<byte> content, int actionCount)
    {
        var parts = ReadParts(Encoding.UTF8.GetString(content));
        var failed = parts.FindIndex(p => p.Status >= 300);
        if (failed < 0)
        {
            var etags = new string?[actionCount];
            for (var i = 0; i < Math.Min(actionCount, parts.Count); i++)
            {
                etags[i] = parts[i].ETag;
            }

            return new TableTransactionResult(true, null, null, null, etags);
        }

        var part = parts[failed];
        var (code, index) = ReadError(part.Body);
        if (index is null && part.ContentId is { } contentId)
        {
            // Content-ID of the refused part counts from 1.
            index = contentId - 1;
        }

        if (index is null && parts.Count == actionCount)
        {
            index = failed;
        }

        if (index is not null && (index < 0 || index >= actionCount))
        {
            index = null;
        }

        return new TableTransactionResult(false, index, part.Status, code, new string?[actionCount]);
    }

    private static (string? Code, int? Index) ReadError(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("odata.error", out var error))
            {
                return (null, null);
            }

            var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
            string? message = null;
            if (error.TryGetProperty("message", out var m))
            {
                message = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.GetString();
            }

            int? index = null;
            var colon = message?.IndexOf(':', StringComparison.Ordinal) ?? -1;
            if (colon > 0 && int.TryParse(message.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                index = parsed;
            }

            return (code, index);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static List<ResponsePart> ReadParts(string text)
    {
        var parts = new List<ResponsePart>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (!line.StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line.Split(' ', 3);
            var status = fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
            string? etag = null;
            int? contentId = null;
            for (i++; i < lines.Length; i++)
            {
                var header = lines[i].TrimEnd('\r');
                if (header.Length == 0)
                {
                    break;
                }

                var colon = header.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = header[..colon].Trim();
                var value = header[(colon + 1)..].Trim();
                if (name.Equals("ETag", StringComparison.OrdinalIgnoreCase))
                {
                    etag = value;
                }
                else if (name.Equals("Content-ID", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    contentId = id;
                }
            }

            var body = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].StartsWith("--", StringComparison.Ordinal); i++)
            {
                body.Append(lines[i].TrimEnd('\r'));
            }

            i--;
            parts.Add(new ResponsePart(status, etag, contentId, body.ToString()));
        }

        return parts;
    }

    private sealed record ResponsePart(int Status, string? ETag, int? ContentId, string Body);
}
