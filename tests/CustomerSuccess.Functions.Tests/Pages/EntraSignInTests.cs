using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Pages;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CustomerSuccess.Functions.Tests.Pages;

/// <summary>
/// Sign-in with a Microsoft Entra ID work account, end to end through the real pipeline: a stand-in authority on
/// loopback serves the OpenID Connect discovery document and its signing key, the test plays the browser and the
/// user (following the app's redirects, posting back the ID token the authority would issue), and the app's pages
/// then know the user by their sign-in address and record it on what they change.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class EntraSignInTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Tenant = "8d6b7f3a-1c2e-4f5a-9b8c-7d6e5f4a3b2c";
    private const string Client = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    private const string Csm = "dana.csm@contoso.example";

    private readonly RSA _signingKey = RSA.Create(2048);
    private WebApplication _authority = null!;
    private string _instance = null!;
    private DashboardApp _app = null!;

    private string Issuer => _instance + Tenant + "/v2.0";

    public async Task InitializeAsync()
    {
        _authority = StandInAuthority();
        await _authority.StartAsync();
        _instance = _authority.Urls.Single().TrimEnd('/') + "/";
        _app = await DashboardApp.StartAsync(azurite, settings: new Dictionary<string, string>
        {
            ["Dashboard:Entra:TenantId"] = Tenant,
            ["Dashboard:Entra:ClientId"] = Client,
            ["Dashboard:Entra:Instance"] = _instance,
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _authority.DisposeAsync();
        _signingKey.Dispose();
    }

    [Fact]
    public async Task SignIn_WithAWorkAccount_PagesKnowTheUserAndRecordThemOnActions()
    {
        using var browser = _app.Anonymous();

        var authorize = await FollowToTheAuthorityAsync(browser, "/api/dashboard/accounts/" + Uri.EscapeDataString(_app.Seed.Red));
        using var callback = await PostIdTokenAsync(browser, authorize, Token(authorize["nonce"], Client, _signingKey));
        var signedIn = await FollowAsync(browser, callback.Headers.Location!.OriginalString);
        var page = await browser.GetStringAsync(new Uri(signedIn, UriKind.Relative));
        using var ack = await browser.PostAsync(
            new Uri($"/api/dashboard/accounts/{_app.Seed.Red}/alerts/{AlertRules.HealthBand}/acknowledge", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = DashboardApp.TokenOf(page) }));
        var acknowledged = await _app.Factory.Services.GetRequiredService<AlertStore>().GetAsync(_app.Seed.Red, AlertRules.HealthBand, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Contains(callback.Headers.GetValues("Set-Cookie"), c => c.StartsWith(DashboardAuth.CookieName + "=", StringComparison.Ordinal));
        Assert.Equal("/api/dashboard/accounts/" + _app.Seed.Red, signedIn);
        Assert.Contains(Csm, page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, ack.StatusCode);
        Assert.Equal((AlertStatus.Acknowledged, Csm), (acknowledged!.Status, acknowledged.AcknowledgedBy));
    }

    [Fact]
    public async Task SignIn_TokenSignedByAnotherKey_RefusedAndNotSignedIn()
    {
        using var browser = _app.Anonymous();
        using var stranger = RSA.Create(2048);

        var authorize = await FollowToTheAuthorityAsync(browser, "/api/dashboard");
        using var callback = await PostIdTokenAsync(browser, authorize, Token(authorize["nonce"], Client, stranger));
        using var after = await browser.GetAsync(new Uri("/api/dashboard", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, callback.StatusCode);
        Assert.False(callback.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(DashboardAuth.CookieName + "=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task SignIn_TokenForAnotherApp_Refused()
    {
        using var browser = _app.Anonymous();

        var authorize = await FollowToTheAuthorityAsync(browser, "/api/dashboard");
        using var callback = await PostIdTokenAsync(browser, authorize, Token(authorize["nonce"], "11111111-2222-3333-4444-555555555555", _signingKey));

        Assert.Equal(HttpStatusCode.Unauthorized, callback.StatusCode);
    }

    [Fact]
    public async Task SignInWithTheFunctionKey_NotOfferedWhenEntraIsConfigured()
    {
        using var browser = _app.Anonymous();

        using var response = await browser.GetAsync(new Uri($"/api/dashboard/signin/key?code={DashboardApp.Key}&user=someone&returnUrl=%2Fapi%2Fdashboard", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public void Options_InAzure_RedirectUriOnTheSitesHttpsAddress()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:Entra:TenantId"] = Tenant,
            ["Dashboard:Entra:ClientId"] = Client,
            ["WEBSITE_HOSTNAME"] = "cs-pages.azurewebsites.net",
        }).Build();

        Assert.Equal("https://cs-pages.azurewebsites.net", EntraSignInOptions.From(configuration).PublicBaseUrl);
    }

    [Fact]
    public async Task SignIn_WithAPublicBaseUrl_EntraPostsBackThere()
    {
        await using var app = await DashboardApp.StartAsync(azurite, settings: new Dictionary<string, string>
        {
            ["Dashboard:Entra:TenantId"] = Tenant,
            ["Dashboard:Entra:ClientId"] = Client,
            ["Dashboard:Entra:Instance"] = _instance,
            ["Dashboard:Entra:PublicBaseUrl"] = "https://cs.example.net",
        });
        using var browser = app.Anonymous();

        using var response = await browser.GetAsync(new Uri("/api/dashboard/signin?again=1&returnUrl=%2Fapi%2Fdashboard", UriKind.Relative));
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);

        Assert.Equal("https://cs.example.net/api/dashboard/signin-oidc", query["redirect_uri"].ToString());
    }

    [Theory]
    [InlineData(Tenant, null, "Dashboard__Entra__ClientId")]
    [InlineData(null, Client, "Dashboard__Entra__TenantId")]
    [InlineData(Tenant, "not-a-guid", "Dashboard__Entra__ClientId")]
    public void Options_HalfConfigured_StartFailsNamingTheSetting(string? tenant, string? client, string named)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:Entra:TenantId"] = tenant,
            ["Dashboard:Entra:ClientId"] = client,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => EntraSignInOptions.From(configuration));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_PlainHttpAuthorityOffLoopback_Refused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:Entra:TenantId"] = Tenant,
            ["Dashboard:Entra:ClientId"] = Client,
            ["Dashboard:Entra:Instance"] = "http://login.example.com/",
        }).Build();

        Assert.Contains("Dashboard__Entra__Instance", Assert.Throws<InvalidOperationException>(() => EntraSignInOptions.From(configuration)).Message, StringComparison.Ordinal);
    }

    /// <summary>Plays the browser from a page to Entra's authorize endpoint: the sign-in redirect, the same-site reload, the challenge.</summary>
    private async Task<Dictionary<string, string>> FollowToTheAuthorityAsync(HttpClient browser, string page)
    {
        using var first = await browser.GetAsync(new Uri(page, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        var location = first.Headers.Location!.OriginalString;
        for (var hop = 0; hop < 4 && !location.StartsWith(_instance, StringComparison.Ordinal); hop++)
        {
            using var next = await browser.GetAsync(new Uri(location, UriKind.RelativeOrAbsolute));
            if (next.StatusCode == HttpStatusCode.OK)
            {
                // The same-site reload of the sign-in page (a meta refresh).
                var html = await next.Content.ReadAsStringAsync();
                location = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "url=([^\"]+)\"").Groups[1].Value);
                continue;
            }

            location = next.Headers.Location!.OriginalString;
        }

        Assert.StartsWith(_instance + Tenant + "/oauth2/v2.0/authorize", location, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(new Uri(location).Query).ToDictionary(q => q.Key, q => q.Value.ToString());
        Assert.Equal(Client, query["client_id"]);
        Assert.Equal("id_token", query["response_type"]);
        Assert.Equal("form_post", query["response_mode"]);
        Assert.EndsWith("/api/dashboard/signin-oidc", query["redirect_uri"], StringComparison.Ordinal);
        return query;
    }

    /// <summary>What Entra's form post does: the ID token and the state, to the redirect URI.</summary>
    private static Task<HttpResponseMessage> PostIdTokenAsync(HttpClient browser, Dictionary<string, string> authorize, string idToken) =>
        browser.PostAsync(new Uri(new Uri(authorize["redirect_uri"]).PathAndQuery, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token"] = idToken, ["state"] = authorize["state"] }));

    /// <summary>Follows redirects within the app until a page answers 200; returns that page's path.</summary>
    private static async Task<string> FollowAsync(HttpClient browser, string location)
    {
        for (var hop = 0; hop < 5; hop++)
        {
            using var response = await browser.GetAsync(new Uri(location, UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK && !(await response.Content.ReadAsStringAsync()).Contains("http-equiv=\"refresh\"", StringComparison.Ordinal))
            {
                return location;
            }

            location = response.StatusCode == HttpStatusCode.OK
                ? WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(await response.Content.ReadAsStringAsync(), "url=([^\"]+)\"").Groups[1].Value)
                : response.Headers.Location!.OriginalString;
        }

        throw new InvalidOperationException("too many redirects after sign-in");
    }

    private string Token(string nonce, string audience, RSA key)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", "dana-subject"), new Claim("tid", Tenant), new Claim("preferred_username", Csm), new Claim("name", "Dana CSM"), new Claim("nonce", nonce)]),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "stand-in" }, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The authority's two documents the app reads: discovery and the signing keys (JWKS).</summary>
    private WebApplication StandInAuthority()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = _instance + tenant + "/oauth2/v2.0/authorize",
            ["token_endpoint"] = _instance + tenant + "/oauth2/v2.0/token",
            ["jwks_uri"] = _instance + tenant + "/discovery/v2.0/keys",
            ["response_types_supported"] = new[] { "code", "id_token", "code id_token" },
            ["response_modes_supported"] = new[] { "query", "fragment", "form_post" },
            ["subject_types_supported"] = new[] { "pairwise" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["scopes_supported"] = new[] { "openid", "profile", "email" },
        }));
        app.MapGet("/{tenant}/discovery/v2.0/keys", () =>
        {
            var parameters = _signingKey.ExportParameters(includePrivateParameters: false);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", kid = "stand-in", alg = "RS256", n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) } } });
        });
        return app;
    }
}
