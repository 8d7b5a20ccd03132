using System.Text.RegularExpressions;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// Table storage and Service Bus are reached only through their official SDKs (Azure.Data.Tables,
/// Azure.Messaging.ServiceBus): no hand-written HTTP to either may come back into <c>src/</c>. Every C# file under
/// <c>src/</c> (every project, no folder exempt) is scanned for what such code cannot do without: the services' REST
/// paths and headers, OData wire format, Shared Key signing, a hand-built Azure.Core pipeline, hand-quoted filter
/// literals, the old REST client. ACS Email is the one REST client the app keeps (its SDK is not obtainable), so
/// <c>Email/</c> may build a pipeline and sign requests; it never talks to Table storage or Service Bus.
/// </summary>
public sealed partial class OfficialAzureClientsTests
{
    private const string EmailFolder = "src/CustomerSuccess.Functions/Email/";

    internal sealed record Rule(string Name, Regex Pattern, string[] AllowedIn);

    internal static readonly Rule[] Rules =
    [
        new("a storage REST header", StorageHeader(), [EmailFolder]),
        new("the OData wire format", ODataWireFormat(), []),
        new("a Table service REST path", TableRestPath(), []),
        new("Shared Key request signing", SharedKeySigning(), []),
        new("a Service Bus REST path or header", ServiceBusRest(), []),
        new("a hand-built Azure.Core HTTP pipeline", HandBuiltPipeline(), [EmailFolder]),
        new("a hand-quoted filter literal (use TableFilter)", HandQuotedLiteral(), []),
        new("the hand-written REST table client", RestTableClient(), []),
    ];

    public static TheoryData<string, string> Offending => new()
    {
        { "a storage REST header", "request.Headers.SetValue(\"x-ms-version\", \"2019-02-02\");" },
        { "a storage REST header", "var next = response.Headers[\"x-ms-continuation-NextPartitionKey\"];" },
        { "the OData wire format", "content.Headers.Add(\"Accept\", \"application/json;odata=nometadata\");" },
        { "the OData wire format", "var etag = row.GetProperty(\"odata.etag\");" },
        { "a Table service REST path", "var uri = endpoint + \"/$batch\";" },
        { "a Table service REST path", "var uri = $\"{table}(PartitionKey='{pk}',RowKey='{rk}')\";" },
        { "a Table service REST path", "var uri = table + \"()?$filter=\" + filter;" },
        { "Shared Key request signing", "request.Headers.Add(\"Authorization\", \"SharedKeyLite \" + account + \":\" + signature);" },
        { "a Service Bus REST path or header", "var head = queue + \"/$DeadLetterQueue/messages/head\";" },
        { "a Service Bus REST path or header", "request.Headers.Add(\"BrokerProperties\", json);" },
        { "a Service Bus REST path or header", "var scope = \"https://servicebus.azure.net/.default\";" },
        { "a Service Bus REST path or header", "var send = $\"https://{ns}/{queue}/messages\";" },
        { "a Service Bus REST path or header", "request.Headers.Add(\"Authorization\", $\"SharedAccessSignature sr={resource}&sig={sig}\");" },
        { "a Table service REST path", "using var created = await http.PostAsync(endpoint + \"/Tables\", body);" },
        { "a hand-built Azure.Core HTTP pipeline", "var pipeline = HttpPipelineBuilder.Build(options);" },
        { "a hand-built Azure.Core HTTP pipeline", "using var response = await pipeline.SendRequestAsync(request, ct);" },
        { "a hand-quoted filter literal (use TableFilter)", "var filter = \"PartitionKey eq '\" + id.Replace(\"'\", \"''\") + \"'\";" },
        { "the hand-written REST table client", "using CustomerSuccess.Functions.Storage.Rest;" },
        { "the hand-written REST table client", "public Foo(ITableStore tables) { }" },
    };

    [Fact]
    public void Sources_HaveNoHandWrittenHttpToTableStorageOrServiceBus()
    {
        var files = SourceFiles().ToList();
        var findings = Scan(files).ToList();

        // The scan reads both projects, the app's storage code among them: an empty or partial file list would pass.
        Assert.Contains(files, f => f.File == "src/CustomerSuccess.Functions/Storage/AppTables.cs");
        Assert.Contains(files, f => f.File.StartsWith("src/CustomerSuccess.Simulator/", StringComparison.Ordinal));

        Assert.True(findings.Count == 0, "Hand-written Table storage or Service Bus HTTP in src/ (use AppTables / Azure.Messaging.ServiceBus):\n" + string.Join('\n', findings));
    }

