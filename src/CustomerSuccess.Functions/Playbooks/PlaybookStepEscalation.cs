using CustomerSuccess.Functions.Alerts;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>
/// The <c>PlaybooksEscalate</c> timer's work: the alert of each open task with a step newly overdue is escalated like
/// an alert nobody acknowledged (<see cref="AlertCommands.EscalateForOverdueStepAsync"/>). The steps are marked
/// escalated first, so a retry never escalates twice; a task changed meanwhile waits for the next run. Apart from
/// <see cref="PlaybookTasks"/>, which Alerts' listeners hold: this needs Alerts' commands, which hold the listeners.
/// </summary>
public sealed partial class PlaybookStepEscalation(
    PlaybookTaskStore store,
    AlertCommands alerts,
    IOptions<PlaybooksOptions> options,
    TimeProvider clock,
    ILogger<PlaybookStepEscalation> logger)
{
    /// <summary>Returns how many alerts were escalated.</summary>
    public async Task<int> EscalateOverdueAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.EscalateOverdueSteps)
        {
            return 0;
        }

        var now = clock.GetUtcNow();
        var escalated = 0;
        await foreach (var task in store.ListOpenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (PlaybookPlanner.EscalateOverdue(task, now) is not { } due
                || await store.SaveAsync(due.Task, cancellationToken).ConfigureAwait(false) != PlaybookWriteStatus.Written)
            {
                continue;
            }

            var (status, _) = await alerts.EscalateForOverdueStepAsync(task.AccountId, task.RuleId, task.AlertOccurrence, due.Step.Name, cancellationToken).ConfigureAwait(false);
            Log.StepOverdue(logger, task.AccountId, task.TaskId, due.Step.Number, status);
            if (status == AlertCommandStatus.Done)
            {
                escalated++;
            }
        }

        return escalated;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4602, Level = LogLevel.Information, Message = "Playbook task {AccountId}/{TaskId}: step {Step} overdue, alert escalation {Status}")]
        public static partial void StepOverdue(ILogger logger, string accountId, string taskId, int step, AlertCommandStatus status);
    }
}
