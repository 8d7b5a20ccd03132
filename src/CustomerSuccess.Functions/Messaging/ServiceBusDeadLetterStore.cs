using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CustomerSuccess.Functions.Messaging;

/// <summary>
/// Dead letters over the Service Bus REST API. REST has no browse, so listing peek-locks messages from
/// <c>{queue}/$DeadLetterQueue/messages/head</c> and unlocks them afterwards; a re-drive sends the body and
/// properties to the queue again (a fresh message id, so duplicate detection does not drop it; consumers
/// dedupe on what the message is about) and then deletes the locked dead letter.
/// </summary>
public sealed class ServiceBusDeadLetterStore(ServiceBusRestPublisher publisher) : IDeadLetterStore
{
    private static readonly HashSet<string> NotApplicationProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "BrokerProperties", "Content-Type", "Content-Length", "Date", "Server", "Location", "Transfer-Encoding", "Strict-Transport-Security",
    };

    private HttpPipeline Pipeline => publisher.Pipeline;

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string queueName, int max = 50, CancellationToken cancellationToken = default)
    {
        var locked = await LockAsync(queueName, max, stopAt: null, cancellationToken).ConfigureAwait(false);
        foreach (var l in locked)
        {
            await UnlockAsync(l, cancellationToken).ConfigureAwait(false);
        }

        return [.. locked.Select(l => l.Letter)];
    }

    public async Task<bool> RedriveAsync(string queueName, string messageId, CancellationToken cancellationToken = default)
    {
        var locked = await LockAsync(queueName, 1000, messageId, cancellationToken).ConfigureAwait(false);
        var found = false;
        foreach (var l in locked)
        {
            if (!found && l.Letter.MessageId == messageId)
            {
                found = true;
                var resend = new OutgoingMessage(messageId + "-redrive-" + l.SequenceNumber, l.Letter.Body)
                {
                    ApplicationProperties = l.Letter.ApplicationProperties,
                };
                await publisher.SendAsync(queueName, resend, cancellationToken).ConfigureAwait(false);
                await SendAsync(RequestMethod.Delete, l.Location, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await UnlockAsync(l, cancellationToken).ConfigureAwait(false);
            }
        }

        return found;
    }

    private sealed record Locked(DeadLetter Letter, Uri Location, long SequenceNumber);

    private async Task<List<Locked>> LockAsync(string queueName, int max, string? stopAt, CancellationToken cancellationToken)
    {
        var result = new List<Locked>();
        var head = new Uri(publisher.Endpoint, Uri.EscapeDataString(queueName) + "/$DeadLetterQueue/messages/head?timeout=1");
        while (result.Count < max)
        {
            using var request = Pipeline.CreateRequest();
            request.Method = RequestMethod.Post;
            request.Uri.Reset(head);
            using var response = await Pipeline.SendRequestAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.Status == 204)
            {
                break;
            }

            if (response.Status != 201 || !response.Headers.TryGetValue("BrokerProperties", out var broker) || !response.Headers.TryGetValue("Location", out var location))
            {
                throw new MessagePublishException(string.Create(CultureInfo.InvariantCulture, $"Reading dead letters of {queueName} returned {response.Status}."));
            }

            using var props = JsonDocument.Parse(broker);
            var root = props.RootElement;
            var appProps = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var h in response.Headers)
            {
                if (!NotApplicationProperties.Contains(h.Name) && !h.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
                {
                    appProps[h.Name] = h.Value.Length >= 2 && h.Value[0] == '"' ? JsonSerializer.Deserialize<string>(h.Value) ?? h.Value : h.Value;
                }
            }

            appProps.Remove("DeadLetterReason", out var reason);
            appProps.Remove("DeadLetterErrorDescription", out var description);
            var letter = new DeadLetter(
                queueName,
                root.TryGetProperty("MessageId", out var id) ? id.GetString() ?? string.Empty : string.Empty,
                reason,
                description,
                root.TryGetProperty("DeliveryCount", out var dc) ? dc.GetInt32() : 0,
                root.TryGetProperty("EnqueuedTimeUtc", out var et) && DateTimeOffset.TryParse(et.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
                appProps,
                Encoding.UTF8.GetString(response.Content.ToArray()));
            var sequence = root.TryGetProperty("SequenceNumber", out var sn) ? sn.GetInt64() : 0;
            result.Add(new Locked(letter, new Uri(location), sequence));
            if (stopAt is not null && letter.MessageId == stopAt)
            {
                break;
            }
        }

        return result;
    }

    private Task UnlockAsync(Locked locked, CancellationToken cancellationToken) => SendAsync(RequestMethod.Put, locked.Location, cancellationToken);

    private async Task SendAsync(RequestMethod method, Uri uri, CancellationToken cancellationToken)
    {
        using var request = Pipeline.CreateRequest();
        request.Method = method;
        request.Uri.Reset(uri);
        using var response = await Pipeline.SendRequestAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Status is not (200 or 204 or 404 or 410))
        {
            throw new MessagePublishException(string.Create(CultureInfo.InvariantCulture, $"{method} {uri.AbsolutePath} returned {response.Status}."));
        }
    }
}
