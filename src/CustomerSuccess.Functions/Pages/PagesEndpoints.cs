using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Pages.Views;
using CustomerSuccess.Functions.Playbooks;
using CustomerSuccess.Functions.Renewals;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CustomerSuccess.Functions.Pages;

/// <summary>Thin page endpoints: read the request, call <see cref="DashboardQueries"/> or one command, render or redirect.</summary>
internal static class PagesEndpoints
{
    public const string TrendSnapshotFunction = "DashboardTrendSnapshot";

    public static IEndpointRouteBuilder MapPagesEndpoints(this IEndpointRouteBuilder app)
    {
        // Hourly: the portfolio index and trend row, and the open-alerts index compared with a scan and repaired.
        app.MapInvocation(TrendSnapshotFunction, async (PortfolioTrendStore trend, AlertStore alerts, CancellationToken ct) =>
        {
            var day = await trend.SnapshotAsync(ct);
            var repaired = await alerts.RebuildOpenIndexAsync(ct);
            return Results.Ok(InvocationResponse.Ok($"portfolio trend of {day.Day:yyyy-MM-dd}: {day.Of(null).Values.Sum()} live accounts; open-alerts index: {repaired} row(s) repaired"));
        });

        app.MapGet(DashboardRoutes.Root, async (string? segment, string? csm, string? band, int? page, HttpContext http, DashboardQueries queries, CancellationToken ct) =>
        {
            var query = new PortfolioQuery(
                Enum.TryParse<AccountSegment>(segment, true, out var s) ? s : null,
                string.IsNullOrWhiteSpace(csm) ? null : csm.Trim(),
                Enum.TryParse<HealthBand>(band, true, out var b) ? b : null,
                page ?? 0);
            return Render<PortfolioPageView, PortfolioModel>(http, await queries.PortfolioAsync(query, ct));
        }).WithFunction("DashboardPortfolio").RequireAuthorization();

        app.MapGet(DashboardRoutes.Root + "/accounts/{id}", async (string id, HttpContext http, DashboardQueries queries, CancellationToken ct) =>
            await queries.AccountAsync(id, ct) is { } model ? Render<AccountPageView, AccountModel>(http, model) : Results.NotFound())
            .WithFunction("DashboardAccount").RequireAuthorization();

        app.MapPost(DashboardRoutes.Root + "/accounts/{id}/alerts/{ruleId}/acknowledge", async (string id, string ruleId, [FromForm] string? returnUrl, HttpContext http, AlertCommands commands, CancellationToken ct) =>
            AfterAlertAction(await commands.AcknowledgeAsync(id, ruleId, http.User.UserName(), ct), id, ruleId, returnUrl))
            .WithFunction("DashboardAlertAcknowledge").RequireAuthorization();

        app.MapPost(DashboardRoutes.Root + "/accounts/{id}/alerts/{ruleId}/resolve", async (string id, string ruleId, [FromForm] string? note, [FromForm] string? returnUrl, HttpContext http, AlertCommands commands, CancellationToken ct) =>
            AfterAlertAction(await commands.ResolveAsync(id, ruleId, string.IsNullOrWhiteSpace(note) ? null : note.Trim(), http.User.UserName(), ct), id, ruleId, returnUrl))
            .WithFunction("DashboardAlertResolve").RequireAuthorization();

        // A playbook step done from the account page; back to the task. A closed task (its alert resolved) cannot change.
        app.MapPost(DashboardRoutes.Root + "/accounts/{id}/tasks/{taskId}/steps/{step:int}/complete", async (string id, string taskId, int step, HttpContext http, IAntiforgery antiforgery, PlaybookTasks tasks, CancellationToken ct) =>
        {
            if (await TokenProblemAsync(http, antiforgery) is { } forged)
            {
                return forged;
            }

            if (AccountIds.Problem(id) is not null || !PlaybookTask.IsWellFormedId(taskId) || await tasks.CompleteStepAsync(id, taskId, step, http.User.UserName(), ct) is not { } result
                || result.Status == StepCompletionStatus.NoSuchStep)
            {
                return Results.NotFound();
            }

            return result.Status == StepCompletionStatus.TaskClosed
                ? Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The task is closed: its alert was resolved.")
                : Results.Redirect(DashboardRoutes.Account(id) + "#" + DashboardRoutes.TaskAnchor(taskId));
        }).WithFunction("DashboardTaskStepComplete").RequireAuthorization();

        app.MapPost(DashboardRoutes.Root + "/accounts/{id}/override", async (string id, [FromForm] string? band, [FromForm] string? reason, [FromForm] int? days, [FromForm] string? clear, HttpContext http, HealthQueries health, TimeProvider time, CancellationToken ct) =>
        {
            if (clear is not null)
            {
                await health.ClearOverrideAsync(id, ct);
                return Results.Redirect(DashboardRoutes.Account(id));
            }

            var request = new HealthOverrideRequest(
                Enum.TryParse<HealthBand>(band, true, out var b) ? b : null,
                reason,
                time.GetUtcNow().AddDays(Math.Clamp(days ?? 14, 1, 365)),
                http.User.UserName());
            var (outcome, error) = await health.SetOverrideAsync(id, request, ct);
            return outcome == OverrideOutcome.Saved ? Results.Redirect(DashboardRoutes.Account(id)) : Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: error);
        }).WithFunction("DashboardOverride").RequireAuthorization();

