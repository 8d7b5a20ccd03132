namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// infra/ as the Bicep CLI sees it, built once per test run into a temporary folder: the compiled template
/// (<c>bicep build infra/main.bicep</c>), the linter's verdict on main.bicep and main.bicepparam, main.bicepparam
/// compiled against the template (<c>bicep build-params</c>), and two snapshots of what deploying the compiled
/// template creates (<c>bicep snapshot</c> of a parameters file that names main.json). The infra tests read no
/// Bicep source: the compiled template is their only input (one test only checks which files azd will find).
/// </summary>
internal sealed class CompiledInfra
{
    private static readonly Lazy<CompiledInfra> Instance = new(() => Compile(RepositoryPaths.Infra), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Where the snapshots pretend to deploy.</summary>
    public static readonly SnapshotScope Scope = new("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "westeurope");

    /// <summary>The deployment the tests look at: the person deploying gets a role, email goes out from the Azure-managed domain.</summary>
    public static readonly TestDeployment Default = new("ci-infra", "westeurope", "escalations@example.com", "oncall@example.com",
        PrincipalId: "33333333-3333-3333-3333-333333333333", CustomEmailDomain: string.Empty);

    /// <summary>The other branch of each condition in the template: no deployer, a custom sending domain, sign-in with Entra ID.</summary>
    public static readonly TestDeployment CustomEmailDomain = Default with
    {
        EnvironmentName = "ci-custom",
        PrincipalId = string.Empty,
        CustomEmailDomain = "mail.example.com",
        DashboardEntraClientId = "44444444-4444-4444-4444-444444444444",
    };

    private CompiledInfra(BicepRun build, BicepRun lint, BicepRun paramsLint, BicepRun paramsBuild, ArmTemplate? template, string? compiledParameters, IReadOnlyDictionary<TestDeployment, DeploymentSnapshot> snapshots, IReadOnlyList<string> snapshotProblems)
    {
        BuildRun = build;
        LintRun = lint;
        ParamsLintRun = paramsLint;
        ParamsBuildRun = paramsBuild;
        TemplateOrNull = template;
        CompiledParameters = compiledParameters;
        Snapshots = snapshots;
        SnapshotProblems = snapshotProblems;
    }

    public static CompiledInfra Current => Instance.Value;

    public BicepRun BuildRun { get; }

    public BicepRun LintRun { get; }

    public BicepRun ParamsLintRun { get; }

    public BicepRun ParamsBuildRun { get; }

    public ArmTemplate? TemplateOrNull { get; }

    /// <summary>main.bicepparam compiled to a JSON parameters file, with <see cref="Default"/>'s values in the environment azd would set.</summary>
    public string? CompiledParameters { get; }

    public IReadOnlyDictionary<TestDeployment, DeploymentSnapshot> Snapshots { get; }

    public IReadOnlyList<string> SnapshotProblems { get; }

    /// <summary>The compiled template; fails the calling test, with the compiler's diagnostics, when there is none.</summary>
    public ArmTemplate Template => TemplateOrNull ?? throw new InvalidOperationException("infra/main.bicep did not compile. " + BuildRun.Describe());

    /// <summary>What deploying <see cref="Default"/> creates.</summary>
    public DeploymentSnapshot Snapshot => SnapshotOf(Default);

    public DeploymentSnapshot SnapshotOf(TestDeployment deployment) =>
        Snapshots.TryGetValue(deployment, out var snapshot)
            ? snapshot
            : throw new InvalidOperationException($"No snapshot of {deployment.EnvironmentName}: " + (TemplateOrNull is null ? BuildRun.Describe() : string.Join("\n", SnapshotProblems)));

    /// <summary>Compiles the infra folder <paramref name="infra"/> (main.bicep, main.bicepparam, bicepconfig.json, modules/) into a fresh temporary folder.</summary>
    public static CompiledInfra Compile(string infra)
    {
        var work = Directory.CreateTempSubdirectory("cs-infra-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(work);
        var templateFile = Path.Combine(work, "main.json");
        var parametersFile = Path.Combine(work, "main.parameters.json");
        var environment = Default.AzdEnvironment();

        // Independent runs of the CLI, side by side.
        var build = Task.Run(() => BicepCli.Build(Path.Combine(infra, "main.bicep"), templateFile));
        var lint = Task.Run(() => BicepCli.Lint(Path.Combine(infra, "main.bicep")));
        var paramsLint = Task.Run(() => BicepCli.Lint(Path.Combine(infra, "main.bicepparam"), environment));
        var paramsBuild = Task.Run(() => BicepCli.BuildParams(Path.Combine(infra, "main.bicepparam"), parametersFile, environment));
        Task.WaitAll(build, lint, paramsLint, paramsBuild);

        ArmTemplate? template = null;
        var snapshots = new Dictionary<TestDeployment, DeploymentSnapshot>();
        var problems = new List<string>();
        if (File.Exists(templateFile) && build.Result.ExitCode == 0)
        {
            template = ArmTemplate.Parse(File.ReadAllText(templateFile));
            var runs = new[] { Default, CustomEmailDomain }
                .Select(d => (Deployment: d, Run: Task.Run(() => TakeSnapshot(work, d))))
                .ToList();
            foreach (var (deployment, run) in runs)
            {
                var (result, snapshot) = run.Result;
                if (snapshot is not null)
                {
                    snapshots[deployment] = snapshot;
                }
                else
                {
                    problems.Add(result.Describe());
                }
            }
        }

        var compiledParameters = File.Exists(parametersFile) ? File.ReadAllText(parametersFile) : null;
        return new CompiledInfra(build.Result, lint.Result, paramsLint.Result, paramsBuild.Result, template, compiledParameters, snapshots, problems);
    }

    private static (BicepRun Run, DeploymentSnapshot? Snapshot) TakeSnapshot(string work, TestDeployment deployment)
    {
        var parameters = Path.Combine(work, deployment.EnvironmentName + ".bicepparam");
        File.WriteAllText(parameters, deployment.ToBicepParam("main.json"));
        var run = BicepCli.Snapshot(parameters, Scope);
        var output = Path.ChangeExtension(parameters, ".snapshot.json");
        return (run, run.ExitCode == 0 && File.Exists(output) ? DeploymentSnapshot.Parse(File.ReadAllText(output)) : null);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

/// <summary>Values for main.bicep's parameters, as a person deploying with azd would set them.</summary>
internal sealed record TestDeployment(string EnvironmentName, string Location, string AlertEscalationContact, string OnCallCsm, string PrincipalId, string CustomEmailDomain, string DashboardEntraClientId = "")
{
    /// <summary>The variables azd sets when it compiles main.bicepparam.</summary>
    public IReadOnlyDictionary<string, string> AzdEnvironment() => new Dictionary<string, string>
    {
        ["AZURE_ENV_NAME"] = EnvironmentName,
        ["AZURE_LOCATION"] = Location,
        ["AZURE_PRINCIPAL_ID"] = PrincipalId,
        ["ALERT_ESCALATION_CONTACT"] = AlertEscalationContact,
        ["ON_CALL_CSM"] = OnCallCsm,
        ["CUSTOM_EMAIL_DOMAIN"] = CustomEmailDomain,
        ["DASHBOARD_ENTRA_CLIENT_ID"] = DashboardEntraClientId,
    };

    public string ToBicepParam(string template) => $"""
        using '{template}'
        param environmentName = '{EnvironmentName}'
        param location = '{Location}'
        param alertEscalationContact = '{AlertEscalationContact}'
        param onCallCsm = '{OnCallCsm}'
        param principalId = '{PrincipalId}'
        param customEmailDomain = '{CustomEmailDomain}'
        param dashboardEntraClientId = '{DashboardEntraClientId}'
        """;
}
