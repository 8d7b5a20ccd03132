using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// The rules every deployment of infra/ must satisfy, as checks over a <see cref="DeploymentSnapshot"/>. Each returns
/// the problems it finds (empty when the deployment satisfies it), so <see cref="InfraCheckSelfTests"/> can feed it a
/// small snapshot that breaks the rule.
/// </summary>
internal static partial class SecurityBaseline
{
    public const string Workspace = "Microsoft.OperationalInsights/workspaces";
    public const string DiagnosticSettings = "Microsoft.Insights/diagnosticSettings";
    public const string UserAssignedIdentity = "Microsoft.ManagedIdentity/userAssignedIdentities";

    /// <summary>A resource type the catalog does not know: someone must decide its diagnostics and TLS settings.</summary>
    public static IEnumerable<string> UnclassifiedTypes(DeploymentSnapshot snapshot) =>
        snapshot.Resources.Select(r => r.Type).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(t => ResourceCatalog.Find(t) is null)
            .Select(t => $"{t}: not in ResourceCatalog; add it with its diagnostics and TLS settings");

    /// <summary>Every resource that has logs or metrics sends all of them to the one Log Analytics workspace.</summary>
    public static IEnumerable<string> DiagnosticsProblems(DeploymentSnapshot snapshot)
    {
        var workspaces = snapshot.OfType(Workspace).ToList();
        if (workspaces.Count != 1)
        {
            yield return $"expected one Log Analytics workspace, found {workspaces.Count}";
            yield break;
        }

        var workspaceId = workspaces[0].Id;
        var settings = snapshot.OfType(DiagnosticSettings).ToList();
        foreach (var setting in settings.Where(s => !string.Equals(s.Text("properties.workspaceId"), workspaceId, StringComparison.OrdinalIgnoreCase)))
        {
            yield return $"{setting.Id}: sends to {setting.Text("properties.workspaceId") ?? "no workspace"}, not {workspaceId}";
        }

        foreach (var resource in snapshot.Resources)
        {
            var kind = ResourceCatalog.Find(resource.Type);
            if (kind is null)
            {
                continue;
            }

            if (kind.Diagnostics == Diagnostics.StoredInWorkspace)
            {
                if (!string.Equals(resource.Text(kind.WorkspaceProperty!), workspaceId, StringComparison.OrdinalIgnoreCase))
                {
                    yield return $"{resource.Id}: {kind.WorkspaceProperty} must be the workspace {workspaceId}";
                }

                continue;
            }

            if (kind.Diagnostics is not (Diagnostics.LogsAndMetrics or Diagnostics.MetricsOnly))
            {
                continue;
            }

            var own = settings.Where(s => s.Scope.Equals(resource.Id, StringComparison.OrdinalIgnoreCase)).ToList();
            if (own.Count == 0)
            {
                yield return $"{resource.Id}: no diagnostic setting";
                continue;
            }

            if (kind.Diagnostics == Diagnostics.LogsAndMetrics && !own.Any(s => Enables(s, "logs", "categoryGroup", "allLogs")))
            {
                yield return $"{resource.Id}: no diagnostic setting sends the allLogs category group";
            }

            if (!own.Any(s => Enables(s, "metrics", "category", "AllMetrics")))
            {
                yield return $"{resource.Id}: no diagnostic setting sends AllMetrics";
            }
        }
    }

    /// <summary>Key Vault: access by Azure RBAC only, and deleted secrets recoverable for the whole retention (purge protection).</summary>
    public static IEnumerable<string> KeyVaultProblems(DeploymentSnapshot snapshot) =>
        Require(snapshot, "Microsoft.KeyVault/vaults",
            ("properties.enableRbacAuthorization", "true"),
            ("properties.enableSoftDelete", "true"),
            ("properties.enablePurgeProtection", "true"));

    /// <summary>Storage: Entra ID only (no shared keys, no SAS signed with them) and nothing readable anonymously.</summary>
    public static IEnumerable<string> StorageProblems(DeploymentSnapshot snapshot) =>
        Require(snapshot, "Microsoft.Storage/storageAccounts",
            ("properties.allowSharedKeyAccess", "false"),
            ("properties.allowBlobPublicAccess", "false"))
        .Concat(Require(snapshot, "Microsoft.Storage/storageAccounts/blobServices/containers", ("properties.publicAccess", "None")));

    /// <summary>Local (key-based) authentication off wherever the service allows it to be turned off.</summary>
    public static IEnumerable<string> LocalAuthProblems(DeploymentSnapshot snapshot) =>
        Require(snapshot, "Microsoft.ServiceBus/namespaces", ("properties.disableLocalAuth", "true"))
        .Concat(Require(snapshot, "Microsoft.Insights/components", ("properties.DisableLocalAuth", "true")))
        .Concat(Require(snapshot, "Microsoft.Communication/communicationServices", ("properties.disableLocalAuth", "true")));

