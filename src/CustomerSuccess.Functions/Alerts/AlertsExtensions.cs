using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Alerts;

internal static class AlertsExtensions
{
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        var ownUrl = OwnUrl(builder.Configuration);
        builder.Services.AddTables(AlertStore.DefaultTable, AlertStore.OpenIndexTable, AlertNotifier.LedgerTable, AlertNotifier.DigestTable);
        builder.Services.AddOptions<AlertsOptions>()
            .BindConfiguration(AlertsOptions.SectionName)
            .PostConfigure(options =>
            {
                // The pages are served by the app itself, so the links in alert emails go to the app's own address
                // unless a deployment names another (the Bicep sets the function app's).
                if (string.IsNullOrWhiteSpace(options.DashboardBaseUrl) && ownUrl is not null)
                {
                    options.DashboardBaseUrl = ownUrl;
                }

                if (development)
                {
                    // A laptop run without settings still starts; a deployment without them fails at start.
                    options.EscalationContact = string.IsNullOrWhiteSpace(options.EscalationContact) ? "cs-escalations@localhost.test" : options.EscalationContact;
                    if (options.Rota.Members.Count == 0)
                    {
                        options.Rota.Members.Add("cs-oncall@localhost.test");
                    }
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AlertsOptions>, AlertsOptionsValidator>();
        builder.Services.AddSingleton<AlertStore>();
        builder.Services.AddSingleton<AlertChangeFanOut>();
        // Built on first use: the transition feed (health), email sender (email) and queues (messaging) are
        // registered by their own modules, so only the functions that need them resolve them.
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AlertDispatcher>(sp));
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AlertNotifier>(sp));
        builder.Services.AddSingleton<OpenAlertsCache>();
        builder.Services.AddSingleton<AlertCommands>();

        return builder;
    }

    /// <summary>
    /// The app's own address: in Azure the site's host name (App Service sets WEBSITE_HOSTNAME); under the Functions host
    /// elsewhere the host's default address; standalone the first of --urls / ASPNETCORE_URLS, else the port it listens
    /// on (Hosting__Port, 7071).
    /// </summary>
    internal static string? OwnUrl(IConfiguration configuration)
    {
        if (configuration["WEBSITE_HOSTNAME"] is { Length: > 0 } host)
        {
            return "https://" + host;
        }

        if (!string.IsNullOrEmpty(configuration[HostingMode.CustomHandlerPortSetting]))
        {
            // Under the Functions host outside Azure (Core Tools' `func start`), people reach the app through the host,
            // which listens on 7071 unless told otherwise; the handler's own port is not reachable from a browser.
            return "http://localhost:7071";
        }

        var urls = configuration["urls"] ?? configuration["ASPNETCORE_URLS"];
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return first is not null && Uri.TryCreate(first.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            ? uri.GetLeftPart(UriPartial.Authority)
            : "http://127.0.0.1:" + configuration.GetValue("Hosting:Port", 7071).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static IEndpointRouteBuilder MapAlerts(this IEndpointRouteBuilder app)
    {
        app.MapInvocation("AlertsDispatch", async ([FromServices] AlertDispatcher dispatcher, CancellationToken ct) =>
        {
            var r = await dispatcher.RunAsync(ct);
            return Results.Ok(InvocationResponse.Ok($"transitions={r.TransitionsTaken} changes={r.Changes} sent={r.Sent} deferred={r.SendFailures}"));
        });
        app.MapInvocation("AlertsWatchDigest", async ([FromServices] AlertNotifier notifier, CancellationToken ct) =>
            Results.Ok(InvocationResponse.Ok($"digests={await notifier.SendDigestsAsync(ct)}")));
        foreach (var name in (string[])["AlertsWatch", "AlertsWarning", "AlertsCritical", "AlertsOpportunity"])
        {
            app.MapInvocation(name, async (InvocationRequest request, [FromServices] AlertNotifier notifier, CancellationToken ct) =>
            {
                var delivery = ServiceBusDelivery.From(request, "message");

                // Non-2xx: the queue redelivers and then dead-letters it, where an operator sees it; nobody is notified.
                if (AlertNotifier.TryParse(delivery.Body) is null)
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The message is not an alert notification {kind, alert: {accountId, ruleId, tier, ...}}.");
                }

                await notifier.HandleAsync(delivery, ct);
                return Results.Ok(InvocationResponse.Ok());
            });
        }

        app.MapGet("/api/alerts", async (AlertTier? tier, string? csm, string? account, [FromServices] AlertCommands commands, CancellationToken ct) =>
            Results.Ok(await commands.ListActiveAsync(tier, csm, account, ct)))
            .WithFunction("AlertsList").RequireFunctionKey();
        app.MapPost("/api/alerts/{accountId}/{ruleId}/acknowledge", async (string accountId, string ruleId, AlertActionRequest? body, [FromServices] AlertCommands commands, CancellationToken ct) =>
            ToResult(await commands.AcknowledgeAsync(accountId, ruleId, body?.By, ct)))
            .WithFunction("AlertsAcknowledge").RequireFunctionKey();
        app.MapPost("/api/alerts/{accountId}/{ruleId}/resolve", async (string accountId, string ruleId, AlertActionRequest? body, [FromServices] AlertCommands commands, CancellationToken ct) =>
            ToResult(await commands.ResolveAsync(accountId, ruleId, body?.Note, ct)))
            .WithFunction("AlertsResolve").RequireFunctionKey();

        return app;
    }

    private static IResult ToResult((AlertCommandStatus Status, Alert? Alert) r) => r.Status switch
    {
        AlertCommandStatus.Done => Results.Ok(r.Alert),
        AlertCommandStatus.NotFound => Results.NotFound(),
        _ => Results.Conflict(r.Alert),
    };
}

/// <summary>Body of acknowledge and resolve.</summary>
public sealed record AlertActionRequest(string? By, string? Note);

/// <summary>Checks what data annotations cannot: the time zones exist and the SLAs are positive.</summary>
internal sealed class AlertsOptionsValidator : IValidateOptions<AlertsOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertsOptions options)
    {
        var failures = new List<string>();
        foreach (var (setting, zone) in new[] { ("Alerts:Rota:TimeZone", options.Rota.TimeZone), ("Alerts:WorkingHours:TimeZone", options.WorkingHours.TimeZone) }
            .Concat(options.CsmTimeZones.Select(z => ("Alerts:CsmTimeZones:" + z.Key, z.Value))))
        {
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                failures.Add($"{setting}: unknown time zone '{zone}' (use an IANA id such as Europe/Berlin).");
            }
        }

        foreach (var (setting, value) in new[] { ("Alerts:WatchDue", options.WatchDue), ("Alerts:WarningDue", options.WarningDue), ("Alerts:CriticalDue", options.CriticalDue), ("Alerts:OpportunityDue", options.OpportunityDue) })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{setting} must be positive.");
            }
        }

        if (options.Cooldown < TimeSpan.Zero)
        {
            failures.Add("Alerts:Cooldown must not be negative.");
        }

        if (options.Rota.Members.Count == 0 && options.Rota.Overrides.Count == 0)
        {
            failures.Add("Alerts:Rota:Members must name at least one on-call CSM.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
