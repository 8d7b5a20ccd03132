using System.Text.RegularExpressions;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Architecture;

/// <summary>
/// The features depend on each other one way only: Webhooks → Accounts ← Health ← Expansion ← Alerts, Health ←
/// Lifecycle (Alerts and Lifecycle may also read Accounts' ports); Renewals, Metrics, Reviews and Playbooks read Alerts, Health and Accounts (Playbooks follows Alerts through its listener port), and Pages
/// Renewals and Playbooks besides. The infrastructure folders (Storage, Messaging, Email, Hosting, LocalRunner) serve every feature
/// and depend on none. Read from the app's sources: every namespace a file names, in a using directive (plain,
/// static, alias or global) or written out in code, and the namespace the file declares, which must be its folder's.
/// </summary>
public sealed partial class DependencyDirectionTests
{
    private const string Root = "CustomerSuccess.Functions";

    private static readonly string[] Infrastructure = ["Storage", "Messaging", "Email", "Hosting", "LocalRunner", "Telemetry"];

    /// <summary>Which other top-level namespaces each one may name.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Accounts"] = [],
        ["Webhooks"] = ["Accounts"],
        ["Health"] = ["Accounts"],
        ["Expansion"] = ["Health", "Accounts"],
        ["Alerts"] = ["Expansion", "Health", "Accounts"],
        ["Lifecycle"] = ["Health", "Accounts"],
        ["Renewals"] = ["Alerts", "Health", "Accounts"],
        ["Metrics"] = ["Alerts", "Health", "Accounts"],
        ["Reviews"] = ["Alerts", "Health", "Accounts"],
        ["Playbooks"] = ["Alerts", "Health", "Accounts"],
        ["Pages"] = ["Renewals", "Playbooks", "Alerts", "Lifecycle", "Health", "Accounts"],
        ["Storage"] = [],
        ["Messaging"] = ["Hosting", "Telemetry"],
        ["Email"] = [],
        ["Hosting"] = ["Telemetry"],
        ["Telemetry"] = [],
        ["LocalRunner"] = ["Hosting", "Messaging"],
    };

    [Fact]
    public void AppSources_NameOnlyTheNamespacesTheirFeatureMayDependOn()
    {
        var violations = new List<string>();
        foreach (var (file, folder, source) in Sources())
        {
            violations.AddRange(Check(folder, source).Select(v => $"{file}: {v}"));
        }

        Assert.True(violations.Count == 0, "Dependencies against the one-way flow:\n  " + string.Join("\n  ", violations));
    }

    [Fact]
    public void AppSources_EveryFolderIsInTheRules()
    {
        var folders = Sources().Select(s => s.Folder).Distinct(StringComparer.Ordinal).Where(f => f.Length > 0);

        Assert.All(folders, f => Assert.True(Allowed.ContainsKey(f), $"Folder {f} has no dependency rule; add it to {nameof(Allowed)}."));
    }

    [Theory]
    [InlineData("Accounts", "using CustomerSuccess.Functions.Webhooks;\nnamespace CustomerSuccess.Functions.Accounts;", "names CustomerSuccess.Functions.Webhooks")]
    [InlineData("Accounts", "namespace CustomerSuccess.Functions.Accounts;\nclass A { CustomerSuccess.Functions.Health.HealthOptions? o; }", "names CustomerSuccess.Functions.Health")]
    [InlineData("Health", "using static CustomerSuccess.Functions.Alerts.AlertRules;\nnamespace CustomerSuccess.Functions.Health;", "names CustomerSuccess.Functions.Alerts")]
    [InlineData("Webhooks", "using Hs = CustomerSuccess.Functions.Health.HealthScores;\nnamespace CustomerSuccess.Functions.Webhooks;", "names CustomerSuccess.Functions.Health")]
    [InlineData("Storage", "global using CustomerSuccess.Functions.Accounts;\nnamespace CustomerSuccess.Functions.Storage;", "names CustomerSuccess.Functions.Accounts")]
    [InlineData("Accounts", "namespace CustomerSuccess.Functions.Webhooks;", "declares CustomerSuccess.Functions.Webhooks")]
    public void Check_ForbiddenReference_IsReported(string folder, string source, string expected) =>
        Assert.Contains(Check(folder, source), v => v.Contains(expected, StringComparison.Ordinal));

    [Fact]
    public void Check_AllowedReferencesAndComments_NotReported()
    {
        var source = "using CustomerSuccess.Functions.Accounts;\nusing CustomerSuccess.Functions.Storage;\nnamespace CustomerSuccess.Functions.Webhooks.Stripe;\n// CustomerSuccess.Functions.Health is read by no one here\n/// <see cref=\"CustomerSuccess.Functions.Alerts.Alert\"/>\nclass S { string t = \"CustomerSuccess.Functions.Lifecycle\"; }";

        Assert.Empty(Check("Webhooks", source));
    }

    private static IEnumerable<string> Check(string folder, string source)
    {
        var code = StripCommentsAndStrings(source);
        foreach (Match declared in DeclaredNamespace().Matches(code))
        {
            var top = TopLevel(declared.Groups["ns"].Value);
            if (folder.Length > 0 && top != folder)
            {
                yield return $"declares {Root}.{top} but lives in {folder}/";
            }
        }

        if (folder.Length == 0)
        {
            yield break; // the composition root (Program.cs) wires every feature
        }

        foreach (var named in NamedNamespace().Matches(code).Select(m => m.Groups["ns"].Value).Distinct(StringComparer.Ordinal))
        {
            var top = TopLevel(named);
            if (top != folder && !Allowed.GetValueOrDefault(folder, []).Contains(top) && !(Infrastructure.Contains(top) && !Infrastructure.Contains(folder)))
            {
                yield return $"names {Root}.{top}, which {folder} may not depend on";
            }
        }
    }

    private static string TopLevel(string ns)
    {
        var dot = ns.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? ns : ns[..dot];
    }

    private static IEnumerable<(string File, string Folder, string Source)> Sources()
    {
        var app = Path.Combine(RepoPaths.Root, "src", "CustomerSuccess.Functions");
        foreach (var file in Directory.EnumerateFiles(app, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(app, file);
            if (relative.StartsWith("bin", StringComparison.Ordinal) || relative.StartsWith("obj", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = relative.Split(Path.DirectorySeparatorChar);
            yield return (relative, parts.Length > 1 ? parts[0] : string.Empty, File.ReadAllText(file));
        }
    }

    // Comments and string literals may mention anything; only code counts.
    private static string StripCommentsAndStrings(string source) => CommentOrString().Replace(source, m => m.Value.StartsWith('/') ? " " : "\"\"");

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""", RegexOptions.Singleline)]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"\bnamespace\s+CustomerSuccess\.Functions\.(?<ns>[A-Za-z0-9_.]+)")]
    private static partial Regex DeclaredNamespace();

    [GeneratedRegex(@"(?<!namespace\s+)\bCustomerSuccess\.Functions\.(?<ns>[A-Za-z0-9_]+)")]
    private static partial Regex NamedNamespace();
}
