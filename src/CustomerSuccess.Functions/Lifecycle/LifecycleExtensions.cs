using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Lifecycle;

internal static class LifecycleExtensions
{
    public const string SchedulerFunction = "LifecycleScheduler";
    public const string SendFunction = "LifecycleSend";
    public const string ReservedSendFunction = "LifecycleSendReserved";
    private const string UnsubscribeRoute = "/api/lifecycle/unsubscribe";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Lifecycle sequences: options validated at start (a deployment without the unsubscribe signing key or base URL
    /// stops, naming the setting), tables, the pure engine and its I/O around it. Needs AppTables, the account
    /// signals, IHealthScores and the health calculator, IEmailSender and IMessagePublisher from their modules.
    /// </summary>
    public static WebApplicationBuilder AddLifecycle(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddTables(LifecycleTableStore.EnrollmentsTable, LifecycleTableStore.AccountContactsTable, LifecycleTableStore.ContactsTable, LifecycleTableStore.LedgerTable);
        builder.Services.AddOptions<LifecycleOptions>()
            .BindConfiguration(LifecycleOptions.SectionName)
            .PostConfigure(options =>
            {
                if (development)
                {
                    // A laptop run without settings still starts; a deployment without them fails at start.
                    options.UnsubscribeBaseUrl ??= new Uri("http://127.0.0.1:7071" + UnsubscribeRoute);
                    if (string.IsNullOrEmpty(options.UnsubscribeSigningKey))
                    {
                        options.UnsubscribeSigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
                    }
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<LifecycleOptions>>().Value);
        builder.Services.AddSingleton<LifecycleSequenceEngine>();
        builder.Services.AddSingleton<SendCapPolicy>();
        builder.Services.AddSingleton<LifecyclePlanner>();
        builder.Services.AddLifecycleSendQuota();
        builder.Services.AddSingleton<UnsubscribeLinkSigner>();
        builder.Services.AddSingleton(sp =>
        {
            var path = sp.GetRequiredService<LifecycleOptions>().TemplatesPath;
            return new LifecycleTemplateRenderer(string.IsNullOrWhiteSpace(path) ? LifecycleTemplateRenderer.DefaultRoot : path);
        });
        builder.Services.AddSingleton<ILifecycleStore, LifecycleTableStore>();
        builder.Services.AddSingleton<LifecycleFactsReader>();
        builder.Services.AddSingleton<ILifecycleFactsSource>(sp => sp.GetRequiredService<LifecycleFactsReader>());
        builder.Services.AddSingleton<LifecycleScheduler>();
        builder.Services.AddSingleton<SendQuotaUsage>();
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<LifecycleSendProcessor>(sp));
        builder.Services.AddSingleton<LifecycleSuppression>();
        builder.Services.AddSingleton<LifecyclePreview>();
        return builder;
    }

    /// <summary>The scheduler timer, the send consumer, unsubscribe (anonymous), bounces and preview (function key).</summary>
    public static WebApplication MapLifecycle(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapInvocation(SchedulerFunction, async (InvocationRequest _, [FromServices] LifecycleScheduler scheduler, CancellationToken ct) =>
        {
            var s = await scheduler.ScanAsync(ct);
            return Results.Ok(InvocationResponse.Ok($"lifecycle scan: accounts={s.Accounts} queued={s.Queued} exits={s.Exits} deferred={s.Deferred}"));
        });

        var send = async (InvocationRequest request, [FromServices] LifecycleSendProcessor processor, [FromServices] ILogger<LifecycleSendProcessor> logger, CancellationToken ct) =>
        {
            var delivery = ServiceBusDelivery.From(request, "message");
            LifecycleSendMessage? message;
            try
            {
                message = LifecycleSendProcessor.Parse(delivery.Body);
            }
            catch (JsonException)
            {
                message = null;
            }

            if (message is null || string.IsNullOrEmpty(message.SendId) || string.IsNullOrEmpty(message.AccountId) || string.IsNullOrEmpty(message.ContactId)
                || string.IsNullOrEmpty(message.Sequence) || string.IsNullOrEmpty(message.Step) || string.IsNullOrEmpty(message.EnrollmentKey) || message.Occurrence < 0)
            {
                // Non-2xx: the queue redelivers and then dead-letters it, where an operator sees it; nothing is sent.
                LifecycleLog.SendMessageRejected(logger, "malformed body");
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "lifecycle-send message is not a LifecycleSendMessage (sendId, accountId, contactId, sequence, step, enrollmentKey, occurrence).");
            }

            var result = await processor.ProcessAsync(message, ct);
            if (result.Outcome == LifecycleSendOutcome.NotYet)
            {
                // Non-2xx: the queue delivers it again (and dead-letters it after its max delivery count).
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: $"lifecycle send {message.SendId}: {result.Reason}; deliver again.");
            }

            return Results.Ok(InvocationResponse.Ok($"lifecycle send {message.SendId}: {result.Outcome}{(result.Reason is null ? string.Empty : " (" + result.Reason + ")")}"));
        };

        // One handler for both queues: a send's first delivery, and a send the quota reserved a later slot for.
        app.MapInvocation(SendFunction, send);
        app.MapInvocation(ReservedSendFunction, send);

        app.MapGet(UnsubscribeRoute, (string? c, string? s, [FromServices] LifecycleSuppression suppression) =>
            suppression.IsValidLink(c, s)
                ? Page(StatusCodes.Status200OK, "Unsubscribe", "<p>Stop all product emails to this address?</p><form method=\"post\" action=\"?c=" + WebUtility.HtmlEncode(Uri.EscapeDataString(c!)) + "&amp;s=" + WebUtility.HtmlEncode(Uri.EscapeDataString(s!)) + "\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>")
                : InvalidLink(c, s))
            .WithFunction("LifecycleUnsubscribe");

        app.MapPost(UnsubscribeRoute, async (string? c, string? s, HttpRequest request, [FromServices] LifecycleSuppression suppression, CancellationToken ct) =>
        {
            // RFC 8058 one-click: the mailbox provider POSTs "List-Unsubscribe=One-Click" as a form to the link itself.
            if (!request.HasFormContentType || (await request.ReadFormAsync(ct))["List-Unsubscribe"] != "One-Click")
            {
                return Page(StatusCodes.Status400BadRequest, "Unsubscribe", "<p>The request must be a form post with List-Unsubscribe=One-Click (RFC 8058).</p>");
            }

            if (!suppression.IsValidLink(c, s))
            {
                return InvalidLink(c, s);
            }

            await suppression.UnsubscribeAsync(c, s, ct);
            return Page(StatusCodes.Status200OK, "Unsubscribed", "<p>You are unsubscribed and will get no more product emails at this address.</p>");
        }).WithFunction("LifecycleUnsubscribe").DisableAntiforgery();

        app.MapPost("/api/lifecycle/bounces", async (HttpRequest request, [FromServices] LifecycleSuppression suppression, CancellationToken ct) =>
        {
            BounceReport? report;
            try
            {
                report = await JsonSerializer.DeserializeAsync<BounceReport>(request.Body, Json, ct);
            }
            catch (JsonException)
            {
                report = null;
            }

            if (report is null || !LifecycleContactId.LooksLikeEmail(report.Email))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Body must be JSON {\"email\": \"<address>\", \"kind\": \"hard\"}.");
            }

            if (report.Kind is not null && !string.Equals(report.Kind, "hard", StringComparison.OrdinalIgnoreCase))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Only hard bounces suppress an address; soft bounces are retried by the email service.");
            }

            var (outcome, contactId) = await suppression.ReportHardBounceAsync(report.Email, ct);
            return Results.Ok(new { contactId, status = outcome == SuppressionOutcome.Suppressed ? "suppressed" : "already suppressed" });
        }).WithFunction("LifecycleBounces").RequireFunctionKey();

        app.MapGet("/api/lifecycle/preview/{accountId}/{sequence}/{step}", async (string accountId, string sequence, string step, string? email, string? format, [FromServices] LifecyclePreview preview, CancellationToken ct) =>
        {
            if (format is not (null or "json" or "html" or "text"))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "format is json (default), html or text.");
            }

            var (status, result) = await preview.RenderAsync(accountId, sequence, step, email, ct);
            return status switch
            {
                LifecyclePreviewStatus.UnknownAccount => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No account '{accountId}'."),
                LifecyclePreviewStatus.UnknownStep => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No step '{step}' in a configured sequence '{sequence}' (or its templates are missing)."),
                _ when format == "html" => Results.Content(result!.Html, "text/html; charset=utf-8"),
                _ when format == "text" => Results.Text(result!.PlainText, "text/plain; charset=utf-8"),
                _ => Results.Json(result, Json),
            };
        }).WithFunction("LifecyclePreview").RequireFunctionKey();

        return app;
    }

    private static IResult InvalidLink(string? c, string? s) => string.IsNullOrEmpty(c) || string.IsNullOrEmpty(s)
        ? Page(StatusCodes.Status400BadRequest, "Unsubscribe", "<p>This unsubscribe link is incomplete. Use the link from the email as it is.</p>")
        : Page(StatusCodes.Status401Unauthorized, "Unsubscribe", "<p>This unsubscribe link is not valid. Use the link from the email as it is.</p>");

    private static IResult Page(int status, string title, string body) => Results.Content(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body><h1>" + title + "</h1>" + body + "</body></html>",
        "text/html; charset=utf-8",
        statusCode: status);

    internal sealed record BounceReport(string? Email, string? Kind, string? Reason);
}
