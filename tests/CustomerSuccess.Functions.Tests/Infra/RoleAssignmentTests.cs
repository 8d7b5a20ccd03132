using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// Every call the app (or the host on its behalf) makes with the managed identity needs a role; this table maps
/// each to the built-in role and checks infra/modules/rbac.bicep assigns it to the app identity, named
/// guid(scope, principal, role), with the role's name in the comment above it. Nothing beyond the table is
/// assigned to the app identity (least privilege).
/// </summary>
public sealed partial class RoleAssignmentTests
{
    public static TheoryData<string, string, string, string> RequiredRoles => new()
    {
        // client or caller, role name, role definition id, scope symbol in rbac.bicep
        { "Table REST client (app tables) and host tables", "Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "storage" },
        { "Flex Consumption deployment container and host blobs", "Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "storage" },
        { "Service Bus REST publisher (send)", "Azure Service Bus Data Sender", "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", "serviceBus" },
        { "serviceBusTrigger bindings (receive)", "Azure Service Bus Data Receiver", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", "serviceBus" },
        { "Key Vault references in app settings", "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", "vault" },
        { "Application Insights with Entra ID auth", "Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb", "applicationInsights" },
        { "ACS Email send with Entra ID", "Communication and Email Service Owner", "09976791-48a7-449e-bb21-39d1a415f350", "communicationService" },
    };

    [Theory]
    [MemberData(nameof(RequiredRoles))]
    public void RoleNeededByTheApp_IsAssignedToTheAppIdentity(string caller, string roleName, string roleId, string scope)
    {
        var rbac = BicepText.Load(RepositoryPaths.InfraFile(InfraModel.RbacModule));
        var assignments = Assignments(rbac);

        var assignment = assignments.SingleOrDefault(a => a.RoleId == roleId && a.Principal == "principalId");
        Assert.True(assignment is not null, $"{caller} needs {roleName} ({roleId}) assigned to the app identity in rbac.bicep");
        Assert.Equal(scope, assignment.Scope);
        Assert.Equal($"guid({scope}.id, principalId, roles.{assignment.RoleKey})", assignment.Name);
        Assert.StartsWith("// " + roleName + ":", assignment.Comment, StringComparison.Ordinal);
    }

    [Fact]
    public void AppIdentity_HasNoRoleBeyondTheTable()
    {
        var rbac = BicepText.Load(RepositoryPaths.InfraFile(InfraModel.RbacModule));
        var allowed = RequiredRoles.Select(row => (string)row[2]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var extra = Assignments(rbac).Where(a => a.Principal == "principalId" && (a.RoleId is null || !allowed.Contains(a.RoleId))).Select(a => a.Symbol).ToList();

        Assert.True(extra.Count == 0, "Roles assigned to the app identity that no call needs: " + string.Join(", ", extra));
    }

    [Fact]
    public void EveryRoleAssignment_IsNamedByScopePrincipalAndRoleWithTheRoleNameInAComment()
    {
        var rbac = BicepText.Load(RepositoryPaths.InfraFile(InfraModel.RbacModule));
        var assignments = Assignments(rbac);

        Assert.NotEmpty(assignments);
        foreach (var a in assignments)
        {
            Assert.Matches(@"^guid\(\w+\.id, \w+, roles\.\w+\)$", a.Name);
            Assert.Matches(@"^// [A-Z][\w ]+:", a.Comment);
            Assert.NotNull(a.RoleId);
        }
    }

    private static List<RoleAssignment> Assignments(BicepText rbac)
    {
        var roleIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var rolesLine = rbac.FindCodeLine(RolesVariable());
        Assert.True(rolesLine >= 0, "rbac.bicep has no 'var roles = {' map of role definition ids");
        foreach (var (key, value, _) in rbac.ObjectEntries(rolesLine))
        {
            roleIds[key] = InfraModel.Unquote(value)!;
        }

        var result = new List<RoleAssignment>();
        for (var line = 0; line < rbac.RawLines.Length; line++)
        {
            var declaration = RoleAssignmentResource().Match(rbac.RawLines[line]);
            if (!declaration.Success)
            {
                continue;
            }

            var entries = rbac.ObjectEntries(line).ToDictionary(e => e.Key, e => e.RawValue, StringComparer.Ordinal);
            var propertiesLine = rbac.ObjectEntries(line).Single(e => e.Key == "properties").Line - 1;
            var properties = rbac.ObjectEntries(propertiesLine).ToDictionary(e => e.Key, e => e.RawValue, StringComparer.Ordinal);
            var roleKey = RoleReference().Match(properties.GetValueOrDefault("roleDefinitionId") ?? string.Empty).Groups["key"].Value;
            var comment = line > 0 ? rbac.RawLines[line - 1].Trim() : string.Empty;
            var commentStart = line - 1;
            while (commentStart > 0 && rbac.RawLines[commentStart - 1].TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                commentStart--;
            }

            result.Add(new RoleAssignment(
                declaration.Groups["symbol"].Value,
                entries.GetValueOrDefault("name") ?? string.Empty,
                entries.GetValueOrDefault("scope") ?? string.Empty,
                properties.GetValueOrDefault("principalId") ?? string.Empty,
                roleKey,
                roleIds.GetValueOrDefault(roleKey),
                commentStart >= 0 && comment.StartsWith("//", StringComparison.Ordinal) ? rbac.RawLines[commentStart].Trim() : string.Empty));
        }

        return result;
    }

    private sealed record RoleAssignment(string Symbol, string Name, string Scope, string Principal, string RoleKey, string? RoleId, string Comment);

    [GeneratedRegex(@"^var\s+roles\s*=\s*\{\s*$")]
    private static partial Regex RolesVariable();

    [GeneratedRegex(@"^resource\s+(?<symbol>\w+)\s+'Microsoft\.Authorization/roleAssignments@")]
    private static partial Regex RoleAssignmentResource();

    [GeneratedRegex(@"roles\.(?<key>\w+)\)")]
    private static partial Regex RoleReference();
}
