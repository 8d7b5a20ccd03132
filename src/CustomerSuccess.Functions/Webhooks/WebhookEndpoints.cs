using System.Buffers;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// The three webhook functions. Anonymous at the Functions level: each provider's signature over the raw
/// body is the authentication, so the body is read as bytes, never model-bound.
/// </summary>
internal static class WebhookEndpoints
{
    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddTables(WebhookDeliveryStore.Table);
        builder.Services.AddOptions<WebhooksOptions>()
            .BindConfiguration(WebhooksOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<WebhookDeliveryStore>();
        builder.Services.AddSingleton<WebhookApplyQueue>();
        builder.Services.AddSingleton<WebhookQuarantine>();
        builder.Services.AddSingleton<Messaging.IDeadLetterSource>(sp => sp.GetRequiredService<WebhookQuarantine>());
        builder.Services.AddSingleton<WebhookIngestion>();
        builder.Services.AddHostedService<WebhookApplyWorker>();
        return builder;
    }

    public static WebApplication MapWebhooks(this WebApplication app)
    {
        app.MapPost("/api/webhooks/stripe", (HttpContext context, WebhookIngestion ingestion) => ReceiveAsync(context, WebhookProvider.Stripe, ingestion))
            .WithFunction("StripeWebhook").ExcludeFromDescription();
        app.MapPost("/api/webhooks/segment", (HttpContext context, WebhookIngestion ingestion) => ReceiveAsync(context, WebhookProvider.Segment, ingestion))
            .WithFunction("SegmentWebhook").ExcludeFromDescription();
        app.MapPost("/api/webhooks/zendesk", (HttpContext context, WebhookIngestion ingestion) => ReceiveAsync(context, WebhookProvider.Zendesk, ingestion))
            .WithFunction("ZendeskWebhook").ExcludeFromDescription();

        // Re-applies archived events (idempotently: each event changes an account once) after a mapping or link fix.
        app.MapPost("/api/webhooks/replay", ReplayAsync).WithFunction("WebhookReplay").RequireFunctionKey().ExcludeFromDescription();

        // Timer: applies anything stored but not yet applied (the process that stored it may have stopped first).
        app.MapInvocation("WebhookSweep", async (AccountEventApplier applier, IOptionsMonitor<WebhooksOptions> options, CancellationToken cancellationToken) =>
        {
            var sweep = await applier.SweepAsync(options.CurrentValue, max: 5000, cancellationToken);
            return Results.Json(InvocationResponse.Ok($"Sweep: {sweep.Seen} pending, {sweep.Applied} applied, {sweep.Failed} failed, {sweep.Quarantined} quarantined"));
        });
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, WebhookProvider provider, WebhookIngestion ingestion)
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
            IngestionStatus.Stored => Results.Json(new { status = "stored", stored = outcome.Stored, duplicates = outcome.Duplicates }),
            IngestionStatus.Duplicate => Results.Json(new { status = "duplicate", stored = 0, duplicates = outcome.Duplicates }),
            IngestionStatus.Unauthorized => Error(StatusCodes.Status401Unauthorized, outcome.Reason!),
            IngestionStatus.BadRequest => Error(StatusCodes.Status400BadRequest, outcome.Reason!),
            IngestionStatus.TooLarge => Error(StatusCodes.Status413PayloadTooLarge, outcome.Reason!),
            _ => Error(StatusCodes.Status503ServiceUnavailable, outcome.Reason!),
        };
    }

    private static async Task<IResult> ReplayAsync(string? provider, bool? unappliedOnly, AccountEventApplier applier, IOptionsMonitor<WebhooksOptions> options, CancellationToken cancellationToken)
    {
        WebhookProvider? only = null;
        if (!string.IsNullOrEmpty(provider))
        {
            if (!Enum.TryParse<WebhookProvider>(provider, ignoreCase: true, out var parsed))
            {
                return Error(StatusCodes.Status400BadRequest, "provider must be stripe, segment or zendesk");
            }

            only = parsed;
        }

        try
        {
            // Each event is isolated as in a sweep: one that fails is recorded against it (quarantined in the end), the rest go on.
            var replay = await applier.ApplyStoredAsync(unappliedOnly ?? false, only, int.MaxValue, options.CurrentValue.ApplyConcurrency, cancellationToken);
            return Results.Json(new { replayed = replay.Seen, applied = replay.Applied, failed = replay.Failed, quarantined = replay.Quarantined });
        }
        catch (Storage.TableStorageUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "storage unavailable, retry later");
        }
    }

    private static IResult Error(int status, string reason) => Results.Json(new { error = reason }, statusCode: status);

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
