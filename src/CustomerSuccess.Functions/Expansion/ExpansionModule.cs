using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Expansion;

/// <summary>
/// Expansion: the pure reading of an account's expansion signals, value gate and estimate
/// (<see cref="ExpansionDetector"/>) with its settings (<see cref="ExpansionOptions"/>, section "Expansion"). Alerts
/// raise its opportunities; it owns no table and no endpoint.
/// </summary>
internal static class ExpansionModule
{
    public static WebApplicationBuilder AddExpansion(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<ExpansionOptions>, ExpansionOptionsValidator>();
        builder.Services.AddOptions<ExpansionOptions>().BindConfiguration(ExpansionOptions.SectionName).ValidateOnStart();
        return builder;
    }
}
