using System.Text.Json;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// What configuration the app's code reads, discovered from its sources rather than listed by hand:
/// <list type="bullet">
/// <item>options classes: a <c>const string SectionName = "X"</c> and their public settable properties, recursively
/// through nested option types declared in the app, collections as <c>X__Name__0</c> and dictionaries as
/// <c>X__Name__&lt;key&gt;</c>; a property marked <c>[Required]</c> or <c>[MinLength]</c> is a required setting;</item>
/// <item>keys read directly: <c>Configuration["K"]</c>, <c>GetValue&lt;T&gt;("K")</c>,
/// <c>Environment.GetEnvironmentVariable("K")</c>, <c>GetConnectionString("K")</c> (as ConnectionStrings__K),
/// and whole sections: <c>GetSection("S")</c>, <c>BindConfiguration("S")</c>.</item>
/// </list>
/// Keys use the app-setting spelling (<c>__</c> between levels) and compare case-insensitively, as configuration does.
/// </summary>
internal sealed partial class AppConfigurationScanner
{
    private readonly List<ConfigurationKey> _keys = [];

    public IReadOnlyList<ConfigurationKey> Keys => _keys;

    public IEnumerable<ConfigurationKey> Required => _keys.Where(k => k.Required);

    public static AppConfigurationScanner ScanApp() => Scan(RepositoryPaths.AppSourceFiles().Select(f => (f, File.ReadAllText(f))));

    public static AppConfigurationScanner Scan(IEnumerable<(string Path, string Text)> sources)
    {
        var scanner = new AppConfigurationScanner();
        var files = sources.ToList();
        var classes = new Dictionary<string, ClassSource>(StringComparer.Ordinal);
        foreach (var (path, text) in files)
        {
            var declarations = TypeDeclaration().Matches(text).ToList();
            for (var i = 0; i < declarations.Count; i++)
            {
                var start = declarations[i].Index;
                var end = i + 1 < declarations.Count ? declarations[i + 1].Index : text.Length;
                var name = declarations[i].Groups["name"].Value;
                classes.TryAdd(name, new ClassSource(name, path, text[start..end]));
            }
        }

        foreach (var cls in classes.Values)
        {
            var section = SectionNameConstant().Match(cls.Body);
            if (section.Success)
            {
                scanner.AddOptions(classes, cls, ToAppSettingName(section.Groups["section"].Value), depth: 0);
            }
        }

        foreach (var (path, text) in files)
        {
            foreach (Match m in DirectKeyRead().Matches(text))
            {
                scanner.Add(ToAppSettingName(m.Groups["key"].Value), KeyShape.Exact, required: false, $"{Path.GetFileName(path)}: {m.Value.Trim()}");
            }

            foreach (Match m in ConnectionStringRead().Matches(text))
            {
                scanner.Add("ConnectionStrings__" + m.Groups["key"].Value, KeyShape.Exact, required: false, $"{Path.GetFileName(path)}: {m.Value}");
            }

            foreach (Match m in SectionRead().Matches(text))
            {
                scanner.Add(ToAppSettingName(m.Groups["key"].Value), KeyShape.Section, required: false, $"{Path.GetFileName(path)}: {m.Value}");
            }
        }

        return scanner;
    }

    /// <summary>Whether an app setting name is something the code reads.</summary>
    public bool Reads(string settingName) => _keys.Any(k => k.Matches(settingName));

    /// <summary>Whether the code reads anything under a top-level section (options class, direct key or GetSection).</summary>
    public bool ReadsSection(string section) =>
        _keys.Any(k => k.Name.Equals(section, StringComparison.OrdinalIgnoreCase) || k.Name.StartsWith(section + "__", StringComparison.OrdinalIgnoreCase));

    public static string ToAppSettingName(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);

    private void AddOptions(Dictionary<string, ClassSource> classes, ClassSource cls, string prefix, int depth)
    {
        if (depth > 8)
        {
            return;
        }

        foreach (Match p in SettableProperty().Matches(cls.Body))
        {
            var attributes = p.Groups["attributes"].Value;
            var required = attributes.Contains("[Required", StringComparison.Ordinal) || attributes.Contains("MinLength(", StringComparison.Ordinal);
            var type = p.Groups["type"].Value.Trim().TrimEnd('?');
            var name = $"{prefix}__{p.Groups["name"].Value}";
            var origin = $"{cls.Name}.{p.Groups["name"].Value}";

            var dictionary = DictionaryType().Match(type);
            var collection = CollectionType().Match(type);
            if (dictionary.Success)
            {
                var value = dictionary.Groups["value"].Value.TrimEnd('?');
                if (classes.TryGetValue(value, out var valueClass))
                {
                    AddOptions(classes, valueClass, name + "__*", depth + 1);
                }
                else
                {
                    Add(name + "__*", KeyShape.Exact, required, origin);
                }
            }
            else if (collection.Success)
            {
                var element = collection.Groups["element"].Value.TrimEnd('?');
                if (classes.TryGetValue(element, out var elementClass))
                {
                    AddOptions(classes, elementClass, name + "__#", depth + 1);
                }
                else
                {
                    // A required list needs its first element.
                    Add(name + "__#", KeyShape.Exact, required, origin);
                }
            }
            else if (classes.TryGetValue(type, out var nested) && !IsEnum(nested))
            {
                AddOptions(classes, nested, name, depth + 1);
            }
            else
            {
                Add(name, KeyShape.Exact, required, origin);
            }
        }
    }

