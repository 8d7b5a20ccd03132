using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Applies a stored delivery to account state: map (pure), resolve the account (or park the event under its
/// unlinked id), write the effect idempotently, then mark the delivery applied. Safe to run any number of
/// times for the same delivery, from the in-process queue, the sweeper, a link or a replay.
/// </summary>
internal sealed class AccountEventApplier(
    WebhookDeliveryStore deliveries,
    AccountIdentity identity,
    AccountSignalWriter writer,
    ITableStore store,
    IOptionsMonitor<SignalsOptions> signals,
    TimeProvider timeProvider,
    ILogger<AccountEventApplier> logger)
{
    private Task? _ensured;

    public async Task<string> ApplyAsync(TableEntity delivery, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        var providerName = delivery.GetString("Provider") ?? string.Empty;
        var eventId = delivery.GetString("EventId") ?? delivery.RowKey;
        var eventType = delivery.GetString("EventType") ?? string.Empty;
        if (!Enum.TryParse<WebhookProvider>(providerName, out var provider))
        {
            return "ignored";
        }

        var json = WebhookDeliveryStore.ReadJson(delivery);
        var accountEvent = provider switch
        {
            WebhookProvider.Stripe => StripeEventMapper.Map(eventType, json),
            WebhookProvider.Segment => SegmentEventMapper.Map(json, signals.CurrentValue),
            _ => ZendeskEventMapper.Map(eventType, json, signals.CurrentValue),
        };

        string outcome;
        if (accountEvent is null)
        {
            outcome = "ignored";
        }
        else
        {
            var accountId = await ResolveAsync(accountEvent, cancellationToken);
            if (accountId is null)
            {
                var parked = await identity.ParkAsync(accountEvent.IdKind, accountEvent.ExternalId, provider, eventId, timeProvider.GetUtcNow(), cancellationToken);

                // A link made between our lookup and the park would have drained before the row existed: look again.
                accountId = await identity.ResolveAsync(accountEvent.IdKind, accountEvent.ExternalId, cancellationToken);
                if (accountId is null)
                {
                    outcome = "parked";
                }
                else
                {
                    outcome = await writer.ApplyAsync(accountId, provider, eventId, accountEvent, cancellationToken);
                    await identity.RemovePendingAsync(parked, cancellationToken);
                }
            }
            else
            {
                outcome = await writer.ApplyAsync(accountId, provider, eventId, accountEvent, cancellationToken);
            }
        }

        await deliveries.MarkAppliedAsync(delivery, outcome, timeProvider.GetUtcNow(), cancellationToken);
        WebhookLog.EventApplied(logger, providerName, eventId, eventType, outcome);
        return outcome;
    }

    public async Task<string?> ApplyAsync(WebhookProvider provider, string eventId, CancellationToken cancellationToken)
    {
        var delivery = await deliveries.GetAsync(provider, eventId, cancellationToken);
        return delivery is null ? null : await ApplyAsync(delivery, cancellationToken);
    }

    /// <summary>Links an external id to an account and applies every event parked under it.</summary>
    public async Task<(LinkOutcome Outcome, string AccountId, int Applied)> LinkAsync(string accountId, string kind, string externalId, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        return await LinkAndDrainAsync(accountId, kind, externalId, drainWhenAlreadyLinked: true, cancellationToken);
    }

    /// <summary>
    /// The account an event belongs to: its id's link; else the account the provider names (linked now, and events
    /// parked under the id applied); then every other id the event vouches for is linked the same way.
    /// </summary>
    private async Task<string?> ResolveAsync(AccountEvent accountEvent, CancellationToken cancellationToken)
    {
        var accountId = await identity.ResolveAsync(accountEvent.IdKind, accountEvent.ExternalId, cancellationToken);
        if (accountId is null && !string.IsNullOrWhiteSpace(accountEvent.LinkToAccountId))
        {
            (_, accountId, _) = await LinkAndDrainAsync(accountEvent.LinkToAccountId, accountEvent.IdKind, accountEvent.ExternalId, drainWhenAlreadyLinked: false, cancellationToken);
        }

        if (accountId is not null)
        {
            foreach (var alias in accountEvent.AlsoKnownAs)
            {
                if (!string.IsNullOrWhiteSpace(alias.ExternalId) &&
                    await identity.ResolveAsync(alias.Kind, alias.ExternalId, cancellationToken) is null)
                {
                    await LinkAndDrainAsync(accountId, alias.Kind, alias.ExternalId, drainWhenAlreadyLinked: false, cancellationToken);
                }
            }
        }

        return accountId;
    }

    private async Task<(LinkOutcome Outcome, string AccountId, int Applied)> LinkAndDrainAsync(string accountId, string kind, string externalId, bool drainWhenAlreadyLinked, CancellationToken cancellationToken)
    {
        var (outcome, owner) = await identity.LinkAsync(accountId, kind, externalId, cancellationToken);
        if (outcome == LinkOutcome.LinkedToAnotherAccount || (outcome == LinkOutcome.AlreadyLinked && !drainWhenAlreadyLinked))
        {
            return (outcome, owner, 0);
        }

        var applied = 0;
        foreach (var parked in await identity.PendingForAsync(kind, externalId, cancellationToken))
        {
            if (await ApplyAsync(parked.Provider, parked.EventId, cancellationToken) is not null)
            {
                applied++;
            }

            await identity.RemovePendingAsync(parked, cancellationToken);
        }

        return (outcome, owner, applied);
    }

    /// <summary>
    /// Applies stored deliveries, only unapplied ones (sweep; received before <paramref name="receivedBefore"/> when
    /// given) or all of them (replay after a mapping fix): up to
    /// <paramref name="max"/>, <paramref name="concurrency"/> at a time (each apply is a few storage round trips; the
    /// writes are ETag-guarded and versioned, so the order between them does not matter).
    /// </summary>
    public async Task<(int Seen, int Applied, int Failed)> ApplyStoredAsync(bool unappliedOnly, WebhookProvider? provider, int max, int concurrency, CancellationToken cancellationToken, DateTimeOffset? receivedBefore = null)
    {
        var seen = 0;
        var applied = 0;
        var failed = 0;
        await Parallel.ForEachAsync(Stored(unappliedOnly, provider, max, receivedBefore, cancellationToken), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken }, async (delivery, ct) =>
        {
            Interlocked.Increment(ref seen);
            try
            {
                await ApplyAsync(delivery, ct);
                Interlocked.Increment(ref applied);
            }
            catch (Exception ex) when (ex is TableStorageUnavailableException or TableRequestFailedException or System.Text.Json.JsonException or InvalidDataException)
            {
                Interlocked.Increment(ref failed);
                WebhookLog.ApplyFailed(logger, delivery.GetString("Provider") ?? "?", delivery.GetString("EventId") ?? delivery.RowKey, ex.GetType().Name);
            }
        });

        return (seen, applied, failed);
    }

    /// <summary>One sweep (the standalone worker's and the WebhookSweep timer's): unapplied deliveries past the grace, ApplyConcurrency at once.</summary>
    public Task<(int Seen, int Applied, int Failed)> SweepAsync(WebhooksOptions options, int max, CancellationToken cancellationToken) =>
        ApplyStoredAsync(unappliedOnly: true, provider: null, max, options.ApplyConcurrency, cancellationToken, options.SweepCutoff(timeProvider.GetUtcNow()));

    private async IAsyncEnumerable<TableEntity> Stored(bool unappliedOnly, WebhookProvider? provider, int max, DateTimeOffset? receivedBefore, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var taken = 0;
        await foreach (var delivery in deliveries.QueryAsync(unappliedOnly, provider, cancellationToken, receivedBefore))
        {
            if ((unappliedOnly && delivery.GetBoolean("Applied") == true) ||
                (provider is { } p && delivery.GetString("Provider") != p.ToString()))
            {
                continue;
            }

            if (taken++ == max)
            {
                yield break;
            }

            yield return delivery;
        }
    }

    private Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        var ensured = _ensured;
        if (ensured is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        if (ensured is null || ensured.IsFaulted || ensured.IsCanceled)
        {
            ensured = Task.WhenAll(identity.EnsureTablesAsync(cancellationToken), store.CreateTableIfNotExistsAsync(AccountSignalWriter.Table, cancellationToken));
            _ensured = ensured;
        }

        return ensured;
    }
}
