using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>
/// Playbooks: task lists for CSMs opened from alerts by a configurable playbook (section "Playbooks"), closed when
/// their alert resolves. Follows Alerts through <see cref="IAlertChangeListener"/>; owns the table "playbooktasks" and
/// the endpoints <c>GET /api/accounts/{id}/tasks</c> and <c>POST /api/accounts/{id}/tasks/{taskId}/steps/{step}/complete</c>
/// (function key), and the <c>PlaybooksEscalate</c> timer (overdue steps escalate their alert).
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
        builder.Services.AddSingleton<PlaybookStepEscalation>();
        return builder;
    }

    public static WebApplication MapPlaybooks(this WebApplication app)
    {
        app.MapInvocation("PlaybooksEscalate", async ([FromServices] PlaybookStepEscalation escalation, CancellationToken ct) =>
            Results.Ok(InvocationResponse.Ok($"escalated={await escalation.EscalateOverdueAsync(ct)}")));
        app.MapGet("/api/accounts/{id}/tasks", PlaybookEndpoints.ListAsync).WithFunction("AccountTasks").RequireFunctionKey();
        app.MapPost("/api/accounts/{id}/tasks/{taskId}/steps/{step}/complete", PlaybookEndpoints.CompleteStepAsync).WithFunction("AccountTaskStepComplete").RequireFunctionKey();
        return app;
    }
}
