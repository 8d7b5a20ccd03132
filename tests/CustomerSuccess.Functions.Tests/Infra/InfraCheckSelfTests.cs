namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>The readers behind the infra tests catch what they are meant to catch, on small inputs.</summary>
public sealed class InfraCheckSelfTests
{
    [Fact]
    public void BracketProblems_UnclosedBraceOutsideStrings_IsReported()
    {
        var bicep = BicepText.Parse("x.bicep", "var a = {\n  b: '}' // }\n");

        Assert.Single(bicep.BracketProblems());
    }

    [Fact]
    public void BracketProblems_BracesInsideStringsInterpolationsAndComments_AreIgnored()
    {
        var bicep = BicepText.Parse("x.bicep", "param p string\nvar a = {\n  b: '{${p}]'\n  /* { */\n  c: '''\n{\n'''\n}\n");

        Assert.Empty(bicep.BracketProblems());
    }

    [Fact]
    public void IdentifierUses_UndeclaredNameAndParamUsedBeforeDeclaration_AreFound()
    {
        var bicep = BicepText.Parse("x.bicep", "var a = '${later}-${missing}'\nparam later string\nvar b = {\n  key: a\n  other: cond ? a : b\n}\n");
        var declared = bicep.DeclaredSymbols();
        var uses = bicep.IdentifierUses();

        Assert.Contains(uses, u => u.Name == "missing" && !declared.Contains(u.Name));
        Assert.Contains(uses, u => u.Name == "later" && u.Line == 1);
        Assert.DoesNotContain(uses, u => u.Name == "key");
        Assert.Contains(uses, u => u.Name == "cond");
    }

    [Fact]
    public void Parameters_ReadDescriptionDefaultAndSecure()
    {
        var bicep = BicepText.Parse("x.bicep", "@secure()\n@description('Optional. A key.')\nparam key string = 'x'\n\n@description('Required. A name.')\n@allowed([\n  'a'\n])\nparam name string\n");
        var parameters = bicep.Parameters();

        Assert.Equal(new BicepParameter("key", 3, HasDefault: true, IsSecure: true, Description: "Optional. A key."), parameters[0]);
        Assert.Equal(new BicepParameter("name", 9, HasDefault: false, IsSecure: false, Description: "Required. A name."), parameters[1]);
    }

    [Theory]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc")]
    [InlineData("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b")]
    [InlineData("whsec_0123456789abcdef")]
    [InlineData("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwMTIzNDU2Nzg5MA==")]
    public void LooksLikeSecret_KeysAndConnectionStrings_AreFlagged(string literal) =>
        Assert.True(BicepFileTests.LooksLikeSecret(literal));

    [Theory]
    [InlineData("Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01")]
    [InlineData("@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultReferenceNames.stripe})")]
    [InlineData("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3")]
    public void LooksLikeSecret_ResourceTypesReferencesAndRoleIds_AreNotFlagged(string literal) =>
        Assert.False(BicepFileTests.LooksLikeSecret(literal));

    [Fact]
    public void Scanner_OptionsClassesNestedListsAndRequired_AreDiscovered()
    {
        const string source = """
            public sealed class WebhookOptions
            {
                public const string SectionName = "Webhooks";
                public StripeWebhookOptions Stripe { get; set; } = new();
            }
            public sealed class StripeWebhookOptions
            {
                [MinLength(1)]
                public List<string> SigningSecrets { get; set; } = [];
                public TimeSpan Tolerance { get; set; }
            }
            public sealed class EmailOptions
            {
                public const string SectionName = "Email";
                [Required]
                public Uri? Endpoint { get; init; }
            }
            public static class Wiring
            {
                public static void Read(IConfiguration configuration) => _ = configuration["Direct__Key"] + configuration.GetConnectionString("Db");
            }
            """;
        var scanner = AppConfigurationScanner.Scan([("Options.cs", source)]);

        Assert.True(scanner.Reads("Webhooks__Stripe__SigningSecrets__0"));
        Assert.True(scanner.Reads("webhooks__stripe__tolerance"));
        Assert.True(scanner.Reads("Direct__Key"));
        Assert.True(scanner.Reads("ConnectionStrings__Db"));
        Assert.False(scanner.Reads("Webhooks__Stripe__Secret"));
        Assert.Equal(["Webhooks__Stripe__SigningSecrets__#", "Email__Endpoint"], scanner.Required.Select(k => k.Name));
    }
}
