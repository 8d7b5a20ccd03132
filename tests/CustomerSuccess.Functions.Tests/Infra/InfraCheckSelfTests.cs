using System.Text.Json;
using System.Text.Json.Nodes;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// The checks behind the infra tests catch what they are meant to catch: each is fed a small template or snapshot
/// that breaks its rule (and one that keeps it), and the gate is run on Bicep that does not compile or that the
/// linter warns about.
/// </summary>
public sealed class InfraCheckSelfTests
{
    private const string Group = "/subscriptions/s/resourceGroups/rg";
    private const string WorkspaceId = Group + "/providers/Microsoft.OperationalInsights/workspaces/log";

    // ---- The gate: the real CLI on small Bicep files, with the repository's bicepconfig.json.

    [Fact]
    public void Gate_BicepThatDoesNotCompile_IsNotClean()
    {
        var run = BuildScratch("output name string = undeclaredSymbol\n");

        Assert.False(run.IsClean);
        Assert.Contains(run.Diagnostics, d => d.Level == "Error" && d.Code == "BCP057");
    }

    [Fact]
    public void Gate_LinterWarning_IsNotClean()
    {
        // Compiles, with exit code 0, but the linter warns about the API version.
        var run = BuildScratch("""
            @description('Required. Region.')
            param location string

            resource vault 'Microsoft.KeyVault/vaults@2019-09-01' = {
              name: 'kv-${uniqueString(resourceGroup().id)}'
              location: location
              properties: {
                tenantId: tenant().tenantId
                sku: {
                  family: 'A'
                  name: 'standard'
                }
              }
            }
            """);

        Assert.Equal(0, run.ExitCode);
        Assert.False(run.IsClean);
        Assert.Contains(run.Diagnostics, d => d.Level == "Warning" && d.Code == "use-recent-api-versions");
    }

    [Fact]
    public void Gate_CleanBicep_IsClean()
    {
        var run = BuildScratch("@description('Greeting.')\noutput greeting string = 'hello'\n");

        Assert.True(run.IsClean, run.Describe());
    }

    [Fact]
    public void Diagnostics_CliLines_AreParsedAndAnythingElseIsKept()
    {
        var diagnostics = BicepCli.Diagnostics("/x/main.bicep(3,7) : Warning no-unused-vars: Variable \"a\" is declared but never used.\nsomething unexpected\n");

        Assert.Equal([("Warning", "no-unused-vars"), ("Unparsed", string.Empty)], diagnostics.Select(d => (d.Level, d.Code)));
    }

    // ---- guid(): our reproduction against the engine's.

