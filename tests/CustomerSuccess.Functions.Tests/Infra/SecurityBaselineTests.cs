namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// What every deployment of the compiled template creates is monitored and locked down (checks in
/// <see cref="SecurityBaseline"/>), for both test deployments so each branch of the template's conditions is seen.
/// </summary>
public sealed class SecurityBaselineTests
{
    public static TheoryData<string> Deployments => [CompiledInfra.Default.EnvironmentName, CompiledInfra.CustomEmailDomain.EnvironmentName];

    [Theory]
    [MemberData(nameof(Deployments))]
    public void EveryResourceType_IsInTheCatalog(string deployment) => Check(SecurityBaseline.UnclassifiedTypes, deployment);

    [Theory]
    [MemberData(nameof(Deployments))]
    public void EveryResourceWithLogsOrMetrics_SendsThemToTheLogAnalyticsWorkspace(string deployment) => Check(SecurityBaseline.DiagnosticsProblems, deployment);

    [Theory]
    [MemberData(nameof(Deployments))]
    public void KeyVault_HasPurgeProtectionAndRbacAuthorization(string deployment) => Check(SecurityBaseline.KeyVaultProblems, deployment);

    [Theory]
    [MemberData(nameof(Deployments))]
    public void Storage_DisallowsSharedKeysAndPublicBlobAccess(string deployment) => Check(SecurityBaseline.StorageProblems, deployment);

    [Theory]
    [MemberData(nameof(Deployments))]
    public void LocalAuth_IsOffWhereTheServiceAllows(string deployment) => Check(SecurityBaseline.LocalAuthProblems, deployment);

    [Theory]
    [MemberData(nameof(Deployments))]
    public void MinimumTlsVersion_IsAtLeast12WhereverItIsSettable(string deployment) => Check(SecurityBaseline.TlsProblems, deployment);

    [Theory]
    [MemberData(nameof(Deployments))]
    public void OneUserAssignedIdentity_IsTheOnlyIdentity(string deployment) => Check(SecurityBaseline.IdentityProblems, deployment);

    private static void Check(Func<DeploymentSnapshot, IEnumerable<string>> rule, string deployment)
    {
        var snapshot = CompiledInfra.Current.SnapshotOf(new[] { CompiledInfra.Default, CompiledInfra.CustomEmailDomain }.Single(d => d.EnvironmentName == deployment));

        TemplateConventionTests.AssertNone(rule(snapshot), deployment);
    }
}
