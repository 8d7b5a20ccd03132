using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>
/// Playbooks: task lists for CSMs opened from alerts by a configurable playbook (section "Playbooks"), closed when
/// their alert resolves. Follows Alerts through <see cref="IAlertChangeListener"/>; owns the table "playbooktasks".
/// </summary>
internal static class PlaybooksModule
{
    public static WebApplicationBuilder AddPlaybooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddTables(PlaybookTaskStore.Table);
        builder.Services.AddSingleton<IValidateOptions<PlaybooksOptions>, PlaybooksOptionsValidator>();
        builder.Services.AddOptions<PlaybooksOptions>().BindConfiguration(PlaybooksOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<PlaybookTaskStore>();
        builder.Services.AddSingleton<PlaybookTasks>();
        builder.Services.AddSingleton<IAlertChangeListener>(sp => sp.GetRequiredService<PlaybookTasks>());
        return builder;
    }
}
