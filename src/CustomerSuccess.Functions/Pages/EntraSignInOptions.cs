namespace CustomerSuccess.Functions.Pages;

/// <summary>
/// Sign-in to the pages with a Microsoft Entra ID work account (section <c>Dashboard:Entra</c>), through OpenID
/// Connect in the app: App Service Authentication is not supported on the Flex Consumption plan (docs/deploy.md).
/// Set <see cref="TenantId"/> and <see cref="ClientId"/> (an app registration whose web redirect URI is
/// <c>{app}/api/dashboard/signin-oidc</c>, with ID token issuance on) and CSMs sign in with their work account; leave
/// both empty and the function key signs a user in, as standalone. The app asks only for an ID token (form post),
/// so it holds no client secret.
/// </summary>
public sealed class EntraSignInOptions
{
    public const string SectionName = "Dashboard:Entra";

    /// <summary>The directory (tenant) id: only its accounts can sign in (the token's issuer is checked against it).</summary>
    public string? TenantId { get; set; }

    /// <summary>The app registration's application (client) id: the audience of the ID token.</summary>
    public string? ClientId { get; set; }

    /// <summary>The Entra sign-in endpoint; another cloud's (for example <c>https://login.microsoftonline.us/</c>) for a sovereign cloud.</summary>
    public string Instance { get; set; } = "https://login.microsoftonline.com/";

    /// <summary>
    /// The address users reach the app at, for the redirect URI Entra posts the ID token back to
    /// (<c>{PublicBaseUrl}/api/dashboard/signin-oidc</c>). Unset: <c>https://{WEBSITE_HOSTNAME}</c> in Azure, where the
    /// Functions host forwards requests to the app over plain HTTP and the request alone would name the wrong scheme;
    /// elsewhere the request's own address.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(TenantId) || !string.IsNullOrWhiteSpace(ClientId);

    /// <summary>The OpenID Connect authority: <c>{Instance}{TenantId}/v2.0</c>.</summary>
    public string Authority => Instance.TrimEnd('/') + "/" + TenantId!.Trim() + "/v2.0";

    /// <summary>Only a loopback authority (a test's stand-in) may be plain HTTP.</summary>
    public bool AuthorityIsLoopback => Uri.TryCreate(Instance, UriKind.Absolute, out var uri) && uri.IsLoopback;

    /// <summary>The settings read at start, or a message naming what is wrong with them.</summary>
    public static EntraSignInOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(SectionName).Get<EntraSignInOptions>() ?? new EntraSignInOptions();
        if (!options.Enabled)
        {
            return options;
        }

        if (string.IsNullOrWhiteSpace(options.PublicBaseUrl) && configuration["WEBSITE_HOSTNAME"] is { Length: > 0 } site)
        {
            options.PublicBaseUrl = "https://" + site;
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.TenantId) || (!Guid.TryParse(options.TenantId, out _) && Uri.CheckHostName(options.TenantId.Trim()) != UriHostNameType.Dns))
        {
            errors.Add("Dashboard__Entra__TenantId must be the directory id (a GUID) or its domain when Dashboard__Entra__ClientId is set.");
        }

        if (!Guid.TryParse(options.ClientId, out _))
        {
            errors.Add("Dashboard__Entra__ClientId must be the app registration's application id (a GUID) when Dashboard__Entra__TenantId is set.");
        }

        if (!Uri.TryCreate(options.Instance, UriKind.Absolute, out var instance) || (instance.Scheme != Uri.UriSchemeHttps && !(instance.Scheme == Uri.UriSchemeHttp && instance.IsLoopback)))
        {
            errors.Add($"Dashboard__Entra__Instance must be an https address, not '{options.Instance}'.");
        }

        if (options.PublicBaseUrl is { } publicBase && !Uri.TryCreate(publicBase, UriKind.Absolute, out _))
        {
            errors.Add($"Dashboard__Entra__PublicBaseUrl must be an absolute address, not '{publicBase}'.");
        }

        return errors.Count == 0 ? options : throw new InvalidOperationException("Entra sign-in is not configured correctly: " + string.Join(" ", errors));
    }
}
