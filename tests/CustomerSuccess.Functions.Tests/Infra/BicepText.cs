using System.Text;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// A plain reading of one .bicep file, enough to check structure without the Bicep CLI: the code with comments
/// removed and string literals emptied (interpolated expressions kept, in parentheses), line for line with the
/// raw text, so a block found in the code can be read back from the raw lines.
/// </summary>
internal sealed partial class BicepText
{
    private BicepText(string path, string raw, string code)
    {
        Path = path;
        Raw = raw;
        Code = code;
        RawLines = raw.Split('\n');
        CodeLines = code.Split('\n');
    }

    public string Path { get; }

    public string Raw { get; }

    /// <summary>Comments removed, string contents removed; newlines preserved.</summary>
    public string Code { get; }

    public string[] RawLines { get; }

    public string[] CodeLines { get; }

    public static BicepText Load(string path) => Parse(path, File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal));

    public static BicepText Parse(string path, string raw)
    {
        var output = new StringBuilder(raw.Length);
        var i = 0;
        ScanCode(raw, ref i, output, inInterpolation: false);
        return new BicepText(path, raw, output.ToString());
    }

    public IReadOnlyList<BicepParameter> Parameters()
    {
        var result = new List<BicepParameter>();
        for (var line = 0; line < CodeLines.Length; line++)
        {
            var match = ParamDeclaration().Match(CodeLines[line]);
            if (!match.Success)
            {
                continue;
            }

            var decoratorText = DecoratorsAbove(line);
            var description = DescriptionDecorator().Match(decoratorText);
            result.Add(new BicepParameter(
                match.Groups["name"].Value,
                line + 1,
                HasDefault: match.Groups["default"].Success,
                IsSecure: decoratorText.Contains("@secure()", StringComparison.Ordinal),
                Description: description.Success ? description.Groups["text"].Value : null));
        }

        return result;
    }

    public IReadOnlyList<(string Name, int Line, string? Description)> Outputs()
    {
        var result = new List<(string, int, string?)>();
        for (var line = 0; line < CodeLines.Length; line++)
        {
            var match = OutputDeclaration().Match(CodeLines[line]);
            if (!match.Success)
            {
                continue;
            }

            var description = DescriptionDecorator().Match(DecoratorsAbove(line));
            result.Add((match.Groups["name"].Value, line + 1, description.Success ? description.Groups["text"].Value : null));
        }

        return result;
    }

    /// <summary>Names declared at file level or as loop and lambda variables.</summary>
    public ISet<string> DeclaredSymbols()
    {
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Declaration().Matches(Code))
        {
            declared.Add(m.Groups["name"].Value);
        }

        foreach (Match m in LoopVariables().Matches(Code))
        {
            foreach (var name in m.Groups["vars"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                declared.Add(name);
            }
        }

        foreach (Match m in LambdaVariable().Matches(Code))
        {
            declared.Add(m.Groups["name"].Value);
        }

        return declared;
    }

    /// <summary>Every identifier used as a value (not a property key, member name, decorator, type or keyword), with its line.</summary>
    public IReadOnlyList<(string Name, int Line)> IdentifierUses()
    {
        var uses = new List<(string, int)>();
        for (var line = 0; line < CodeLines.Length; line++)
        {
            var text = CodeLines[line];
            if (DeclarationLine().IsMatch(text))
            {
                // Skip the keyword, the declared name and (param/output) its type; the rest of the line is an expression.
                var head = DeclarationHead().Match(text);
                text = new string(' ', head.Length) + text[head.Length..];
            }

            foreach (Match m in Identifier().Matches(text))
            {
                var name = m.Value;
                var before = text[..m.Index].TrimEnd(' ', '\t');
                var after = text[(m.Index + m.Length)..];
                if (Keywords.Contains(name) || before.EndsWith('.') || before.EndsWith(".?", StringComparison.Ordinal) || before.EndsWith('@'))
                {
                    continue;
                }

                var isKey = (before.Length == 0 || before.EndsWith('{') || before.EndsWith(',')) && PropertyColon().IsMatch(after);
                var isCall = after.StartsWith('(');
                if (isKey || (isCall && BuiltInFunctions.Contains(name)))
                {
                    continue;
                }

                uses.Add((name, line + 1));
            }
        }

        return uses;
    }

    /// <summary>Opening and closing brackets outside strings and comments, paired; returns the problems found.</summary>
    public IReadOnlyList<string> BracketProblems()
    {
        var problems = new List<string>();
        var stack = new Stack<(char Open, int Line)>();
        var line = 1;
        foreach (var c in Code)
        {
            switch (c)
            {
                case '\n':
                    line++;
                    break;
                case '(' or '[' or '{':
                    stack.Push((c, line));
                    break;
                case ')' or ']' or '}':
                    var expected = c switch { ')' => '(', ']' => '[', _ => '{' };
                    if (stack.Count == 0)
                    {
                        problems.Add($"line {line}: '{c}' closes nothing");
                    }
                    else if (stack.Peek().Open != expected)
                    {
                        var open = stack.Pop();
                        problems.Add($"line {line}: '{c}' closes '{open.Open}' opened on line {open.Line}");
                    }
                    else
                    {
                        stack.Pop();
                    }

                    break;
            }
        }

        problems.AddRange(stack.Select(open => $"line {open.Line}: '{open.Open}' is never closed"));
        return problems;
    }

    /// <summary>
    /// The entries of the object literal that opens on <paramref name="openLine"/> (0-based; the line ends with '{'):
    /// key and raw value text of each line at depth one.
    /// </summary>
    public IReadOnlyList<(string Key, string RawValue, int Line)> ObjectEntries(int openLine)
    {
        var entries = new List<(string, string, int)>();
        var depth = Depth(CodeLines[openLine]);
        if (depth <= 0)
        {
            throw new FormatException($"{Path}:{openLine + 1} does not open a block");
        }

        for (var line = openLine + 1; line < CodeLines.Length && depth > 0; line++)
        {
            if (depth == 1)
            {
                var key = EntryKey().Match(CodeLines[line]);
                if (key.Success)
                {
                    var raw = RawLines[line];
                    var colon = raw.IndexOf(':', StringComparison.Ordinal);
                    var value = StripLineComment(raw[(colon + 1)..]).Trim();
                    entries.Add((key.Groups["key"].Value.Trim('\''), value, line + 1));
                }
            }

            depth += Depth(CodeLines[line]);
        }

        return entries;
    }

    /// <summary>The line (0-based) of the first line at or after <paramref name="from"/> whose code matches, or -1.</summary>
    public int FindCodeLine(Regex pattern, int from = 0)
    {
        for (var line = from; line < CodeLines.Length; line++)
        {
            if (pattern.IsMatch(CodeLines[line]))
            {
                return line;
            }
        }

        return -1;
    }

    public int FindRawLine(Regex pattern, int from = 0)
    {
        for (var line = from; line < RawLines.Length; line++)
        {
            if (pattern.IsMatch(RawLines[line]))
            {
                return line;
            }
        }

        return -1;
    }

    /// <summary>The last line (0-based) of the block opening on <paramref name="openLine"/>.</summary>
    public int BlockEnd(int openLine)
    {
        var depth = 0;
        for (var line = openLine; line < CodeLines.Length; line++)
        {
            depth += Depth(CodeLines[line]);
            if (depth <= 0 && line > openLine)
            {
                return line;
            }
        }

        return CodeLines.Length - 1;
    }

    /// <summary>Raw string literals (single-line, non-interpolated parts included) of the file, for the secret scan.</summary>
    public IEnumerable<(string Literal, int Line)> StringLiterals()
    {
        for (var line = 0; line < RawLines.Length; line++)
        {
            foreach (Match m in SingleQuotedLiteral().Matches(StripLineComment(RawLines[line])))
            {
                yield return (m.Groups["text"].Value, line + 1);
            }
        }
    }

    private static int Depth(string codeLine)
    {
        var depth = 0;
        foreach (var c in codeLine)
        {
            depth += c switch { '{' or '[' or '(' => 1, '}' or ']' or ')' => -1, _ => 0 };
        }

        return depth;
    }

    private static string StripLineComment(string raw)
    {
        var inString = false;
        for (var i = 0; i < raw.Length - 1; i++)
        {
            if (raw[i] == '\\' && inString)
            {
                i++;
                continue;
            }

            if (raw[i] == '\'')
            {
                inString = !inString;
            }
            else if (!inString && raw[i] == '/' && raw[i + 1] == '/')
            {
                return raw[..i];
            }
        }

        return raw;
    }

    /// <summary>The decorator lines directly above a declaration: the contiguous non-blank, non-comment lines.</summary>
    private string DecoratorsAbove(int declarationLine)
    {
        var lines = new List<string>();
        for (var above = declarationLine - 1; above >= 0; above--)
        {
            var t = RawLines[above].Trim();
            if (t.Length == 0 || t.StartsWith("//", StringComparison.Ordinal) || DeclarationLine().IsMatch(t) || t == "}")
            {
                break;
            }

            lines.Insert(0, t);
        }

        return string.Join("\n", lines);
    }

    private static void ScanCode(string text, ref int i, StringBuilder output, bool inInterpolation)
    {
        var braces = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new FormatException("unterminated block comment at line " + LineOf(text, i));
                }

                output.Append('\n', text[i..end].Count(ch => ch == '\n'));
                i = end + 2;
                continue;
            }

            if (c == '\'')
            {
                ScanString(text, ref i, output);
                continue;
            }

            if (inInterpolation)
            {
                if (c == '{')
                {
                    braces++;
                }
                else if (c == '}')
                {
                    if (braces == 0)
                    {
                        i++;
                        return;
                    }

                    braces--;
                }
            }

            output.Append(c);
            i++;
        }

        if (inInterpolation)
        {
            throw new FormatException("unterminated ${...} interpolation");
        }
    }

    private static void ScanString(string text, ref int i, StringBuilder output)
    {
        var start = i;
        if (string.CompareOrdinal(text, i, "'''", 0, 3) == 0)
        {
            var end = text.IndexOf("'''", i + 3, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new FormatException("unterminated ''' string at line " + LineOf(text, start));
            }

            output.Append("''").Append('\n', text[i..end].Count(ch => ch == '\n'));
            i = end + 3;
            return;
        }

        output.Append('\'');
        i++;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\')
            {
                i += 2;
                continue;
            }

            if (c == '\n')
            {
                throw new FormatException("unterminated string at line " + LineOf(text, start));
            }

            if (c == '\'')
            {
                output.Append('\'');
                i++;
                return;
            }

            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                i += 2;
                output.Append('(');
                ScanCode(text, ref i, output, inInterpolation: true);
                output.Append(')');
                continue;
            }

            i++;
        }

        throw new FormatException("unterminated string at line " + LineOf(text, start));
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "true", "false", "null", "if", "for", "in", "existing", "targetScope", "param", "var", "resource", "module",
        "output", "metadata", "type", "func", "import", "with", "as", "string", "int", "bool", "object", "array", "any",
        "sys", "az",
    };

    private static readonly HashSet<string> BuiltInFunctions = new(StringComparer.Ordinal)
    {
        "subscription", "tenant", "resourceGroup", "managementGroup", "deployment", "environment", "uniqueString",
        "toLower", "toUpper", "loadJsonContent", "loadTextContent", "loadFileAsBase64", "union", "intersection", "empty",
        "take", "skip", "guid", "newGuid", "utcNow", "subscriptionResourceId", "resourceId", "tenantResourceId",
        "extensionResourceId", "managementGroupResourceId", "replace", "split", "first", "last", "concat", "contains",
        "length", "format", "string", "int", "bool", "json", "base64", "base64ToString", "min", "max", "range",
        "reference", "list", "listKeys", "listSecrets", "coalesce", "startsWith", "endsWith", "indexOf", "lastIndexOf",
        "substring", "trim", "padLeft", "uri", "uriComponent", "dataUri", "filter", "map", "reduce", "sort", "flatten",
        "items", "objectKeys", "toObject", "join", "array", "pickZones", "description", "secure", "minLength",
        "maxLength", "minValue", "maxValue", "allowed", "batchSize", "export", "sealed", "discriminator", "metadata",
    };

    [GeneratedRegex(@"^param\s+(?<name>\w+)\s+[\w.]+(?:\[\])?\??(?:\s*(?<default>=).*)?$")]
    private static partial Regex ParamDeclaration();

    [GeneratedRegex(@"^output\s+(?<name>\w+)\s+")]
    private static partial Regex OutputDeclaration();

    [GeneratedRegex(@"@description\('(?<text>(?:[^'\\]|\\.)*)'\)")]
    private static partial Regex DescriptionDecorator();

    [GeneratedRegex(@"^(?:param|var|resource|module|type|func|metadata)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex Declaration();

    [GeneratedRegex(@"^(?:param|var|resource|module|output|type|func|metadata)\s+\w+")]
    private static partial Regex DeclarationLine();

    [GeneratedRegex(@"^(?:(?:param|output)\s+\w+\s+[\w.]+(?:\[\])?\??|(?:var|resource|module|type|func|metadata)\s+\w+)")]
    private static partial Regex DeclarationHead();

    [GeneratedRegex(@"\bfor\s+\(?(?<vars>[\w\s,]+?)\)?\s+in\b")]
    private static partial Regex LoopVariables();

    [GeneratedRegex(@"\(?\b(?<name>\w+)\)?\s*=>")]
    private static partial Regex LambdaVariable();

    [GeneratedRegex(@"\b[A-Za-z_]\w*\b")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^[ \t]*:")]
    private static partial Regex PropertyColon();

    [GeneratedRegex(@"^\s*(?<key>'[^']*'|\w+)\s*:")]
    private static partial Regex EntryKey();

    [GeneratedRegex(@"'(?<text>(?:[^'\\]|\\.)*)'")]
    private static partial Regex SingleQuotedLiteral();
}

internal sealed record BicepParameter(string Name, int Line, bool HasDefault, bool IsSecure, string? Description);
