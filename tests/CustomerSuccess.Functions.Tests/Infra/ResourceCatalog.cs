namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// Every resource type infra/ deploys, with what <see cref="SecurityBaseline"/> asks of it: which diagnostics it has
/// (Azure Monitor's supported resource logs and metrics), and where its minimum TLS version is set (the properties of
/// the type's definition at the API version used, as the Bicep type definitions publish them; a type not listed with
/// TLS properties has none). A type that is not here fails the tests until someone adds it.
/// </summary>
internal static class ResourceCatalog
{
    /// <summary>
    /// Preview API versions allowed, each because no stable version has what the template needs. diagnosticSettings:
    /// the only stable version (2016-09-01) has no category groups and no metric categories.
    /// </summary>
    public static readonly IReadOnlySet<string> AllowedPreviewApiVersions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Microsoft.Insights/diagnosticSettings@2021-05-01-preview",
    };

    private static readonly ResourceKind[] Kinds =
    [
        new("Microsoft.Resources/resourceGroups", Diagnostics.None, "a resource group's operations are in the subscription's activity log"),
        new("Microsoft.ManagedIdentity/userAssignedIdentities", Diagnostics.None, "an identity has no resource logs; its sign-ins are Entra ID's"),
        new("Microsoft.Authorization/roleAssignments", Diagnostics.None, "role assignment changes are in the activity log"),
        new(SecurityBaseline.DiagnosticSettings, Diagnostics.None, "it is the diagnostics"),
        new(SecurityBaseline.Workspace, Diagnostics.LogsAndMetrics),
        new("Microsoft.Insights/actionGroups", Diagnostics.None, "an action group's notifications are recorded with the alerts that fired them, in Azure Monitor's alert history"),
        new("Microsoft.Insights/metricAlerts", Diagnostics.None, "the alerts a rule fires and its changes are in Azure Monitor's alert history and the activity log"),
        new("Microsoft.Insights/scheduledQueryRules", Diagnostics.None, "the alerts a rule fires and its changes are in Azure Monitor's alert history and the activity log"),
        new("Microsoft.Insights/workbooks", Diagnostics.None, "a saved view over the Application Insights data; changes are in the activity log"),
        new("Microsoft.Insights/components", Diagnostics.StoredInWorkspace, "workspace-based: what it collects is stored in the workspace") { WorkspaceProperty = "properties.WorkspaceResourceId" },
        new("Microsoft.Storage/storageAccounts", Diagnostics.MetricsOnly, TlsProperties: ["properties.minimumTlsVersion"]),
        new("Microsoft.Storage/storageAccounts/blobServices", Diagnostics.LogsAndMetrics),
        new("Microsoft.Storage/storageAccounts/tableServices", Diagnostics.LogsAndMetrics),
        new("Microsoft.Storage/storageAccounts/blobServices/containers", Diagnostics.None, "logged by its blob service"),
        new("Microsoft.ServiceBus/namespaces", Diagnostics.LogsAndMetrics, TlsProperties: ["properties.minimumTlsVersion"]),
        new("Microsoft.ServiceBus/namespaces/queues", Diagnostics.None, "logged by its namespace"),
        new("Microsoft.KeyVault/vaults", Diagnostics.LogsAndMetrics),
        new("Microsoft.Communication/communicationServices", Diagnostics.LogsAndMetrics),
        new("Microsoft.Communication/emailServices", Diagnostics.None, "email send, delivery and engagement logs are categories of the Communication Services resource"),
        new("Microsoft.Communication/emailServices/domains", Diagnostics.None, "logged by the Communication Services resource it is linked to"),
        new("Microsoft.Communication/emailServices/domains/senderUsernames", Diagnostics.None, "logged by the Communication Services resource its domain is linked to"),
        new("Microsoft.Web/serverfarms", Diagnostics.None, "a Flex Consumption plan runs no instances of its own; execution and instance metrics are the function app's"),
        new("Microsoft.Web/sites", Diagnostics.LogsAndMetrics, TlsProperties: ["properties.siteConfig.minTlsVersion", "properties.siteConfig.scmMinTlsVersion"]),
        new("Microsoft.Web/sites/config", Diagnostics.None, "settings of the function app, which is logged; its 'web' config can carry TLS versions, checked wherever they appear"),
    ];

    public static ResourceKind? Find(string type) => Kinds.FirstOrDefault(k => k.Type.Equals(type, StringComparison.OrdinalIgnoreCase));
}

internal sealed record ResourceKind(string Type, Diagnostics Diagnostics, string? NoDiagnosticSettingBecause = null, IReadOnlyList<string>? TlsProperties = null)
{
    /// <summary>For <see cref="Diagnostics.StoredInWorkspace"/>: the property that names the workspace.</summary>
    public string? WorkspaceProperty { get; init; }
}

internal enum Diagnostics
{
    /// <summary>Has no diagnostic setting of its own (the reason is in the catalog).</summary>
    None,

    /// <summary>Resource logs and platform metrics: sends the allLogs group and AllMetrics.</summary>
    LogsAndMetrics,

    /// <summary>Platform metrics only (a storage account; its services have the logs): sends AllMetrics.</summary>
    MetricsOnly,

    /// <summary>Stores what it collects in the workspace itself (workspace-based Application Insights).</summary>
    StoredInWorkspace,
}
