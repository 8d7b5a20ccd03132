using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Email;

public static class EmailExtensions
{
    /// <summary>
    /// Registers <see cref="IEmailSender"/>: ACS Email when Email__Endpoint is set (access key if Email__AccessKey is
    /// set, else the app's Entra ID identity), otherwise the local .eml outbox. Options are validated at start.
    /// </summary>
    public static WebApplicationBuilder AddEmail(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<EmailOptions>()
            .BindConfiguration(EmailOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EmailOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            if (options.Endpoint is null)
            {
                return (IEmailSender)new OutboxEmailSender(options.OutboxPath, options.SenderAddress ?? "no-reply@customer-success.local", time, sp.GetRequiredService<ILogger<OutboxEmailSender>>());
            }

            return CreateAcsClient(options, string.IsNullOrEmpty(options.AccessKey) ? new DefaultAzureCredential() : null, time, sp.GetRequiredService<ILogger<AcsEmailClient>>());
        });
        return builder;
    }

    public static AcsEmailClient CreateAcsClient(EmailOptions options, TokenCredential? credential, TimeProvider timeProvider, ILogger<AcsEmailClient> logger, HttpPipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clientOptions = new EmailClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Delay = options.RetryDelay;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        if (transport is not null)
        {
            clientOptions.Transport = transport;
        }

        var pipeline = AcsEmailClient.CreatePipeline(clientOptions, options.AccessKey, credential, timeProvider);
        return new AcsEmailClient(pipeline, options.Endpoint!, options.SenderAddress!, timeProvider, logger);
    }
}
