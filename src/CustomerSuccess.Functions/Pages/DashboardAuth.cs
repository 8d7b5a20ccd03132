using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using CustomerSuccess.Functions.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Pages;

/// <summary>
/// Who may see the pages, and who did what on them.
/// <list type="bullet">
/// <item>The function key signs a user in once (<c>/api/dashboard/signin/key?code=</c>: checked by the Functions
/// host in Azure, by the app standalone) and a signed cookie (Data Protection; HttpOnly, SameSite=Strict) keeps
/// them signed in.</item>
/// <item>Standalone, tools may send the key as <c>x-functions-key</c> on each request instead.</item>
/// <item>With <see cref="EntraSignInOptions"/> set, CSMs sign in with their Microsoft Entra ID work account instead
/// (OpenID Connect, an ID token posted to <c>/api/dashboard/signin-oidc</c>), and the same cookie keeps them signed
/// in; the function key no longer signs anyone in to the pages.</item>
/// <item>No header naming a user is trusted: App Service Authentication is not supported on the Flex Consumption
/// plan (docs/deploy.md), so under the host such headers may come from anyone.</item>
/// </list>
/// </summary>
public static class DashboardAuth
{
    public const string Scheme = "Dashboard";
    public const string CookieScheme = "DashboardCookie";
    public const string FunctionKeyScheme = "DashboardFunctionKey";
    public const string EntraScheme = "DashboardEntra";
    public const string CookieName = "cs-dashboard";

    public static void AddDashboardAuthentication(this IServiceCollection services, HostingMode mode, EntraSignInOptions entra)
    {
        ArgumentNullException.ThrowIfNull(entra);
        var authentication = services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Dashboard", o => o.ForwardDefaultSelector = context =>
                !mode.UnderFunctionsHost && context.Request.Headers.ContainsKey(FunctionKeyAuthorization.KeyHeader) ? FunctionKeyScheme : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.Path = DashboardRoutes.Root;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                // Under the host the app sees the host's plain-HTTP forward of an HTTPS request: the cookie is Secure there.
                o.Cookie.SecurePolicy = mode.UnderFunctionsHost ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.LoginPath = DashboardRoutes.SignIn;
                o.ReturnUrlParameter = "returnUrl";
                o.Events.OnRedirectToLogin = context =>
                {
                    if (DashboardRoutes.WantsJson(context.Request))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        return Task.CompletedTask;
                    }

                    context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                };
            })
            .AddScheme<AuthenticationSchemeOptions, FunctionKeyPrincipalHandler>(FunctionKeyScheme, null);
        if (entra.Enabled)
        {
            authentication.AddOpenIdConnect(EntraScheme, o => ConfigureEntra(o, mode, entra));
        }

        services.AddSingleton(entra);
        services.AddAuthorization();
    }

    /// <summary>
    /// Sign-in only: an ID token by form post (no client secret, no access token), from the tenant's own authority
    /// (so its issuer is checked), for this app registration (its audience). The user's name on what they change is
    /// the token's <c>preferred_username</c> (their sign-in address).
    /// </summary>
    private static void ConfigureEntra(OpenIdConnectOptions o, HostingMode mode, EntraSignInOptions entra)
    {
        o.Authority = entra.Authority;
        o.ClientId = entra.ClientId;
        o.RequireHttpsMetadata = !entra.AuthorityIsLoopback;
        o.ResponseType = OpenIdConnectResponseType.IdToken;
        o.ResponseMode = OpenIdConnectResponseMode.FormPost;
        o.CallbackPath = DashboardRoutes.SignInCallback;
        o.SignInScheme = CookieScheme;
        o.Scope.Clear();
        o.Scope.Add("openid");
        o.Scope.Add("profile");
        o.Scope.Add("email");
        o.MapInboundClaims = false;
        o.GetClaimsFromUserInfoEndpoint = false;
        o.SaveTokens = false;
        o.TokenValidationParameters.NameClaimType = "preferred_username";
        // The provider posts back from its own site: these two short-lived cookies must travel on that cross-site post.
        foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
        {
            cookie.Path = DashboardRoutes.Root;
            cookie.SameSite = SameSiteMode.None;
            cookie.SecurePolicy = mode.UnderFunctionsHost ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        }

        if (entra.PublicBaseUrl is { } publicBase)
        {
            var redirectUri = publicBase.TrimEnd('/') + DashboardRoutes.SignInCallback;
            o.Events.OnRedirectToIdentityProvider = context =>
            {
                context.ProtocolMessage.RedirectUri = redirectUri;
                return Task.CompletedTask;
            };
        }

        o.Events.OnRemoteFailure = context =>
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.HandleResponse();
            return context.Response.WriteAsync("Sign-in with Microsoft Entra ID did not complete: " + context.Failure?.Message);
        };
    }

    /// <summary>The signed-in user's name as recorded on what they change.</summary>
    public static string UserName(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Identity?.Name is { Length: > 0 } name ? name : "unknown";
    }

    internal static bool IsFunctionKey(IOptions<FunctionKeyOptions> options, string? presented) =>
        options.Value.Default is { Length: > 0 } expected && presented is not null &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));

    internal static ClaimsPrincipal Principal(string name, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], scheme));
}

/// <summary>Standalone tools: the function key in <c>x-functions-key</c> on each request.</summary>
internal sealed class FunctionKeyPrincipalHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<FunctionKeyOptions> keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(DashboardAuth.IsFunctionKey(keys, Request.Headers[FunctionKeyAuthorization.KeyHeader])
            ? AuthenticateResult.Success(new AuthenticationTicket(DashboardAuth.Principal("function-key", Scheme.Name), Scheme.Name))
            : AuthenticateResult.Fail("The function key is not valid."));
}
