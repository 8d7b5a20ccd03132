namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// Every call the app (or the host on its behalf) makes with the managed identity needs a role; this table maps each
/// to the built-in role and checks a deployment of the compiled template assigns it to the app identity at the
/// narrowest scope, and nothing beyond the table (least privilege). Every assignment is named
/// guid(scope, principal, role) and its description starts with the role's name.
/// </summary>
public sealed class RoleAssignmentTests
{
    public const string RoleAssignment = "Microsoft.Authorization/roleAssignments";

    public static TheoryData<string, string, string, string> RequiredRoles => new()
    {
        // client or caller, role name, role definition id, type of the scope
        { "Table client (app tables) and host tables", "Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "Microsoft.Storage/storageAccounts" },
        { "Flex Consumption deployment container and host blobs", "Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Microsoft.Storage/storageAccounts" },
        { "Service Bus publisher (send)", "Azure Service Bus Data Sender", "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", "Microsoft.ServiceBus/namespaces" },
        { "serviceBusTrigger bindings (receive)", "Azure Service Bus Data Receiver", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", "Microsoft.ServiceBus/namespaces" },
        { "Key Vault references in app settings", "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", "Microsoft.KeyVault/vaults" },
        { "Application Insights with Entra ID auth", "Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb", "Microsoft.Insights/components" },
        { "ACS Email send with Entra ID", "Communication and Email Service Owner", "09976791-48a7-449e-bb21-39d1a415f350", "Microsoft.Communication/communicationServices" },
    };

    /// <summary>Role names by definition ID: the app's roles and the one the person deploying gets.</summary>
    internal static IReadOnlyDictionary<string, string> RoleNames { get; } =
        RequiredRoles.Select(row => ((string)row[2], (string)row[1]))
            .Append(("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Key Vault Secrets Officer"))
            .ToDictionary(r => r.Item1, r => r.Item2, StringComparer.OrdinalIgnoreCase);

    [Theory]
    [MemberData(nameof(RequiredRoles))]
    public void RoleNeededByTheApp_IsAssignedToTheAppIdentity(string caller, string roleName, string roleId, string scopeType)
    {
        var snapshot = CompiledInfra.Current.Snapshot;
        var identityId = snapshot.Single(SecurityBaseline.UserAssignedIdentity).Id;

        var assignment = Assignments(snapshot).SingleOrDefault(a => a.RoleId.Equals(roleId, StringComparison.OrdinalIgnoreCase) && a.Principal.Equals(identityId, StringComparison.OrdinalIgnoreCase));

        Assert.True(assignment is not null, $"{caller} needs {roleName} ({roleId}) assigned to the app identity");
        Assert.Equal(scopeType, snapshot.ById(assignment.Resource.Scope)?.Type, ignoreCase: true);
        Assert.Equal("ServicePrincipal", assignment.Resource.Text("properties.principalType"));
    }

    [Fact]
    public void AppIdentity_HasNoRoleBeyondTheTable()
    {
        var snapshot = CompiledInfra.Current.Snapshot;
        var identityId = snapshot.Single(SecurityBaseline.UserAssignedIdentity).Id;
        var allowed = RequiredRoles.Select(row => (string)row[2]).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var extra = Assignments(snapshot)
            .Where(a => a.Principal.Equals(identityId, StringComparison.OrdinalIgnoreCase) && !allowed.Contains(a.RoleId))
            .Select(a => $"{a.RoleId} on {a.Resource.Scope}")
            .ToList();

        Assert.True(extra.Count == 0, "Roles assigned to the app identity that no call needs:\n  " + string.Join("\n  ", extra));
    }

    [Fact]
    public void PersonDeploying_GetsKeyVaultSecretsOfficerOnTheVaultOnly()
    {
        var snapshot = CompiledInfra.Current.Snapshot;
        var deployer = Assignments(snapshot).Where(a => a.Principal == CompiledInfra.Default.PrincipalId).ToList();

        var assignment = Assert.Single(deployer);
        Assert.Equal("Key Vault Secrets Officer", RoleNames[assignment.RoleId]);
        Assert.Equal(snapshot.Single("Microsoft.KeyVault/vaults").Id, assignment.Resource.Scope, ignoreCase: true);
        Assert.DoesNotContain(Assignments(CompiledInfra.Current.SnapshotOf(CompiledInfra.CustomEmailDomain)), a => RoleNames.GetValueOrDefault(a.RoleId) == "Key Vault Secrets Officer");
    }

    [Fact]
    public void EveryRoleAssignment_IsNamedByScopePrincipalAndRoleAndDescribedByTheRoleName()
    {
        var problems = CompiledInfra.Current.Snapshots.Values.SelectMany(NamingProblems).Distinct().ToList();

        Assert.True(problems.Count == 0, "Role assignments:\n  " + string.Join("\n  ", problems));
    }

    /// <summary>
    /// Each assignment's name is guid(scope, principal, role) and its description starts with "&lt;role name&gt;:". The
    /// principal in the name is the identity's resource ID where the principal ID is only known at run time.
    /// </summary>
    internal static IEnumerable<string> NamingProblems(DeploymentSnapshot snapshot)
    {
        var assignments = Assignments(snapshot).ToList();
        if (assignments.Count == 0)
        {
            yield return "no role assignments";
        }

        foreach (var a in assignments)
        {
            var expected = ArmGuid.Of(a.Resource.Scope, a.Principal, a.RoleId).ToString();
            if (!a.Resource.Name.Equals(expected, StringComparison.OrdinalIgnoreCase))
            {
                yield return $"{a.Resource.Id}: name must be guid(scope, principal, role) = {expected}";
            }

            var roleName = RoleNames.GetValueOrDefault(a.RoleId);
            if (roleName is null)
            {
                yield return $"{a.Resource.Id}: role {a.RoleId} is not in RoleNames";
            }
            else if (a.Resource.Text("properties.description")?.StartsWith(roleName + ": ", StringComparison.Ordinal) != true)
            {
                yield return $"{a.Resource.Id}: description must start with '{roleName}: ', is '{a.Resource.Text("properties.description")}'";
            }
        }
    }

    internal static IEnumerable<Assignment> Assignments(DeploymentSnapshot snapshot) =>
        snapshot.OfType(RoleAssignment).Select(r =>
        {
            var principalId = r.Text("properties.principalId") ?? string.Empty;
            var roleDefinitionId = r.Text("properties.roleDefinitionId") ?? string.Empty;
            return new Assignment(r, DeploymentSnapshot.ReferencedId(principalId, "principalId") ?? principalId, roleDefinitionId[(roleDefinitionId.LastIndexOf('/') + 1)..]);
        });

    /// <summary>A role assignment; <paramref name="Principal"/> is the identity's resource ID when its principal ID is a runtime reference.</summary>
    internal sealed record Assignment(PredictedResource Resource, string Principal, string RoleId);
}
