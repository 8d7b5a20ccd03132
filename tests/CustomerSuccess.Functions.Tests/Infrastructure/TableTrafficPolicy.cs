using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CustomerSuccess.Functions.Tests.Infrastructure;

/// <summary>
/// A policy on the Tables SDK's own pipeline (ahead of its retries): counts the requests that reach the service, per
/// table and kind (a transaction counts once), and fails the ones <see cref="FailWhen"/> picks as an unreachable
/// service would, so a test can break storage at a chosen point of a page.
/// </summary>
internal sealed class TableTrafficPolicy : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<(string Table, string Kind), int> _requests = new();

    /// <summary>Picks requests to fail: (table, kind) where kind is get, query, insert, update, delete or batch.</summary>
    public Func<string, string, bool>? FailWhen { get; set; }

    public int Failed => _failed;

    private int _failed;

    public int Requests(string? table = null, string? kind = null) =>
        _requests.Where(r => (table is null || r.Key.Table == table) && (kind is null || r.Key.Kind == kind)).Sum(r => r.Value);

    public void Reset() => _requests.Clear();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Before(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Before(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Before(HttpMessage message)
    {
        var (table, kind) = Describe(message.Request);
        if (FailWhen?.Invoke(table, kind) == true)
        {
            Interlocked.Increment(ref _failed);
            throw new HttpRequestException("Injected: storage unreachable.");
        }

        _requests.AddOrUpdate((table, kind), 1, (_, n) => n + 1);
    }

    private static (string Table, string Kind) Describe(Request request)
    {
        // Paths: /{account}/{table}, /{account}/{table}(PartitionKey='…',RowKey='…'), /{account}/$batch, /{account}/Tables.
        var path = request.Uri.Path.TrimEnd('/');
        var last = Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
        if (last == "$batch")
        {
            return (BatchTable(request), "batch");
        }

        var paren = last.IndexOf('(', StringComparison.Ordinal);
        var table = paren < 0 ? last : last[..paren];
        var kind = request.Method.Method switch
        {
            "GET" => paren < 0 ? "query" : "get",
            "POST" => "insert",
            "PUT" or "MERGE" or "PATCH" => "update",
            "DELETE" => "delete",
            _ => request.Method.Method,
        };
        return (table, kind);
    }

    private static string BatchTable(Request request)
    {
        // The batch body names its table in each operation's request line; the first one is enough here.
        if (request.Content is null)
        {
            return "$batch";
        }

        using var buffer = new MemoryStream();
        request.Content.WriteTo(buffer, CancellationToken.None);
        var text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        var at = text.IndexOf("/devstoreaccount1/", StringComparison.Ordinal);
        if (at < 0)
        {
            return "$batch";
        }

        var start = at + "/devstoreaccount1/".Length;
        var end = start;
        while (end < text.Length && char.IsAsciiLetterOrDigit(text[end]))
        {
            end++;
        }

        return text[start..end];
    }
}
