using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Health;

public static class HealthExtensions
{
    /// <summary>The health model (validated at start: an invalid model stops the app, naming the setting) and its services.</summary>
    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<HealthScoreCalculator>();
        return builder;
    }
}
