using System.ComponentModel.DataAnnotations;

namespace CustomerSuccess.Functions.Email;

/// <summary>
/// Settings of section "Email". With <see cref="Endpoint"/> set, mail goes to Azure Communication Services
/// (Entra ID by default, the access key when one is configured); without it, to .eml files in
/// <see cref="OutboxPath"/> for a person to open.
/// </summary>
public sealed class EmailOptions : IValidatableObject
{
    public const string SectionName = "Email";

    /// <summary>ACS resource endpoint, e.g. https://contoso.communication.azure.com. Empty = local outbox.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Verified sender (MailFrom) address of the ACS email domain.</summary>
    public string? SenderAddress { get; set; }

    /// <summary>Base64 ACS access key, for local/dev only; in Azure the app uses its managed identity.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Folder of the local outbox (used when <see cref="Endpoint"/> is empty).</summary>
    public string OutboxPath { get; set; } = "outbox";

    /// <summary>Retries the pipeline makes on 5xx and transport errors (same Operation-Id each time).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay; the pipeline backs off exponentially from it.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Endpoint is null)
        {
            if (string.IsNullOrWhiteSpace(OutboxPath))
            {
                yield return new ValidationResult("Email__OutboxPath is required when Email__Endpoint is not set.", [nameof(OutboxPath)]);
            }

            yield break;
        }

        if (!Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttps && !Endpoint.IsLoopback))
        {
            yield return new ValidationResult("Email__Endpoint must be an absolute https URI.", [nameof(Endpoint)]);
        }

        if (string.IsNullOrWhiteSpace(SenderAddress) || !SenderAddress.Contains('@', StringComparison.Ordinal))
        {
            yield return new ValidationResult("Email__SenderAddress (a verified sender of the ACS domain) is required when Email__Endpoint is set.", [nameof(SenderAddress)]);
        }

        if (!string.IsNullOrEmpty(AccessKey) && !IsBase64(AccessKey))
        {
            yield return new ValidationResult("Email__AccessKey must be the base64 access key of the ACS resource.", [nameof(AccessKey)]);
        }
    }

    private static bool IsBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }
}
