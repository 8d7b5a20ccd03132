using System.Diagnostics;
using System.Text.Json;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Tests.Infrastructure;

namespace CustomerSuccess.Functions.Tests.Storage;

/// <summary>
/// The app's table layer (AppTables on Azure.Data.Tables) and the official JS SDK (@azure/data-tables) on the same
/// Azurite, both directions: every EDM type keeps its type and value.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TablesSdkInteropTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OfficialJsSdk_ReadsWhatWeWrite_AndWeReadWhatItWrites_AllEdmTypes()
    {
        var table = AppTablesTestKit.NewTableName();
        var tables = AppTablesTestKit.Create(azurite.ConnectionString, table);
        await tables.EnsureAsync(table, CancellationToken.None);
        var id = Guid.Parse("0badf00d-0000-4000-8000-000000000001");
        await tables[table].AddAsync(new TableEntity("acct 'x'", "fromDotnet")
        {
            ["Int32"] = -7,
            ["Int64"] = 9007199254740993L,
            ["Double"] = 3.25,
            ["Bool"] = true,
            ["When"] = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero),
            ["Id"] = id,
            ["Bytes"] = new byte[] { 9, 8, 7, 255 },
            ["Text"] = "ünïcode ☃ 'q'",
        });

        var output = await RunNodeAsync(table, "acct 'x'");

        // JS side: what the official SDK saw, with the type the service reported.
        using var document = JsonDocument.Parse(output);
        var read = document.RootElement.GetProperty("read");
        void AssertProperty(string name, string type, string value)
        {
            var property = read.GetProperty(name);
            Assert.Equal(type, property.GetProperty("type").GetString());
            Assert.Equal(value, property.GetProperty("value").GetString());
        }

        AssertProperty("Int32", "Int32", "-7");
        AssertProperty("Int64", "Int64", "9007199254740993");
        AssertProperty("Double", "Double", "3.25");
        AssertProperty("Bool", "Boolean", "true");
        Assert.Equal("DateTime", read.GetProperty("When").GetProperty("type").GetString());
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), DateTimeOffset.Parse(read.GetProperty("When").GetProperty("value").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        AssertProperty("Id", "Guid", id.ToString());
        AssertProperty("Bytes", "Binary", Convert.ToBase64String([9, 8, 7, 255]));
        AssertProperty("Text", "String", "ünïcode ☃ 'q'");

        // .NET side: what the official SDK wrote.
        var fromJs = await tables[table].GetAsync<TableEntity>("acct 'x'", "fromJs");
        Assert.NotNull(fromJs);
        Assert.Equal(int.MaxValue, Assert.IsType<int>(fromJs["Int32"]));
        Assert.Equal(long.MinValue, Assert.IsType<long>(fromJs["Int64"]));
        Assert.Equal(2.5, Assert.IsType<double>(fromJs["Double"]));
        Assert.Equal(4.0, Assert.IsType<double>(fromJs["WholeDouble"]));
        Assert.False(Assert.IsType<bool>(fromJs["Bool"]));
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(6789012), Assert.IsType<DateTimeOffset>(fromJs["When"]));
        Assert.Equal(new DateTimeOffset(2025, 6, 7, 8, 9, 10, 123, TimeSpan.Zero), Assert.IsType<DateTimeOffset>(fromJs["WhenDate"]));
        Assert.Equal(Guid.Parse("c0ffee00-1234-4abc-8def-0123456789ab"), Assert.IsType<Guid>(fromJs["Id"]));
        Assert.Equal(new byte[] { 1, 2, 3, 254 }, fromJs.GetBinary("Bytes"));
        Assert.Equal("héllo 'quoted' ☃", Assert.IsType<string>(fromJs["Text"]));
    }

    private async Task<string> RunNodeAsync(string table, string partition)
    {
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "interop", "tables-interop.mjs"));
        psi.ArgumentList.Add(azurite.TableEndpoint.ToString());
        psi.ArgumentList.Add(table);
        psi.ArgumentList.Add(partition);
        psi.Environment["TABLES_ACCOUNT"] = AzuriteFixture.AccountName;
        psi.Environment["TABLES_KEY"] = AzuriteFixture.AccountKey;

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node exited {process.ExitCode}: {await stderr}");
        return (await stdout).Trim();
    }
}