        app.MapGet(DashboardRoutes.MyDay, async (string? csm, int? page, HttpContext http, DashboardQueries queries, CancellationToken ct) =>
            Render<MyDayPageView, MyDayModel>(http, await queries.MyDayAsync(string.IsNullOrWhiteSpace(csm) ? null : csm.Trim(), page, ct)))
            .WithFunction("DashboardMyDay").RequireAuthorization();

        app.MapGet(DashboardRoutes.Alerts, async (string? tier, string? csm, int? page, HttpContext http, DashboardQueries queries, CancellationToken ct) =>
            Render<AlertsPageView, AlertsModel>(http, await queries.AlertsAsync(Enum.TryParse<AlertTier>(tier, true, out var t) ? t : null, string.IsNullOrWhiteSpace(csm) ? null : csm.Trim(), page, ct)))
            .WithFunction("DashboardAlerts").RequireAuthorization();

        app.MapGet(DashboardRoutes.Renewals, async (HttpContext http, RenewalForecastReader renewals, CancellationToken ct) =>
            Render<RenewalsPageView, RenewalForecast>(http, await renewals.ReadAsync(ct)))
            .WithFunction("DashboardRenewals").RequireAuthorization();

        app.MapGet(DashboardRoutes.SignIn, SignInPageAsync).WithFunction("DashboardSignIn");
        app.MapGet(DashboardRoutes.SignInWithKey, SignInWithKeyAsync).WithFunction("DashboardSignInWithKey").RequireFunctionKey();
        // Entra's form post of the ID token: answered by the OpenID Connect handler before any endpoint when Entra
        // sign-in is configured; this endpoint is reached only when it is not.
        app.MapPost(DashboardRoutes.SignInCallback, () => Results.NotFound()).WithFunction("DashboardSignInCallback").DisableAntiforgery();
        // A sign-out another site could post would end the CSM's session mid-task: it takes the form's token too.
        app.MapPost(DashboardRoutes.SignOut, async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (await TokenProblemAsync(http, antiforgery) is { } forged)
            {
                return forged;
            }

            await http.SignOutAsync(DashboardAuth.CookieScheme);
            return Results.Redirect(DashboardRoutes.SignIn);
        }).WithFunction("DashboardSignOut").RequireAuthorization();

        return app;
    }

    /// <summary>
    /// 400 when a form that binds no field (so minimal APIs do not check it) lacks a valid anti-forgery token; null when
    /// the token is good.
    /// </summary>
    private static async Task<IResult?> TokenProblemAsync(HttpContext http, IAntiforgery antiforgery) =>
        await antiforgery.IsRequestValidAsync(http)
            ? null
            : Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The form's anti-forgery token is missing or invalid.");

    /// <summary>
    /// The sign-in page. A link from an email is a navigation from another site, on which the browser does not send a
    /// SameSite=Strict cookie, so the first visit reloads itself once (a same-site navigation, no script needed) to see
    /// whether the user is signed in already; if not, it sends them to Microsoft Entra ID when Entra sign-in is
    /// configured, else shows the form, which goes to <see cref="SignInWithKeyAsync"/>. Entra posts back from its own
    /// site, so the cookie it leaves is not sent on the redirect that follows either: the way back comes through here
    /// without <c>again</c>, and the same-site reload then finds the user signed in.
    /// </summary>
    private static async Task<IResult> SignInPageAsync(string? returnUrl, string? again, HttpContext http, EntraSignInOptions entra)
    {
        var target = DashboardRoutes.LocalOr(returnUrl, DashboardRoutes.Root);
        if ((await http.AuthenticateAsync(DashboardAuth.CookieScheme)).Succeeded)
        {
            return Results.Redirect(target);
        }

        if (again is null)
        {
            return Results.Content(
                $"<!doctype html><meta http-equiv=\"refresh\" content=\"0; url={System.Net.WebUtility.HtmlEncode(DashboardRoutes.SignIn + "?again=1&returnUrl=" + Uri.EscapeDataString(target))}\"><title>Signing in</title>",
                "text/html; charset=utf-8");
        }

        if (entra.Enabled)
        {
            return Results.Challenge(new AuthenticationProperties { RedirectUri = DashboardRoutes.SignIn + "?returnUrl=" + Uri.EscapeDataString(target) }, [DashboardAuth.EntraScheme]);
        }

        return Render<SignInPageView, string>(http, target);
    }

    /// <summary>
    /// Signs the user in: the request got here only with the function key in <c>code</c>, checked by the Functions
    /// host in Azure (authLevel function) and by the app standalone (<see cref="FunctionKeyAuthorization"/>). Not
    /// offered when Entra sign-in is configured.
    /// </summary>
    private static async Task<IResult> SignInWithKeyAsync(string? user, string? returnUrl, HttpContext http, EntraSignInOptions entra)
    {
        if (entra.Enabled)
        {
            // CSMs sign in with their work account; a key shared by a team would hide who did what.
            return Results.NotFound();
        }

        var name = string.IsNullOrWhiteSpace(user) ? "function-key holder" : user.Trim();
        await http.SignInAsync(DashboardAuth.CookieScheme, DashboardAuth.Principal(name, DashboardAuth.CookieScheme));
        return Results.Redirect(DashboardRoutes.LocalOr(returnUrl, DashboardRoutes.Root));
    }

    private static IResult AfterAlertAction((AlertCommandStatus Status, Alert? Alert) result, string accountId, string ruleId, string? returnUrl) => result.Status switch
    {
        AlertCommandStatus.NotFound => Results.NotFound(),
        _ => Results.Redirect(DashboardRoutes.LocalOr(returnUrl, DashboardRoutes.Account(accountId)) + "#" + DashboardRoutes.AlertAnchor(ruleId)),
    };

    /// <summary>The page as HTML, or its model as JSON when the caller asks for <c>application/json</c>.</summary>
    private static IResult Render<TView, TModel>(HttpContext http, TModel model, string? message = null, int status = StatusCodes.Status200OK)
        where TView : Microsoft.AspNetCore.Components.IComponent
    {
        if (DashboardRoutes.WantsJson(http.Request))
        {
            return Results.Json(model, HealthJson.Options, statusCode: status);
        }

        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        var context = new PageContext(http.User.Identity?.IsAuthenticated == true ? http.User.UserName() : string.Empty, tokens.FormFieldName, tokens.RequestToken ?? string.Empty, http.Request.Path + http.Request.QueryString, message);
        http.Response.Headers.CacheControl = "no-store";
        return new RazorComponentResult<TView>(new Dictionary<string, object?> { ["Model"] = model, ["Page"] = context }) { StatusCode = status };
    }
}
