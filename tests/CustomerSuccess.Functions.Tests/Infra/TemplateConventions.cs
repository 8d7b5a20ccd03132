using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// Rules over the compiled template's declarations (main.bicep and every module, nested as deployments): parameters
/// and outputs described in the Azure Verified Modules style, and no secret in any output or literal. Each returns
/// the problems it finds, so <see cref="InfraCheckSelfTests"/> can feed it a small template that breaks the rule.
/// </summary>
internal static partial class TemplateConventions
{
    /// <summary>
    /// Every parameter is described, starting "Optional. " when it may be left out (it has a default, or is nullable:
    /// <c>int?</c>) and "Required. " otherwise.
    /// </summary>
    public static IEnumerable<string> ParameterDescriptionProblems(ArmTemplate template) =>
        from t in template.Templates()
        from p in ArmTemplate.Declarations(t.Template, "parameters")
        let optional = p.Value.ContainsKey("defaultValue") || p.Value["nullable"]?.GetValue<bool>() == true
        let expected = optional ? "Optional. " : "Required. "
        let description = (string?)p.Value["metadata"]?["description"]
        where description is null || !description.StartsWith(expected, StringComparison.Ordinal)
        select $"{t.Name}: param {p.Key} needs @description('{expected}...'), has '{description}'";

    /// <summary>Every output is described.</summary>
    public static IEnumerable<string> OutputDescriptionProblems(ArmTemplate template) =>
        from t in template.Templates()
        from o in ArmTemplate.Declarations(t.Template, "outputs")
        where string.IsNullOrWhiteSpace((string?)o.Value["metadata"]?["description"])
        select $"{t.Name}: output {o.Key} has no @description";

    /// <summary>
    /// No output of any template carries a secret: none is secure-typed, named like a secret, calls a list*()
    /// function (listKeys, listSecrets, ...), reads a key or connection string property, or passes on a secure parameter.
    /// </summary>
    public static IEnumerable<string> SecretOutputProblems(ArmTemplate template)
    {
        foreach (var (name, t) in template.Templates())
        {
            var secureParameters = ArmTemplate.Declarations(t, "parameters")
                .Where(p => IsSecureType((string?)p.Value["type"]))
                .Select(p => p.Key)
                .ToList();
            foreach (var (output, declaration) in ArmTemplate.Declarations(t, "outputs"))
            {
                var value = declaration["value"] switch
                {
                    JsonValue v when v.TryGetValue<string>(out var text) => text,
                    var node => node?.ToJsonString() ?? string.Empty,
                };
                if (IsSecureType((string?)declaration["type"]))
                {
                    yield return $"{name}: output {output} is {(string?)declaration["type"]}";
                }

                if (SecretName().IsMatch(output))
                {
                    yield return $"{name}: output {output} is named like a secret";
                }

                if (ListFunction().Match(value) is { Success: true } list)
                {
                    yield return $"{name}: output {output} calls {list.Value.TrimEnd('(')}()";
                }

                if (SecretProperty().Match(value) is { Success: true } property)
                {
                    yield return $"{name}: output {output} reads {property.Value}";
                }

                foreach (var secure in secureParameters.Where(p => value.Contains($"parameters('{p}')", StringComparison.Ordinal)))
                {
                    yield return $"{name}: output {output} passes on the secure parameter {secure}";
                }
            }
        }
    }

    /// <summary>No string anywhere in <paramref name="json"/> looks like a key, a connection string or a signing secret.</summary>
    public static IEnumerable<string> SecretLiteralProblems(JsonNode json) =>
        ArmTemplate.Strings(json)
            .Where(s => LooksLikeSecret(s.Value))
            .Select(s => $"{s.Path}: '{s.Value}' looks like a secret");

    /// <summary>
    /// A key or connection string marker, a provider's secret prefix, or a long base64 run with digits in it. A run
    /// with '/' in it counts only with padding or a '+', so a resource ID ("…/domains/AzureManagedDomain") does not.
    /// </summary>
    internal static bool LooksLikeSecret(string literal) =>
        SecretMarker().IsMatch(literal) ||
        Base64Run().Matches(literal).Any(m => !m.Value.Contains('/', StringComparison.Ordinal) || m.Value.EndsWith('=') || m.Value.Contains('+', StringComparison.Ordinal));

    private static bool IsSecureType(string? type) =>
        type is not null && type.StartsWith("secure", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"AccountKey=|SharedAccessKey=|SharedAccessSignature=|InstrumentationKey=[0-9a-f]{8}|whsec_[A-Za-z0-9]{8,}|sk_(?:live|test)_[A-Za-z0-9]{8,}|-----BEGIN", RegexOptions.IgnoreCase)]
    private static partial Regex SecretMarker();

    [GeneratedRegex(@"(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]*\d[A-Za-z0-9+/]*\d[A-Za-z0-9+/]*\d)[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/])")]
    private static partial Regex Base64Run();

    [GeneratedRegex(@"password|secret|connectionstring|accountkey|accesskey|sharedaccess|\bsas\b|token|credential|primarykey|secondarykey", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"\blist\w*\(", RegexOptions.IgnoreCase)]
    private static partial Regex ListFunction();

    [GeneratedRegex(@"\.(?:ConnectionString|primaryConnectionString|secondaryConnectionString|primaryKey|secondaryKey|InstrumentationKey|keys)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SecretProperty();
}
