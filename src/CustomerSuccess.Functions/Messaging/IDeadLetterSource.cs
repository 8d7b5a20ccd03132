namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// A dead-letter queue the app keeps itself rather than Service Bus (the webhook quarantine): listed and
/// re-driven through the same admin API as the Service Bus dead letters, under its own queue name.
/// </summary>
public interface IDeadLetterSource
{
    /// <summary>The name callers use in <c>/api/admin/deadletters?queue=</c>; distinct from every Service Bus queue.</summary>
    string Name { get; }

    Task<IReadOnlyList<DeadLetter>> ListAsync(int max, CancellationToken cancellationToken);

    /// <summary>Puts the message back to be processed again; false if it is not there.</summary>
    Task<bool> RedriveAsync(string messageId, CancellationToken cancellationToken);
}
