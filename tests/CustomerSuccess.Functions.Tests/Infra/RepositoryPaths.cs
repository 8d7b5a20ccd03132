namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>Locates the repository the tests were built from, so infra and source files are read in place.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string Infra => Path.Combine(Root, "infra");

    public static string AppSource => Path.Combine(Root, "src", "CustomerSuccess.Functions");

    public static string FunctionsFolder => Path.Combine(AppSource, "functions");

    public static string InfraFile(string relative) => Path.Combine(Infra, relative);

    /// <summary>The app's C# sources, without build output.</summary>
    public static IEnumerable<string> AppSourceFiles() =>
        Directory.EnumerateFiles(AppSource, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsUnder(f, "bin") && !IsUnder(f, "obj"))
            .Order(StringComparer.Ordinal);

    private static bool IsUnder(string file, string folder)
    {
        var relative = Path.GetRelativePath(Path.Combine(Root, "src"), file);
        return relative.Split(Path.DirectorySeparatorChar).Contains(folder, StringComparer.Ordinal);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CustomerSuccess.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("CustomerSuccess.Functions.sln not found above " + AppContext.BaseDirectory);
    }
}
