using CustomerSuccess.Functions.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CustomerSuccess.Functions.Playbooks;

/// <summary>Body of a step completion: who did it (optional).</summary>
public sealed record StepCompletionRequest(string? By);

/// <summary>The task endpoints: read the request, call <see cref="PlaybookTasks"/>, map the result.</summary>
internal static class PlaybookEndpoints
{
    /// <summary>The account's tasks, open first; an account without tasks has an empty list. 404 for an id no account can have.</summary>
    public static async Task<Results<Ok<IReadOnlyList<PlaybookTask>>, NotFound>> ListAsync(string id, [FromServices] PlaybookTasks tasks, CancellationToken ct)
    {
        if (AccountIds.Problem(id) is not null)
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(await tasks.ListAsync(id, ct));
    }

    /// <summary>200 with the task (also when the step was done already), 404 for no such task or step, 409 with the task when it is closed.</summary>
    public static async Task<Results<Ok<PlaybookTask>, NotFound, Conflict<PlaybookTask>>> CompleteStepAsync(
        string id, string taskId, int step, StepCompletionRequest? body, [FromServices] PlaybookTasks tasks, CancellationToken ct)
    {
        if (AccountIds.Problem(id) is not null || !PlaybookTask.IsWellFormedId(taskId) || await tasks.CompleteStepAsync(id, taskId, step, body?.By, ct) is not { } result)
        {
            return TypedResults.NotFound();
        }

        return result.Status switch
        {
            StepCompletionStatus.Done or StepCompletionStatus.AlreadyDone => TypedResults.Ok(result.Task),
            StepCompletionStatus.NoSuchStep => TypedResults.NotFound(),
            _ => TypedResults.Conflict(result.Task),
        };
    }
}