    /// <summary>
    /// TLS 1.2 or later: every TLS version property the catalog lists for a resource's type is set, and no property
    /// named like a minimum TLS version anywhere in any resource is below 1.2.
    /// </summary>
    public static IEnumerable<string> TlsProblems(DeploymentSnapshot snapshot)
    {
        foreach (var resource in snapshot.Resources)
        {
            var listed = (ResourceCatalog.Find(resource.Type)?.TlsProperties ?? []).Select(path => (Path: path, Value: resource.Text(path)));
            var named = ArmTemplate.Strings(resource.Body, string.Empty)
                .Where(s => MinimumTlsProperty().IsMatch(s.Path))
                .Select(s => (Path: s.Path.TrimStart('.'), Value: (string?)s.Value));
            foreach (var (path, value) in listed.Concat(named).DistinctBy(p => p.Path, StringComparer.Ordinal))
            {
                var version = value is null ? Match.Empty : TlsVersion().Match(value);
                if (!version.Success || (int.Parse(version.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(version.Groups[2].Value, CultureInfo.InvariantCulture)).CompareTo((1, 2)) < 0)
                {
                    yield return $"{resource.Id}: {path} is {value ?? "not set"}; TLS 1.2 or later required";
                }
            }
        }
    }

    /// <summary>
    /// One user-assigned managed identity, and it is the only identity anything runs as: no system-assigned
    /// identities, and the function app uses it for itself, its deployment package and Key Vault references.
    /// </summary>
    public static IEnumerable<string> IdentityProblems(DeploymentSnapshot snapshot)
    {
        var identities = snapshot.OfType(UserAssignedIdentity).ToList();
        if (identities.Count != 1)
        {
            yield return $"expected one user-assigned identity, found {identities.Count}";
            yield break;
        }

        var identityId = identities[0].Id;
        foreach (var resource in snapshot.Resources.Where(r => r.Body["identity"] is not null))
        {
            var type = resource.Text("identity.type");
            var assigned = resource.At("identity.userAssignedIdentities") as JsonObject;
            if (type != "UserAssigned" || assigned is null || assigned.Count != 1 || !assigned.ContainsKey(identityId))
            {
                yield return $"{resource.Id}: identity must be UserAssigned with {identityId} only (is {resource.Text("identity")})";
            }
        }

        foreach (var site in snapshot.OfType("Microsoft.Web/sites"))
        {
            if (site.Body["identity"] is null)
            {
                yield return $"{site.Id}: runs without the user-assigned identity";
            }

            foreach (var path in new[] { "properties.keyVaultReferenceIdentity", "properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId" })
            {
                if (!string.Equals(site.Text(path), identityId, StringComparison.OrdinalIgnoreCase))
                {
                    yield return $"{site.Id}: {path} must be {identityId} (is {site.Text(path) ?? "unset"})";
                }
            }
        }
    }

    /// <summary>Stable API versions only, except where no stable version has what the template needs (<see cref="ResourceCatalog.AllowedPreviewApiVersions"/>).</summary>
    public static IEnumerable<string> PreviewApiVersionProblems(DeploymentSnapshot snapshot) =>
        snapshot.Resources
            .Where(r => r.ApiVersion.Contains("preview", StringComparison.OrdinalIgnoreCase))
            .Where(r => !ResourceCatalog.AllowedPreviewApiVersions.Contains($"{r.Type}@{r.ApiVersion}"))
            .Select(r => $"{r.Type}@{r.ApiVersion}: a preview API version")
            .Distinct(StringComparer.OrdinalIgnoreCase);

    private static bool Enables(PredictedResource setting, string list, string key, string value) =>
        setting.At($"properties.{list}") is JsonArray entries &&
        entries.OfType<JsonObject>().Any(e => (string?)e[key] == value && e["enabled"]?.GetValue<bool>() == true);

    private static IEnumerable<string> Require(DeploymentSnapshot snapshot, string type, params (string Path, string Expected)[] settings)
    {
        var resources = snapshot.OfType(type).ToList();
        foreach (var resource in resources)
        {
            foreach (var (path, expected) in settings)
            {
                var actual = resource.Text(path);
                if (!string.Equals(actual, expected, StringComparison.Ordinal))
                {
                    yield return $"{resource.Id}: {path} is {actual ?? "unset"}, must be {expected}";
                }
            }
        }
    }

    [GeneratedRegex(@"\.\w*Min\w*Tls\w*Version$", RegexOptions.IgnoreCase)]
    private static partial Regex MinimumTlsProperty();

    [GeneratedRegex(@"^(?:TLS)?(\d+)[._](\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex TlsVersion();
}
