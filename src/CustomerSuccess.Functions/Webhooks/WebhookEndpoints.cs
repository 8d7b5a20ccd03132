using System.Buffers;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// The webhook functions. The three receivers are anonymous at the Functions level: each provider's signature over
/// the raw body is the authentication, so the body is read as bytes, never model-bound.
/// </summary>
internal static class WebhookEndpoints
{
    internal sealed record ReceiveResponse(string Status, int Stored, int Duplicates);

    internal sealed record ReplayResponse(int Replayed, int Applied, int Parked, int Ignored, int Duplicates, int Quarantined, int Failed);

    internal sealed record ErrorResponse(string Error);

    public static async Task<Results<Ok<ReceiveResponse>, JsonHttpResult<ErrorResponse>>> ReceiveAsync(HttpContext context, WebhookProvider provider, WebhookIngestion ingestion)
    {
        var logger = context.RequestServices.GetRequiredService<ILogger<WebhookIngestion>>();
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "content type must be application/json");
        }

        var limit = context.RequestServices.GetRequiredService<IOptionsMonitor<WebhooksOptions>>().CurrentValue.MaxBodyBytes;
        if (request.ContentLength > limit)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "body too large");
        }

        ReadOnlyMemory<byte>? body;
        try
        {
            body = await ReadBoundedAsync(request.Body, limit, context.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            // Malformed framing (bad chunks, a body shorter than its Content-Length) or a client gone: not our error.
            // Kestrel reports most framing errors as BadHttpRequestException, an oversized chunk size as IOException.
            var reason = ex.Message;
            WebhookLog.BodyUnreadable(logger, provider, reason);
            return Error(ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest, "the request body could not be read");
        }

        if (body is null)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "body too large");
        }

        var outcome = await ingestion.IngestAsync(provider, name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, body.Value, context.RequestAborted);
        return outcome.Status switch
        {
            IngestionStatus.Stored => TypedResults.Ok(new ReceiveResponse("stored", outcome.Stored, outcome.Duplicates)),
            IngestionStatus.Duplicate => TypedResults.Ok(new ReceiveResponse("duplicate", 0, outcome.Duplicates)),
            IngestionStatus.Unauthorized => Error(StatusCodes.Status401Unauthorized, outcome.Reason!),
            IngestionStatus.BadRequest => Error(StatusCodes.Status400BadRequest, outcome.Reason!),
            IngestionStatus.TooLarge => Error(StatusCodes.Status413PayloadTooLarge, outcome.Reason!),
            _ => Error(StatusCodes.Status503ServiceUnavailable, outcome.Reason!),
        };
    }

    /// <summary>
    /// <c>POST /api/webhooks/replay?provider=&amp;unappliedOnly=</c>: every stored event (of one provider) through the
    /// applier again, the archive's and then what waits in the inbox; with <c>unappliedOnly=true</c> only the inbox.
    /// Each event is isolated as in a sweep: one that fails is recorded against it, the rest go on.
    /// </summary>
    public static async Task<Results<Ok<ReplayResponse>, JsonHttpResult<ErrorResponse>>> ReplayAsync(string? provider, bool? unappliedOnly, WebhookSweeper sweeper, CancellationToken cancellationToken)
    {
        WebhookProvider? only = null;
        if (!string.IsNullOrEmpty(provider))
        {
            if (!Enum.TryParse<WebhookProvider>(provider, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return Error(StatusCodes.Status400BadRequest, "provider must be stripe, segment or zendesk");
            }

            only = parsed;
        }

        try
        {
            var s = unappliedOnly == true ? default : await sweeper.ReplayArchiveAsync(only, cancellationToken);
            s += await sweeper.InboxAsync(receivedBefore: null, only, int.MaxValue, cancellationToken, replay: true);
            return TypedResults.Ok(new ReplayResponse(s.Seen, s.Applied, s.Parked, s.Ignored, s.Duplicates, s.Quarantined, s.Failed));
        }
        catch (TableStorageUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "storage unavailable, retry later");
        }
    }

    public static async Task<IResult> SweepAsync(WebhookSweeper sweeper, CancellationToken cancellationToken)
    {
        var s = await sweeper.SweepAsync(maxPages: 5, cancellationToken);
        return Results.Json(InvocationResponse.Ok($"Sweep: {s.Seen} pending, {s.Applied} applied, {s.Parked} parked, {s.Quarantined} quarantined, {s.Failed} failed"));
    }

    public static async Task<IResult> RetentionAsync(WebhookArchive archive, IOptionsMonitor<WebhooksOptions> options, TimeProvider time, ILogger<WebhookArchive> logger, CancellationToken cancellationToken)
    {
        var keepFrom = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-options.CurrentValue.ArchiveRetentionDays);
        var removed = await archive.RemoveExpiredAsync(keepFrom, cancellationToken);
        WebhookLog.RetentionRemoved(logger, removed, keepFrom);
        return Results.Json(InvocationResponse.Ok($"Retention: {removed} archived events before {keepFrom:yyyy-MM-dd} removed"));
    }

    private static JsonHttpResult<ErrorResponse> Error(int status, string reason) => TypedResults.Json(new ErrorResponse(reason), statusCode: status);

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads at most <paramref name="limit"/> bytes; null as soon as the body proves longer (chunked uploads without Content-Length).</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