    [Fact]
    public void ArmGuid_MatchesTheEnginesGuidFunction()
    {
        string[][] cases = [["a"], ["/subscriptions/x/resourceGroups/y", "principal", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"], ["Ünï", "B"]];
        var outputs = new JsonObject();
        for (var i = 0; i < cases.Length; i++)
        {
            var arguments = string.Join(", ", cases[i].Select(a => $"'{a}'"));
            outputs[$"g{i}"] = new JsonObject { ["type"] = "string", ["value"] = $"[guid({arguments})]" };
        }

        var snapshot = SnapshotOf(new JsonObject { ["resources"] = new JsonArray(), ["outputs"] = outputs });

        for (var i = 0; i < cases.Length; i++)
        {
            Assert.Equal((string?)snapshot.Outputs[$"g{i}"], ArmGuid.Of(cases[i]).ToString());
        }
    }

    // ---- The snapshot rules, end to end: a small ARM template through `bicep snapshot`.

    [Fact]
    public void SnapshotOfATemplate_StorageWithSharedKeysAndNoDiagnostics_IsFlagged()
    {
        var template = new JsonObject
        {
            ["resources"] = new JsonArray(new JsonObject
            {
                ["type"] = "Microsoft.Storage/storageAccounts",
                ["apiVersion"] = "2026-09-01",
                ["name"] = "[format('st{0}', uniqueString(resourceGroup().id))]",
                ["location"] = "westeurope",
                ["kind"] = "StorageV2",
                ["sku"] = new JsonObject { ["name"] = "Standard_LRS" },
                ["properties"] = new JsonObject { ["allowSharedKeyAccess"] = true, ["minimumTlsVersion"] = "TLS1_0" },
            }),
        };

        var snapshot = SnapshotOf(template);

        Assert.Contains(SecurityBaseline.StorageProblems(snapshot), p => p.Contains("allowSharedKeyAccess is true", StringComparison.Ordinal));
        Assert.Contains(SecurityBaseline.StorageProblems(snapshot), p => p.Contains("allowBlobPublicAccess is unset", StringComparison.Ordinal));
        Assert.Contains(SecurityBaseline.TlsProblems(snapshot), p => p.Contains("minimumTlsVersion is TLS1_0", StringComparison.Ordinal));
        Assert.Contains(SecurityBaseline.DiagnosticsProblems(snapshot), p => p.Contains("expected one Log Analytics workspace", StringComparison.Ordinal));
    }

    // ---- Each snapshot rule on small snapshots.

    [Fact]
    public void UnclassifiedTypes_TypeMissingFromTheCatalog_IsReported()
    {
        var snapshot = Snapshot(Resource("Microsoft.Cache/redis", "cache", new { }));

        Assert.Single(SecurityBaseline.UnclassifiedTypes(snapshot));
        Assert.Empty(SecurityBaseline.UnclassifiedTypes(Snapshot(Workspace())));
    }

    [Fact]
    public void Diagnostics_AllLogsAndMetricsToTheWorkspace_Pass()
    {
        var vault = Resource("Microsoft.KeyVault/vaults", "kv", new { });

        Assert.Empty(SecurityBaseline.DiagnosticsProblems(Snapshot(Workspace(), Setting(WorkspaceId, WorkspaceId, logs: true, metrics: true), vault, Setting(vault.Id, WorkspaceId, logs: true, metrics: true))));
    }

    [Fact]
    public void Diagnostics_ResourceWithoutSetting_IsReported()
    {
        var vault = Resource("Microsoft.KeyVault/vaults", "kv", new { });

        Assert.Contains(SecurityBaseline.DiagnosticsProblems(Snapshot(Workspace(), vault)), p => p.EndsWith("no diagnostic setting", StringComparison.Ordinal));
    }

    [Fact]
    public void Diagnostics_SettingWithoutLogsOrMetricsOrToAnotherWorkspace_IsReported()
    {
        var vault = Resource("Microsoft.KeyVault/vaults", "kv", new { });

        Assert.Contains(SecurityBaseline.DiagnosticsProblems(Snapshot(Workspace(), vault, Setting(vault.Id, WorkspaceId, logs: false, metrics: true))), p => p.Contains("allLogs", StringComparison.Ordinal));
        Assert.Contains(SecurityBaseline.DiagnosticsProblems(Snapshot(Workspace(), vault, Setting(vault.Id, WorkspaceId, logs: true, metrics: false))), p => p.Contains("AllMetrics", StringComparison.Ordinal));
        Assert.Contains(SecurityBaseline.DiagnosticsProblems(Snapshot(Workspace(), vault, Setting(vault.Id, Group + "/providers/Microsoft.OperationalInsights/workspaces/other", logs: true, metrics: true))), p => p.Contains("sends to", StringComparison.Ordinal));
    }

    [Fact]
    public void Diagnostics_ApplicationInsightsNotStoredInTheWorkspace_IsReported()
    {
        var component = Resource("Microsoft.Insights/components", "appi", new { WorkspaceResourceId = Group + "/providers/Microsoft.OperationalInsights/workspaces/other" });

        Assert.Contains(SecurityBaseline.DiagnosticsProblems(Snapshot(Workspace(), component)), p => p.Contains("WorkspaceResourceId", StringComparison.Ordinal));
    }

    [Fact]
    public void KeyVault_WithoutPurgeProtectionOrRbac_IsReported()
    {
        var good = new { enableRbacAuthorization = true, enableSoftDelete = true, enablePurgeProtection = true };

        Assert.Empty(SecurityBaseline.KeyVaultProblems(Snapshot(Resource("Microsoft.KeyVault/vaults", "kv", good))));
        Assert.Single(SecurityBaseline.KeyVaultProblems(Snapshot(Resource("Microsoft.KeyVault/vaults", "kv", good with { enablePurgeProtection = false }))));
        Assert.Single(SecurityBaseline.KeyVaultProblems(Snapshot(Resource("Microsoft.KeyVault/vaults", "kv", good with { enableRbacAuthorization = false }))));
    }

    [Fact]
    public void Storage_PublicContainer_IsReported()
    {
        var account = Resource("Microsoft.Storage/storageAccounts", "st", new { allowSharedKeyAccess = false, allowBlobPublicAccess = false });
        var container = Resource("Microsoft.Storage/storageAccounts/blobServices/containers", "st/default/c", new { publicAccess = "Blob" });

        Assert.Single(SecurityBaseline.StorageProblems(Snapshot(account, container)));
    }

    [Fact]
    public void LocalAuth_ServiceBusWithSas_IsReported()
    {
        Assert.Single(SecurityBaseline.LocalAuthProblems(Snapshot(Resource("Microsoft.ServiceBus/namespaces", "sb", new { disableLocalAuth = false }))));
        Assert.Empty(SecurityBaseline.LocalAuthProblems(Snapshot(Resource("Microsoft.ServiceBus/namespaces", "sb", new { disableLocalAuth = true }))));
    }

    [Fact]
    public void Tls_MissingListedPropertyOrOldVersionAnywhere_IsReported()
    {
        var site = Resource("Microsoft.Web/sites", "func", new { siteConfig = new { minTlsVersion = "1.2" } });
        var strayOld = Resource("Microsoft.Web/sites/config", "func/web", new { minTlsVersion = "1.1" });
        var good = Resource("Microsoft.Web/sites", "func", new { siteConfig = new { minTlsVersion = "1.3", scmMinTlsVersion = "1.2" } });

        Assert.Contains(SecurityBaseline.TlsProblems(Snapshot(site)), p => p.Contains("scmMinTlsVersion is not set", StringComparison.Ordinal));
        Assert.Contains(SecurityBaseline.TlsProblems(Snapshot(good, strayOld)), p => p.Contains("minTlsVersion is 1.1", StringComparison.Ordinal));
        Assert.Empty(SecurityBaseline.TlsProblems(Snapshot(good)));
    }

    [Fact]
    public void Identity_SystemAssignedOrASecondIdentity_IsReported()
    {
        var identity = Resource(SecurityBaseline.UserAssignedIdentity, "id", new { });
        var system = Resource("Microsoft.ServiceBus/namespaces", "sb", new { }, identity: new JsonObject { ["type"] = "SystemAssigned" });

        Assert.Contains(SecurityBaseline.IdentityProblems(Snapshot(identity, system)), p => p.Contains("UserAssigned", StringComparison.Ordinal));
        Assert.Contains(SecurityBaseline.IdentityProblems(Snapshot(identity, Resource(SecurityBaseline.UserAssignedIdentity, "id2", new { }))), p => p.Contains("expected one", StringComparison.Ordinal));
    }

    [Fact]
    public void PreviewApiVersion_OutsideTheAllowedList_IsReported()
    {
        var preview = Resource("Microsoft.KeyVault/vaults", "kv", new { }, apiVersion: "2026-06-01-preview");

        Assert.Single(SecurityBaseline.PreviewApiVersionProblems(Snapshot(preview)));
    }

    [Fact]
    public void RoleAssignmentNaming_NameNotFromScopePrincipalRoleOrDescriptionWithoutRoleName_IsReported()
    {
        const string role = "4633458b-17de-408a-b874-0445c86b69e6";
        var vault = Group + "/providers/Microsoft.KeyVault/vaults/kv";
        var rightName = ArmGuid.Of(vault, "principal", role).ToString();

        Assert.Empty(RoleAssignmentTests.NamingProblems(Snapshot(Assignment(vault, rightName, "principal", role, "Key Vault Secrets User: reads."))));
        Assert.Contains(RoleAssignmentTests.NamingProblems(Snapshot(Assignment(vault, ArmGuid.Of(vault, role).ToString(), "principal", role, "Key Vault Secrets User: reads."))), p => p.Contains("guid(scope, principal, role)", StringComparison.Ordinal));
        Assert.Contains(RoleAssignmentTests.NamingProblems(Snapshot(Assignment(vault, rightName, "principal", role, "Reads secrets."))), p => p.Contains("description", StringComparison.Ordinal));
    }

    // ---- The template rules on small templates.

    [Fact]
    public void ParameterDescriptions_MissingOrWrongPrefix_AreReported()
    {
        var template = Template(parameters: new JsonObject
        {
            ["good"] = Parameter("Required. A name.", defaultValue: null),
            ["optionalCalledRequired"] = Parameter("Required. A size.", defaultValue: 1),
            ["undescribed"] = new JsonObject { ["type"] = "string" },
            ["nullable"] = Nullable(Parameter("Optional. A rate; unset: the default.", defaultValue: null)),
            ["nullableCalledRequired"] = Nullable(Parameter("Required. A rate.", defaultValue: null)),
        });

        Assert.Equal(3, TemplateConventions.ParameterDescriptionProblems(template).Count());
    }

    [Fact]
    public void SecretOutputs_EveryWayToLeakOne_IsReported()
    {
        var nested = new JsonObject
        {
            ["parameters"] = new JsonObject { ["adminPassword"] = new JsonObject { ["type"] = "securestring" } },
            ["outputs"] = new JsonObject
            {
                ["keys"] = Output("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2026-09-01').keys[0].value]"),
                ["telemetry"] = Output("[reference(resourceId('Microsoft.Insights/components', 'appi'), '2020-02-02').ConnectionString]"),
                ["passedOn"] = Output("[parameters('adminPassword')]"),
                ["dbPassword"] = Output("'x'"),
                ["sealed"] = new JsonObject { ["type"] = "securestring", ["value"] = "x" },
                ["url"] = Output("[format('https://{0}', 'host')]"),
            },
        };
        var template = Template(resources: new JsonArray(new JsonObject
        {
            ["type"] = "Microsoft.Resources/deployments",
            ["name"] = "module",
            ["properties"] = new JsonObject { ["template"] = nested },
        }));

        var problems = TemplateConventions.SecretOutputProblems(template).ToList();

        Assert.All(problems, p => Assert.StartsWith("main/module: output ", p, StringComparison.Ordinal));
        Assert.All(new[] { "keys", "telemetry", "passedOn", "dbPassword", "sealed" }, output => Assert.Contains(problems, p => p.StartsWith($"main/module: output {output} ", StringComparison.Ordinal)));
        Assert.DoesNotContain(problems, p => p.Contains("output url", StringComparison.Ordinal));
    }

    [Fact]
    public void OutputDescriptions_Missing_IsReported()
    {
        var template = Template(outputs: new JsonObject { ["undescribed"] = new JsonObject { ["type"] = "string", ["value"] = "x" } });

        Assert.Single(TemplateConventions.OutputDescriptionProblems(template));
    }

    [Theory]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc")]
    [InlineData("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b")]
    [InlineData("whsec_0123456789abcdef")]
    [InlineData("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwMTIzNDU2Nzg5MA==")]
    [InlineData("k3Xb9q/Zp7+Lm2Wc4Rt8Yv1Nd6Hs0Jf5Ga/Qe3Uo9Ti2Pw7Mx")]
    public void LooksLikeSecret_KeysAndConnectionStrings_AreFlagged(string literal) =>
        Assert.True(TemplateConventions.LooksLikeSecret(literal));

    [Theory]
    [InlineData("Microsoft.Storage/storageAccounts/blobServices/containers")]
    [InlineData("[format('@Microsoft.KeyVault(SecretUri={0}secrets/{1})', reference('/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv', '2026-05-15').vaultUri, 'stripe-webhook-signing-secret')]")]
    [InlineData("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3")]
    [InlineData("[reference('/subscriptions/1/resourceGroups/rg/providers/Microsoft.Communication/emailServices/ecs-j3kofnbfhsl52/domains/AzureManagedDomain', '2026-03-18').mailFromSenderDomain]")]
    public void LooksLikeSecret_ResourceTypesReferencesAndRoleIds_AreNotFlagged(string literal) =>
        Assert.False(TemplateConventions.LooksLikeSecret(literal));

    // ---- The code side of the app-settings check.

    [Fact]
    public void Scanner_OptionsClassesNestedListsAndRequired_AreDiscovered()
    {
        const string source = """
            public sealed class WebhookOptions
            {
                public const string SectionName = "Webhooks";
                public StripeWebhookOptions Stripe { get; set; } = new();
            }
            public sealed class StripeWebhookOptions
            {
                [MinLength(1)]
                public List<string> SigningSecrets { get; set; } = [];
                public TimeSpan Tolerance { get; set; }
            }
            public sealed class EmailOptions
            {
                public const string SectionName = "Email";
                [Required]
                public Uri? Endpoint { get; init; }
            }
            public static class Wiring
            {
                public static void Read(IConfiguration configuration) => _ = configuration["Direct__Key"] + configuration.GetConnectionString("Db");
            }
            """;
        var scanner = AppConfigurationScanner.Scan([("Options.cs", source)]);

        Assert.True(scanner.Reads("Webhooks__Stripe__SigningSecrets__0"));
        Assert.True(scanner.Reads("webhooks__stripe__tolerance"));
        Assert.True(scanner.Reads("Direct__Key"));
        Assert.True(scanner.Reads("ConnectionStrings__Db"));
        Assert.False(scanner.Reads("Webhooks__Stripe__Secret"));
        Assert.Equal(["Webhooks__Stripe__SigningSecrets__#", "Email__Endpoint"], scanner.Required.Select(k => k.Name));
    }

    // ---- Helpers: scratch folders for the CLI, and small snapshots and templates.

    private static BicepRun BuildScratch(string bicep)
    {
        var folder = Directory.CreateTempSubdirectory("cs-bicep-gate-").FullName;
        try
        {
            File.Copy(RepositoryPaths.InfraFile("bicepconfig.json"), Path.Combine(folder, "bicepconfig.json"));
            File.WriteAllText(Path.Combine(folder, "main.bicep"), bicep);
            return BicepCli.Build(Path.Combine(folder, "main.bicep"), Path.Combine(folder, "main.json"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static DeploymentSnapshot SnapshotOf(JsonObject template)
    {
        template["$schema"] = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
        template["contentVersion"] = "1.0.0.0";
        var folder = Directory.CreateTempSubdirectory("cs-bicep-snapshot-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "t.json"), template.ToJsonString());
            File.WriteAllText(Path.Combine(folder, "t.bicepparam"), "using 't.json'\n");
            var run = BicepCli.Snapshot(Path.Combine(folder, "t.bicepparam"), CompiledInfra.Scope);
            Assert.True(run.ExitCode == 0, run.Describe());
            return DeploymentSnapshot.Parse(File.ReadAllText(Path.Combine(folder, "t.snapshot.json")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static DeploymentSnapshot Snapshot(params PredictedResource[] resources) => new(resources, []);

    private static PredictedResource Resource(string type, string name, object properties, JsonObject? identity = null, string apiVersion = "2026-01-01")
    {
        var typeSegments = type.Split('/');
        var nameSegments = name.Split('/');
        var path = $"{typeSegments[0]}/{typeSegments[1]}/{nameSegments[0]}" + string.Concat(typeSegments.Skip(2).Zip(nameSegments.Skip(1), (t, n) => $"/{t}/{n}"));
        var body = new JsonObject
        {
            ["id"] = $"{Group}/providers/{path}",
            ["type"] = type,
            ["name"] = name,
            ["apiVersion"] = apiVersion,
            ["properties"] = JsonSerializer.SerializeToNode(properties),
        };
        if (identity is not null)
        {
            body["identity"] = identity;
        }

        return PredictedResource.From(body);
    }

    private static PredictedResource Workspace() => Resource(SecurityBaseline.Workspace, "log", new { });

    private static PredictedResource Extension(string scope, string type, string name, JsonObject properties, string apiVersion) => PredictedResource.From(new JsonObject
    {
        ["id"] = $"{scope}/providers/{type}/{name}",
        ["type"] = type,
        ["name"] = name,
        ["apiVersion"] = apiVersion,
        ["properties"] = properties,
    });

    private static PredictedResource Setting(string scope, string workspaceId, bool logs, bool metrics)
    {
        var properties = new JsonObject { ["workspaceId"] = workspaceId };
        if (logs)
        {
            properties["logs"] = new JsonArray(new JsonObject { ["categoryGroup"] = "allLogs", ["enabled"] = true });
        }

        if (metrics)
        {
            properties["metrics"] = new JsonArray(new JsonObject { ["category"] = "AllMetrics", ["enabled"] = true });
        }

        return Extension(scope, SecurityBaseline.DiagnosticSettings, "to-log-analytics", properties, "2021-05-01-preview");
    }

    private static PredictedResource Assignment(string scope, string name, string principal, string role, string description) =>
        Extension(scope, RoleAssignmentTests.RoleAssignment, name, new JsonObject
        {
            ["description"] = description,
            ["roleDefinitionId"] = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/" + role,
            ["principalId"] = principal,
        }, "2022-04-01");

    private static ArmTemplate Template(JsonObject? parameters = null, JsonArray? resources = null, JsonObject? outputs = null) => new(new JsonObject
    {
        ["parameters"] = parameters ?? [],
        ["resources"] = resources ?? [],
        ["outputs"] = outputs ?? [],
    });

    private static JsonObject Nullable(JsonObject parameter)
    {
        parameter["nullable"] = true;
        return parameter;
    }

    private static JsonObject Parameter(string description, int? defaultValue)
    {
        var parameter = new JsonObject { ["type"] = "string", ["metadata"] = new JsonObject { ["description"] = description } };
        if (defaultValue is not null)
        {
            parameter["defaultValue"] = defaultValue;
        }

        return parameter;
    }

    private static JsonObject Output(string value) => new() { ["type"] = "string", ["value"] = value, ["metadata"] = new JsonObject { ["description"] = "An output." } };
}
