namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// The gate: infra/ compiles, and the compiler and the linter (rules in infra/bicepconfig.json) have nothing at all
/// to say, neither an error nor a warning nor an info, about main.bicep, its modules or main.bicepparam.
/// </summary>
public sealed class BicepCompilerTests
{
    [Fact]
    public void Build_MainBicep_CompilesWithoutAnyDiagnostic()
    {
        var build = CompiledInfra.Current.BuildRun;

        Assert.True(build.IsClean, build.Describe());
        Assert.NotNull(CompiledInfra.Current.TemplateOrNull);
    }

    [Fact]
    public void Lint_MainBicepAndModules_ReportNothing()
    {
        var lint = CompiledInfra.Current.LintRun;

        Assert.True(lint.IsClean, lint.Describe());
    }

    [Fact]
    public void Lint_MainBicepParam_ReportsNothing()
    {
        var lint = CompiledInfra.Current.ParamsLintRun;

        Assert.True(lint.IsClean, lint.Describe());
    }

    [Fact]
    public void BuildParams_MainBicepParam_CompilesAgainstMainBicepWithTheVariablesAzdSets()
    {
        var build = CompiledInfra.Current.ParamsBuildRun;

        Assert.True(build.IsClean, build.Describe());
        Assert.NotNull(CompiledInfra.Current.CompiledParameters);
    }

    [Fact]
    public void Snapshot_CompiledTemplate_EvaluatesForEveryTestDeployment()
    {
        var infra = CompiledInfra.Current;

        Assert.True(infra.SnapshotProblems.Count == 0, string.Join("\n", infra.SnapshotProblems));
        Assert.Equal(2, infra.Snapshots.Count);
    }
}