    [Theory]
    [MemberData(nameof(Offending))]
    public void Scan_OffendingLine_IsReportedUnderItsRule(string rule, string line)
    {
        var findings = Scan([("src/CustomerSuccess.Functions/Alerts/Example.cs", line)]);

        Assert.Contains(findings, f => f.Rule == rule);
    }

    [Theory]
    [InlineData("var client = new TableServiceClient(endpoint, new TableSharedKeyCredential(account, key), options);")]
    [InlineData("return TableFilter.Of($\"PartitionKey eq {partition} and RowKey ge {from}\");")]
    [InlineData("/// <summary>An OData filter for a table query, built by the SDK.</summary>")]
    [InlineData("await using var receiver = client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });")]
    [InlineData("options.Transport = new HttpClientTransport(new SocketsHttpHandler());")]
    [InlineData("var http = new HttpClient { BaseAddress = app.Address };")]
    public void Scan_WhatTheOfficialClientsLookLike_IsNotReported(string line) =>
        Assert.Empty(Scan([("src/CustomerSuccess.Functions/Alerts/Example.cs", line)]));

    [Fact]
    public void Scan_EmailFolder_MayBuildItsAcsPipelineButNotSpeakToTables()
    {
        var email = EmailFolder + "AcsEmailClient.cs";

        Assert.Empty(Scan([(email, "var pipeline = HttpPipelineBuilder.Build(options); request.Headers.SetValue(\"x-ms-date\", date);")]));
        Assert.NotEmpty(Scan([(email, "var uri = endpoint + \"/$batch\";")]));
    }

    internal sealed record Finding(string File, int Line, string Rule, string Text)
    {
        public override string ToString() => $"{File}:{Line}: {Rule}: {Text.Trim()}";
    }

    internal static IEnumerable<Finding> Scan(IEnumerable<(string File, string Text)> files)
    {
        foreach (var (file, text) in files)
        {
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (var rule in Rules)
                {
                    if (rule.Pattern.IsMatch(lines[i]) && !rule.AllowedIn.Any(a => a.EndsWith('/') ? file.StartsWith(a, StringComparison.Ordinal) : file == a))
                    {
                        yield return new Finding(file, i + 1, rule.Name, lines[i]);
                    }
                }
            }
        }
    }

    /// <summary>Every C# file under src/ (both projects), as a repository-relative path with forward slashes.</summary>
    private static IEnumerable<(string File, string Text)> SourceFiles()
    {
        var src = Path.Combine(RepositoryPaths.Root, "src");
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryPaths.Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(f => (f, File.ReadAllText(Path.Combine(RepositoryPaths.Root, f))));
    }

    [GeneratedRegex(@"x-ms-(version|date|continuation)|\bDataServiceVersion\b|\bMaxDataServiceVersion\b", RegexOptions.IgnoreCase)]
    private static partial Regex StorageHeader();

    [GeneratedRegex(@"odata=|odata\.(metadata|etag|nextLink|type)|\$metadata", RegexOptions.IgnoreCase)]
    private static partial Regex ODataWireFormat();

    [GeneratedRegex(@"\$batch|\$filter|\$select=|\$top=|\(PartitionKey='|\bTables\('|/Tables\b")]
    private static partial Regex TableRestPath();

    [GeneratedRegex(@"SharedKeyLite|""SharedKey |TableSharedKeyPolicy")]
    private static partial Regex SharedKeySigning();

    [GeneratedRegex(@"\$DeadLetterQueue|/messages\b|BrokerProperties|servicebus\.azure\.net/\.default|SharedAccessSignature sr=", RegexOptions.IgnoreCase)]
    private static partial Regex ServiceBusRest();

    [GeneratedRegex(@"\bHttpPipeline(Builder|Policy|SynchronousPolicy)?\b|\.SendRequestAsync\(|\bHttpMessage\b")]
    private static partial Regex HandBuiltPipeline();

    [GeneratedRegex(@"Replace\(\s*""'""\s*,\s*""''""")]
    private static partial Regex HandQuotedLiteral();

    [GeneratedRegex(@"\bStorage\.Rest\b|\bITableStore\b|\bRestTableStore\b")]
    private static partial Regex RestTableClient();
}