    private static bool IsEnum(ClassSource cls) => cls.Body.TrimStart().StartsWith("enum", StringComparison.Ordinal) || EnumDeclaration().IsMatch(cls.Body[..Math.Min(cls.Body.Length, 200)]);

    private void Add(string name, KeyShape shape, bool required, string origin) => _keys.Add(new ConfigurationKey(name, shape, required, origin));

    private sealed record ClassSource(string Name, string Path, string Body);

    [GeneratedRegex(@"\b(?:class|record|struct|enum)\s+(?<name>\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*enum\s", RegexOptions.Multiline)]
    private static partial Regex EnumDeclaration();

    [GeneratedRegex(@"const\s+string\s+SectionName\s*=\s*""(?<section>[^""]+)""")]
    private static partial Regex SectionNameConstant();

    [GeneratedRegex(@"(?<attributes>(?:\[[^\]\n]*\]\s*)*)public\s+(?:required\s+)?(?<type>[\w<>\[\],?. ]+?)\s+(?<name>\w+)\s*\{\s*get;\s*(?:set|init);\s*\}")]
    private static partial Regex SettableProperty();

    [GeneratedRegex(@"^(?:I?Dictionary|IReadOnlyDictionary)<\s*string\s*,\s*(?<value>[\w?]+)\s*>$")]
    private static partial Regex DictionaryType();

    [GeneratedRegex(@"^(?:(?<element>[\w?]+)\[\]|(?:List|IList|IReadOnlyList|ICollection|IReadOnlyCollection|IEnumerable|HashSet|ISet)<\s*(?<element>[\w?]+)\s*>)$")]
    private static partial Regex CollectionType();

    [GeneratedRegex(@"(?:\b\w*[Cc]onfig\w*\s*\[\s*""(?<key>[^""]+)""\s*\]|\bGetValue<[^>]+>\(\s*""(?<key>[^""]+)""|\bEnvironment\.GetEnvironmentVariable\(\s*""(?<key>[^""]+)"")")]
    private static partial Regex DirectKeyRead();

    [GeneratedRegex(@"\bGetConnectionString\(\s*""(?<key>[^""]+)""\s*\)")]
    private static partial Regex ConnectionStringRead();

    [GeneratedRegex(@"\b(?:GetSection|GetRequiredSection|BindConfiguration)\(\s*""(?<key>[^""]+)""")]
    private static partial Regex SectionRead();
}

internal enum KeyShape
{
    /// <summary>One setting; <c>#</c> stands for a list index and <c>*</c> for a dictionary key.</summary>
    Exact,

    /// <summary>A whole section: the name itself and anything below it.</summary>
    Section,
}

internal sealed record ConfigurationKey(string Name, KeyShape Shape, bool Required, string Origin)
{
    public bool Matches(string settingName)
    {
        var pattern = "^" + string.Join("__", Name.Split("__").Select(Segment)) + (Shape == KeyShape.Section ? "(?:__.+)?" : string.Empty) + "$";
        return Regex.IsMatch(settingName, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

        static string Segment(string s) => s switch
        {
            "#" => @"\d+",
            "*" => "(?:(?!__).)+",
            _ => Regex.Escape(s),
        };
    }
}

/// <summary>The function.json files under src/CustomerSuccess.Functions/functions/*/: bindings, queues, connections, %Setting% references.</summary>
internal sealed partial record FunctionManifest(string FunctionName, string Path, IReadOnlyList<JsonElement> Bindings, IReadOnlyList<string> SettingReferences)
{
    public static IReadOnlyList<FunctionManifest> LoadAll()
    {
        if (!Directory.Exists(RepositoryPaths.FunctionsFolder))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(RepositoryPaths.FunctionsFolder)
            .Select(dir => System.IO.Path.Combine(dir, "function.json"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal)
            .Select(Load)];
    }

    public static FunctionManifest Load(string path)
    {
        var text = File.ReadAllText(path);
        using var document = JsonDocument.Parse(text);
        var bindings = document.RootElement.TryGetProperty("bindings", out var b)
            ? b.EnumerateArray().Select(e => e.Clone()).ToList()
            : [];
        var references = SettingReference().Matches(text).Select(m => m.Groups["name"].Value).Distinct(StringComparer.Ordinal).ToList();
        return new FunctionManifest(new DirectoryInfo(System.IO.Path.GetDirectoryName(path)!).Name, path, bindings, references);
    }

    public IEnumerable<string> Connections => Bindings
        .Where(b => b.TryGetProperty("connection", out _))
        .Select(b => b.GetProperty("connection").GetString()!)
        .Where(c => !string.IsNullOrEmpty(c));

    /// <summary>Literal queue names of Service Bus bindings (a %Setting% queue name is checked as a setting instead).</summary>
    public IEnumerable<string> ServiceBusQueues => Bindings
        .Where(b => b.TryGetProperty("type", out var t) && t.GetString() is { } type && type.StartsWith("serviceBus", StringComparison.OrdinalIgnoreCase))
        .Select(b => b.TryGetProperty("queueName", out var q) ? q.GetString() : null)
        .OfType<string>()
        .Where(q => !q.Contains('%', StringComparison.Ordinal));

    [GeneratedRegex(@"%(?<name>[A-Za-z0-9_:.\-]+)%")]
    private static partial Regex SettingReference();
}
