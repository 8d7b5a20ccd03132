using System.Xml.Linq;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace CustomerSuccess.Functions.Pages;

/// <summary>
/// The Data Protection key ring in Table storage (table DataProtectionKeys, one row per key), so every instance of the
/// app signs and reads the same sign-in cookies and anti-forgery tokens: on the Flex Consumption plan a user's next
/// request may reach another instance, and a key ring of the instance's own would sign them out. Keys are only
/// readable by the app's identity (Storage Table Data Contributor), like the rest of its tables.
/// </summary>
internal sealed class TableKeyRing(AppTables tables) : IXmlRepository
{
    public const string Table = "DataProtectionKeys";
    private const string Partition = "keys";

    private readonly AppTable _keys = tables[Table];

    // IXmlRepository is synchronous; Data Protection reads the ring once and then every 24 hours, and writes a key
    // every 90 days, so blocking on these calls costs nothing a request would notice.
    public IReadOnlyCollection<XElement> GetAllElements() => ReadAsync().GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var row = new KeyRow { PartitionKey = Partition, RowKey = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) };
        var outcome = _keys.AddAsync(row).GetAwaiter().GetResult();
        if (!outcome.Succeeded && outcome.Status != TableWriteStatus.AlreadyExists)
        {
            throw new TableStorageUnavailableException($"The data protection key {friendlyName} could not be stored: {outcome.Status}.");
        }
    }

    private async Task<IReadOnlyCollection<XElement>> ReadAsync()
    {
        var elements = new List<XElement>();
        await foreach (var row in _keys.QueryAsync<KeyRow>(TableFilter.Of($"PartitionKey eq {Partition}")))
        {
            elements.Add(XElement.Parse(row.Xml));
        }

        return elements;
    }

    internal sealed class KeyRow : TableRow
    {
        public string Xml { get; set; } = string.Empty;
    }
}
