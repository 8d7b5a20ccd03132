namespace CustomerSuccess.Functions.Pages;

/// <summary>
/// Where the pages live. Under the Functions host every HTTP function is under the route prefix <c>/api</c>
/// (host.json), so the pages are too; each route has its function.json (anonymous: the app signs users in).
/// </summary>
public static class DashboardRoutes
{
    public const string Root = "/api/dashboard";
    public const string SignIn = Root + "/signin";
    public const string SignInWithKey = SignIn + "/key";
    public const string SignInCallback = Root + "/signin-oidc";
    public const string SignOut = Root + "/signout";
    public const string MyDay = Root + "/my-day";
    public const string Alerts = Root + "/alerts";
    public const string Renewals = Root + "/renewals";

    public static string Account(string accountId) => Root + "/accounts/" + Uri.EscapeDataString(accountId);

    public static string AlertAnchor(string ruleId) => "alert-" + ruleId;

    public static string AlertAction(string accountId, string ruleId, string action) =>
        Account(accountId) + "/alerts/" + Uri.EscapeDataString(ruleId) + "/" + action;

    public static string Override(string accountId) => Account(accountId) + "/override";

    public static string TaskAnchor(string taskId) => "task-" + taskId;

    public static string TaskStepComplete(string accountId, string taskId, int step) =>
        Account(accountId) + "/tasks/" + Uri.EscapeDataString(taskId) + "/steps/" + step.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/complete";

    /// <summary>The JSON twin of a page: asked for with <c>Accept: application/json</c>.</summary>
    public static bool WantsJson(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Only a path of this app's pages may be returned to, never another site.</summary>
    public static string LocalOr(string? returnUrl, string fallback) =>
        returnUrl is { Length: > 1 } url && url.StartsWith(Root, StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal)
            ? url
            : fallback;
}

/// <summary>What every page needs besides its model: who is signed in, the anti-forgery token for its forms, and its own address.</summary>
public sealed record PageContext(string User, string AntiforgeryField, string AntiforgeryToken, string CurrentUrl, string? Message = null);
