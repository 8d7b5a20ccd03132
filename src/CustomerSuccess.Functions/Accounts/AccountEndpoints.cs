using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>Admin endpoints of identity resolution (function-key auth): link an external id, list unlinked ones.</summary>
internal static class AccountEndpoints
{
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        // The model's event names are read from configuration, not IOptions<HealthOptions>: resolving that here ran
        // the model's validation a second time, so one invalid setting failed the start with two identical errors.
        builder.Services.AddOptions<SignalsOptions>().BindConfiguration(SignalsOptions.SectionName)
            // Bound afresh rather than through IOptions<HealthOptions>: an invalid health model is then reported once, by health.
            .PostConfigure<IConfiguration>((signals, configuration) => signals.IncludeWhatTheModelReads(configuration.GetSection(HealthOptions.SectionName).Get<HealthOptions>() ?? new HealthOptions()))
            .ValidateOnStart();
        builder.Services.AddSingleton<AccountIdentity>();
        builder.Services.AddTables(AccountIdentity.LinksTable, AccountIdentity.PendingTable, AccountIdentity.DirectoryTable, AccountSignalWriter.Table, AccountDigestStore.Table);
        builder.Services.AddSingleton<AccountSignalWriter>();
        builder.Services.AddSingleton<AccountEventApplier>();
        builder.Services.AddSingleton<AccountSignalReader>();
        builder.Services.AddSingleton<IAccountSignalSource>(sp => sp.GetRequiredService<AccountSignalReader>());
        return builder;
    }

    public static WebApplication MapAccounts(this WebApplication app)
    {
        app.MapPost("/api/accounts/links", LinkAsync).WithFunction("AccountLink").RequireFunctionKey().ExcludeFromDescription();
        app.MapGet("/api/accounts/unlinked", ListUnlinkedAsync).WithFunction("UnlinkedAccountIds").RequireFunctionKey().ExcludeFromDescription();
        return app;
    }

    internal sealed record LinkRequest(string? AccountId, string? Kind, string? ExternalId);

    private static async Task<IResult> LinkAsync(LinkRequest request, AccountEventApplier applier, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.AccountId) || string.IsNullOrWhiteSpace(request.ExternalId) || request.Kind is null || !ExternalIdKinds.All.Contains(request.Kind))
        {
            return Results.Json(new { error = "accountId, externalId and kind (" + string.Join(", ", ExternalIdKinds.All) + ") are required" }, statusCode: StatusCodes.Status400BadRequest);
        }

        var accountId = request.AccountId.Trim();
        if (AccountIds.Problem(accountId) is { } problem)
        {
            return Results.Json(new { error = "accountId " + problem }, statusCode: StatusCodes.Status400BadRequest);
        }

        if (request.ExternalId.Length > Webhooks.AccountEventLimits.MaxIdLength)
        {
            return Results.Json(new { error = $"externalId is longer than {Webhooks.AccountEventLimits.MaxIdLength} characters" }, statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            var (outcome, owner, applied) = await applier.LinkAsync(accountId, request.Kind, request.ExternalId.Trim(), cancellationToken);
            return outcome == LinkOutcome.LinkedToAnotherAccount
                ? Results.Json(new { error = "already linked to another account", accountId = owner }, statusCode: StatusCodes.Status409Conflict)
                : Results.Json(new { status = outcome == LinkOutcome.Linked ? "linked" : "already linked", accountId = owner, appliedPendingEvents = applied });
        }
        catch (TableStorageUnavailableException)
        {
            return Results.Json(new { error = "storage unavailable, retry later" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> ListUnlinkedAsync(AccountIdentity identity, CancellationToken cancellationToken)
    {
        try
        {
            return Results.Json(await identity.ListUnlinkedAsync(cancellationToken));
        }
        catch (TableStorageUnavailableException)
        {
            return Results.Json(new { error = "storage unavailable, retry later" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
