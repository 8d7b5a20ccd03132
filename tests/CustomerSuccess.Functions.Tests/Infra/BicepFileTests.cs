using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// A plain parse of every .bicep file, standing in for the Bicep CLI this build cannot install: balanced brackets
/// outside strings and comments, params declared before use and no undeclared identifiers, outputs declared once
/// and described, parameters described as Required./Optional., no secure parameter with a default, no literal that
/// looks like a key or connection string, and main.bicep's module calls matching the modules' params and outputs.
/// </summary>
public sealed partial class BicepFileTests
{
    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in RepositoryPaths.BicepFiles())
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.Infra, file).Replace('\\', '/'));
        }

        return data;
    }

    [Fact]
    public void InfraLayout_HasTheExpectedFiles()
    {
        foreach (var file in new[] { "main.bicep", "main.parameters.json", "abbreviations.json", "bicepconfig.json", "modules/functionapp.bicep", "modules/servicebus.bicep", "modules/rbac.bicep" })
        {
            Assert.True(File.Exists(RepositoryPaths.InfraFile(file)), "infra/" + file + " is missing");
        }

        Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, "azure.yaml")), "azure.yaml is missing");
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Brackets_AreBalancedOutsideStringsAndComments(string file)
    {
        var problems = Load(file).BracketProblems();

        Assert.True(problems.Count == 0, file + ":\n  " + string.Join("\n  ", problems));
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Identifiers_AreDeclaredAndParamsBeforeUse(string file)
    {
        var bicep = Load(file);
        var declared = bicep.DeclaredSymbols();
        var parameters = bicep.Parameters().ToDictionary(p => p.Name, p => p.Line, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (name, line) in bicep.IdentifierUses())
        {
            if (!declared.Contains(name))
            {
                problems.Add($"line {line}: '{name}' is not declared");
            }
            else if (parameters.TryGetValue(name, out var declaredAt) && declaredAt > line)
            {
                problems.Add($"line {line}: param '{name}' is used before its declaration on line {declaredAt}");
            }
        }

        Assert.True(problems.Count == 0, file + ":\n  " + string.Join("\n  ", problems.Distinct()));
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Params_AreUsedAndDescribedAsRequiredOrOptional(string file)
    {
        var bicep = Load(file);
        var used = bicep.IdentifierUses().Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var p in bicep.Parameters())
        {
            var expected = p.HasDefault ? "Optional. " : "Required. ";
            if (p.Description is null || !p.Description.StartsWith(expected, StringComparison.Ordinal))
            {
                problems.Add($"param {p.Name} (line {p.Line}) needs @description('{expected}...')");
            }

            if (p.IsSecure && p.HasDefault)
            {
                problems.Add($"@secure() param {p.Name} (line {p.Line}) must not have a default");
            }

            if (!used.Contains(p.Name))
            {
                problems.Add($"param {p.Name} (line {p.Line}) is never used");
            }
        }

        Assert.True(problems.Count == 0, file + ":\n  " + string.Join("\n  ", problems));
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Outputs_AreDeclaredOnceAndDescribed(string file)
    {
        var outputs = Load(file).Outputs();
        var duplicates = outputs.GroupBy(o => o.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var undescribed = outputs.Where(o => string.IsNullOrWhiteSpace(o.Description)).Select(o => o.Name).ToList();

        Assert.True(duplicates.Count == 0, $"{file}: outputs declared twice: {string.Join(", ", duplicates)}");
        Assert.True(undescribed.Count == 0, $"{file}: outputs without @description: {string.Join(", ", undescribed)}");
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Literals_HoldNoKeysSecretsOrConnectionStrings(string file)
    {
        var leaks = Load(file).StringLiterals().Where(l => LooksLikeSecret(l.Literal)).Select(l => $"line {l.Line}: '{l.Literal}'").ToList();

        Assert.True(leaks.Count == 0, file + " holds what looks like a secret:\n  " + string.Join("\n  ", leaks));
    }

    [Fact]
    public void ParameterAndSettingsFiles_HoldNoSecrets()
    {
        foreach (var path in new[] { RepositoryPaths.InfraFile("main.parameters.json"), Path.Combine(RepositoryPaths.Root, "local.settings.sample.json") })
        {
            foreach (Match m in JsonString().Matches(File.ReadAllText(path)))
            {
                Assert.False(LooksLikeSecret(m.Groups["text"].Value), $"{Path.GetFileName(path)} holds what looks like a secret: {m.Value}");
            }
        }
    }

    [Fact]
    public void MainModuleCalls_MatchTheModulesParamsAndOutputs()
    {
        var main = Load("main.bicep");
        var problems = new List<string>();
        var modules = new Dictionary<string, BicepText>(StringComparer.Ordinal);
        for (var line = 0; line < main.RawLines.Length; line++)
        {
            var declaration = ModuleDeclaration().Match(main.RawLines[line]);
            if (!declaration.Success)
            {
                continue;
            }

            var symbol = declaration.Groups["symbol"].Value;
            var path = RepositoryPaths.InfraFile(declaration.Groups["path"].Value);
            if (!File.Exists(path))
            {
                problems.Add($"module {symbol}: {declaration.Groups["path"].Value} does not exist");
                continue;
            }

            var module = BicepText.Load(path);
            modules[symbol] = module;
            var declaredParams = module.Parameters().ToDictionary(p => p.Name, StringComparer.Ordinal);
            var paramsLine = main.ObjectEntries(line).SingleOrDefault(e => e.Key == "params").Line - 1;
            var passed = paramsLine >= 0 ? main.ObjectEntries(paramsLine).Select(e => e.Key).ToHashSet(StringComparer.Ordinal) : [];
            problems.AddRange(passed.Where(p => !declaredParams.ContainsKey(p)).Select(p => $"module {symbol}: passes '{p}', which {declaration.Groups["path"].Value} does not declare"));
            problems.AddRange(declaredParams.Values.Where(p => !p.HasDefault && !passed.Contains(p.Name)).Select(p => $"module {symbol}: required param '{p.Name}' is not passed"));
        }

        foreach (Match use in OutputUse().Matches(main.Code))
        {
            var symbol = use.Groups["symbol"].Value;
            if (modules.TryGetValue(symbol, out var module) && !module.Outputs().Any(o => o.Name == use.Groups["output"].Value))
            {
                problems.Add($"{symbol}.outputs.{use.Groups["output"].Value}: the module has no such output");
            }
        }

        Assert.NotEmpty(modules);
        Assert.True(problems.Count == 0, "main.bicep:\n  " + string.Join("\n  ", problems.Distinct()));
    }

    [Fact]
    public void MainParameters_NameOnlyParamsOfMainBicep()
    {
        var declared = Load("main.bicep").Parameters().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(RepositoryPaths.InfraFile("main.parameters.json")));
        var unknown = document.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).Where(n => !declared.Contains(n)).ToList();

        Assert.True(unknown.Count == 0, "main.parameters.json sets params main.bicep does not declare: " + string.Join(", ", unknown));
    }

    [Fact]
    public void AzureYaml_HookUsesOnlyOutputsOfMainBicepAndThePublishedPackage()
    {
        var yaml = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "azure.yaml"));
        var outputs = Load("main.bicep").Outputs().Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var used = EnvironmentVariable().Matches(yaml).Select(m => m.Groups["name"].Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(used);
        Assert.All(used, name => Assert.True(outputs.Contains(name), $"azure.yaml uses ${name}, which main.bicep does not output"));
        Assert.Contains("scripts/publish.sh", yaml, StringComparison.Ordinal);
        Assert.Contains("artifacts/publish/package.zip", yaml, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+path: infra\s*$", yaml);
    }

    [Fact]
    public void UrlOutputs_PointAtRoutesAFunctionServes()
    {
        // The webhook URLs users paste into Stripe, Segment and Zendesk must be routes an httpTrigger function.json
        // declares (checked once the function folders exist; the HTTP functions arrive with their features).
        var routes = FunctionManifest.LoadAll()
            .SelectMany(m => m.Bindings)
            .Where(b => b.TryGetProperty("type", out var t) && t.GetString() == "httpTrigger" && b.TryGetProperty("route", out _))
            .Select(b => "/api/" + b.GetProperty("route").GetString())
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var urls = UrlOutput().Matches(Load("main.bicep").Raw).Select(m => (Output: m.Groups["name"].Value, Path: m.Groups["path"].Value)).ToList();

        Assert.Contains(urls, u => u.Output == "STRIPE_WEBHOOK_URL");
        Assert.Contains(urls, u => u.Output == "SEGMENT_WEBHOOK_URL");
        Assert.Contains(urls, u => u.Output == "ZENDESK_WEBHOOK_URL");
        if (routes.Count > 0)
        {
            Assert.All(urls, u => Assert.True(routes.Contains(u.Path), $"{u.Output} points at {u.Path}, which no function.json serves"));
        }
    }

    [Fact]
    public void Tags_CarryTheAzdEnvironmentAndServiceName()
    {
        Assert.Contains("'azd-env-name': environmentName", Load("main.bicep").Raw, StringComparison.Ordinal);
        Assert.Contains("'azd-service-name': serviceName", Load(InfraModel.FunctionAppModule).Raw, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalAuth_IsDisabledWhereTheServiceAllows()
    {
        Assert.Contains("allowSharedKeyAccess: false", Load("modules/storage.bicep").Raw, StringComparison.Ordinal);
        Assert.Contains("disableLocalAuth: true", Load(InfraModel.ServiceBusModule).Raw, StringComparison.Ordinal);
        Assert.Contains("DisableLocalAuth: true", Load("modules/monitoring.bicep").Raw, StringComparison.Ordinal);
        Assert.Contains("enableRbacAuthorization: true", Load("modules/keyvault.bicep").Raw, StringComparison.Ordinal);
    }

    internal static bool LooksLikeSecret(string literal) => SecretPattern().IsMatch(literal);

    private static BicepText Load(string relative) => BicepText.Load(RepositoryPaths.InfraFile(relative));

    [GeneratedRegex(@"AccountKey=|SharedAccessKey=|SharedAccessSignature=|InstrumentationKey=[0-9a-f]{8}|whsec_[A-Za-z0-9]{8,}|sk_(?:live|test)_[A-Za-z0-9]{8,}|-----BEGIN|(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]*\d[A-Za-z0-9+/]*\d[A-Za-z0-9+/]*\d)[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/])", RegexOptions.IgnoreCase)]
    private static partial Regex SecretPattern();

    [GeneratedRegex(@"""(?<text>(?:[^""\\]|\\.)*)""")]
    private static partial Regex JsonString();

    [GeneratedRegex(@"^module\s+(?<symbol>\w+)\s+'(?<path>[^']+)'\s*=\s*\{")]
    private static partial Regex ModuleDeclaration();

    [GeneratedRegex(@"\b(?<symbol>\w+)\.outputs\.(?<output>\w+)")]
    private static partial Regex OutputUse();

    [GeneratedRegex(@"^output\s+(?<name>\w+_URL)\s+string\s*=\s*'\$\{functionApp\.outputs\.url\}(?<path>/api/[^']+)'", RegexOptions.Multiline)]
    private static partial Regex UrlOutput();

    [GeneratedRegex(@"\$(?:\{)?(?<name>[A-Z][A-Z0-9_]+)")]
    private static partial Regex EnvironmentVariable();
}
