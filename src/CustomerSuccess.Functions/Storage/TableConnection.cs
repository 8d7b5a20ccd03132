namespace CustomerSuccess.Functions.Storage;

/// <summary>How to reach the Table service: the endpoint and either an account key or a token credential.</summary>
internal sealed record TableConnection(Uri Endpoint, string? AccountName, string? AccountKey, TableCredentialKind CredentialKind, string? ClientId)
{
    /// <summary>Azurite's well-known development account and key (public, documented; not a secret).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static readonly Uri DevelopmentEndpoint = new("http://127.0.0.1:10002/devstoreaccount1");

    public bool UsesSharedKey => CredentialKind == TableCredentialKind.SharedKey;

    /// <summary>
    /// Reads the settings the Functions host uses: <c>AzureWebJobsStorage</c> as a connection string, or the
    /// identity-based <c>AzureWebJobsStorage__tableServiceUri</c> (or <c>__accountName</c>) with
    /// <c>__credential</c> and <c>__clientId</c>. Returns an error naming the setting when neither is usable.
    /// </summary>
    public static bool TryCreate(TableStorageOptions options, out TableConnection? connection, out string? error)
    {
        ArgumentNullException.ThrowIfNull(options);
        connection = null;
        error = null;

        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return TryParseConnectionString(options.ConnectionString, out connection, out error);
        }

        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(options.TableServiceUri))
        {
            if (!Uri.TryCreate(options.TableServiceUri.Trim(), UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("https" or "http"))
            {
                error = $"Setting '{TableStorageOptions.SettingName}__tableServiceUri' is not an absolute http(s) URI.";
                return false;
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.AccountName))
        {
            endpoint = new Uri($"https://{options.AccountName.Trim()}.table.core.windows.net");
        }

        if (endpoint is null)
        {
            error = $"Table storage is not configured: set '{TableStorageOptions.SettingName}' to a connection string (or 'UseDevelopmentStorage=true'), or '{TableStorageOptions.SettingName}__tableServiceUri' with '{TableStorageOptions.SettingName}__credential=managedidentity' for identity-based access.";
            return false;
        }

        var kind = string.Equals(options.Credential?.Trim(), "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? TableCredentialKind.ManagedIdentity
            : TableCredentialKind.Default;
        if (!string.IsNullOrWhiteSpace(options.Credential) && kind != TableCredentialKind.ManagedIdentity)
        {
            error = $"Setting '{TableStorageOptions.SettingName}__credential' is '{options.Credential}'; the only supported value is 'managedidentity' (omit it to use the default credential chain).";
            return false;
        }

        connection = new TableConnection(TrimSlash(endpoint), null, null, kind, string.IsNullOrWhiteSpace(options.ClientId) ? null : options.ClientId.Trim());
        return true;
    }

    public static bool TryParseConnectionString(string connectionString, out TableConnection? connection, out string? error)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        connection = null;
        error = null;
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = segment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                error = $"Setting '{TableStorageOptions.SettingName}' is not a valid connection string: expected key=value pairs separated by ';'.";
                return false;
            }

            // Account keys end in '=' padding: split at the first '=' only.
            parts[segment[..eq].Trim()] = segment[(eq + 1)..].Trim();
        }

        if (parts.TryGetValue("UseDevelopmentStorage", out var dev) && bool.TryParse(dev, out var useDev) && useDev)
        {
            var devEndpoint = DevelopmentEndpoint;
            if (parts.TryGetValue("DevelopmentStorageProxyUri", out var proxy) && Uri.TryCreate(proxy, UriKind.Absolute, out var proxyUri))
            {
                devEndpoint = new Uri($"{proxyUri.Scheme}://{proxyUri.Host}:10002/{DevelopmentAccountName}");
            }

            connection = new TableConnection(devEndpoint, DevelopmentAccountName, DevelopmentAccountKey, TableCredentialKind.SharedKey, null);
            return true;
        }

        parts.TryGetValue("AccountName", out var account);
        parts.TryGetValue("AccountKey", out var key);
        if (string.IsNullOrEmpty(key))
        {
            error = parts.ContainsKey("SharedAccessSignature")
                ? $"Setting '{TableStorageOptions.SettingName}' uses a shared access signature, which this app does not support; use an account key or identity-based settings."
                : $"Setting '{TableStorageOptions.SettingName}' has no AccountKey.";
            return false;
        }

        if (!IsBase64(key))
        {
            error = $"Setting '{TableStorageOptions.SettingName}' has an AccountKey that is not valid base64.";
            return false;
        }

        Uri? endpoint;
        if (parts.TryGetValue("TableEndpoint", out var tableEndpoint) && !string.IsNullOrEmpty(tableEndpoint))
        {
            if (!Uri.TryCreate(tableEndpoint, UriKind.Absolute, out endpoint))
            {
                error = $"Setting '{TableStorageOptions.SettingName}' has a TableEndpoint that is not an absolute URI.";
                return false;
            }

            account ??= AccountFromEndpoint(endpoint);
        }
        else
        {
            if (string.IsNullOrEmpty(account))
            {
                error = $"Setting '{TableStorageOptions.SettingName}' has neither AccountName nor TableEndpoint.";
                return false;
            }

            var protocol = parts.TryGetValue("DefaultEndpointsProtocol", out var p) && !string.IsNullOrEmpty(p) ? p.ToLowerInvariant() : "https";
            if (protocol is not ("https" or "http"))
            {
                error = $"Setting '{TableStorageOptions.SettingName}' has DefaultEndpointsProtocol '{p}'; expected http or https.";
                return false;
            }

            var suffix = parts.TryGetValue("EndpointSuffix", out var s) && !string.IsNullOrEmpty(s) ? s : "core.windows.net";
            endpoint = new Uri($"{protocol}://{account}.table.{suffix}");
        }

        if (string.IsNullOrEmpty(account))
        {
            error = $"Setting '{TableStorageOptions.SettingName}' has no AccountName and the TableEndpoint does not name one.";
            return false;
        }

        connection = new TableConnection(TrimSlash(endpoint), account, key, TableCredentialKind.SharedKey, null);
        return true;
    }

    private static string? AccountFromEndpoint(Uri endpoint)
    {
        // Path style (Azurite, IP endpoints): http://127.0.0.1:10002/account. Host style: account.table.core.windows.net.
        var firstSegment = endpoint.AbsolutePath.Trim('/').Split('/')[0];
        if (!string.IsNullOrEmpty(firstSegment))
        {
            return firstSegment;
        }

        var dot = endpoint.Host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && endpoint.HostNameType == UriHostNameType.Dns ? endpoint.Host[..dot] : null;
    }

    private static bool IsBase64(string value)
    {
        Span<byte> buffer = stackalloc byte[256];
        return value.Length <= 340 && Convert.TryFromBase64String(value, buffer, out _);
    }

    private static Uri TrimSlash(Uri uri) => new(uri.AbsoluteUri.TrimEnd('/'));
}

internal enum TableCredentialKind
{
    SharedKey,
    ManagedIdentity,
    Default,
}
