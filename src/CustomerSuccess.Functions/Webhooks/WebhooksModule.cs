using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Ingestion: the three provider webhooks (verify, map, store once), the inbox and archive, the batch applier and
/// its background workers, the sweep, replay and retention functions.
/// </summary>
internal static class WebhooksModule
{
    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddTables(WebhookInbox.Table, WebhookArchive.Table, WebhookArchive.ExpiryTable, WebhookArchive.QuarantineTable);
        builder.Services.AddOptions<WebhooksOptions>()
            .BindConfiguration(WebhooksOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<WebhookInbox>();
        builder.Services.AddSingleton<StoredLately>();
        builder.Services.AddSingleton<WebhookArchive>();
        builder.Services.AddSingleton<WebhookHints>();
        builder.Services.AddSingleton<ApplierRate>();
        builder.Services.AddSingleton<ApplierBacklog>();
        builder.Services.AddSingleton<WebhookApplier>();
        builder.Services.AddSingleton<WebhookSweeper>();
        builder.Services.AddSingleton<WebhookQuarantine>();
        builder.Services.AddSingleton<Messaging.IDeadLetterSource>(sp => sp.GetRequiredService<WebhookQuarantine>());
        builder.Services.AddSingleton<WebhookIngestion>();
        builder.Services.AddSingleton<IAccountLinkListener, ParkedEventDrain>();
        builder.Services.AddHostedService<WebhookPageWorker>();
        builder.Services.AddHealthChecks().AddCheck<ApplierLagReadinessCheck>("applier-lag", tags: [Readiness.Tag]);
        return builder;
    }

    public static WebApplication MapWebhooks(this WebApplication app)
    {
        app.MapPost("/api/webhooks/stripe", (HttpContext context, WebhookIngestion ingestion) => WebhookEndpoints.ReceiveAsync(context, WebhookProvider.Stripe, ingestion))
            .WithFunction("StripeWebhook").ExcludeFromDescription();
        app.MapPost("/api/webhooks/segment", (HttpContext context, WebhookIngestion ingestion) => WebhookEndpoints.ReceiveAsync(context, WebhookProvider.Segment, ingestion))
            .WithFunction("SegmentWebhook").ExcludeFromDescription();
        app.MapPost("/api/webhooks/zendesk", (HttpContext context, WebhookIngestion ingestion) => WebhookEndpoints.ReceiveAsync(context, WebhookProvider.Zendesk, ingestion))
            .WithFunction("ZendeskWebhook").ExcludeFromDescription();

        // Re-applies archived events after a mapping or link fix; idempotent (an event's counters go in once).
        app.MapPost("/api/webhooks/replay", WebhookEndpoints.ReplayAsync).WithFunction("WebhookReplay").RequireFunctionKey().ExcludeFromDescription();

        // Timers: apply what is stored but not applied (the process that stored it may have stopped first); trim the archive.
        app.MapInvocation("WebhookSweep", WebhookEndpoints.SweepAsync);
        app.MapInvocation("WebhookRetention", WebhookEndpoints.RetentionAsync);
        return app;
    }
}
