using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// The storage settings as the Functions host names them. Bound by hand from <c>AzureWebJobsStorage</c> and its
/// <c>__</c> children because the same key carries a connection string and, for identity-based access, a section.
/// </summary>
public sealed class TableStorageOptions
{
    public const string SettingName = "AzureWebJobsStorage";

    public string? ConnectionString { get; set; }

    public string? TableServiceUri { get; set; }

    public string? AccountName { get; set; }

    public string? Credential { get; set; }

    public string? ClientId { get; set; }
}

internal sealed class TableStorageOptionsValidator : IValidateOptions<TableStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, TableStorageOptions options) =>
        TableConnection.TryCreate(options, out _, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(error!);
}
