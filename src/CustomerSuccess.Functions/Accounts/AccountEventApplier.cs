using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;
using Microsoft.Extensions.Options;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>What became of one attempt to apply a stored delivery.</summary>
internal enum DeliveryApplyResult
{
    Applied,

    /// <summary>Failed; recorded on the delivery, which a later sweep tries again.</summary>
    Failed,

    /// <summary>Failed for the last time: in the quarantine (dead-letter queue "webhooks").</summary>
    Quarantined,

    /// <summary>Storage failed, not the delivery: nothing counted, a later sweep tries again.</summary>
    StorageFailed,
}

/// <summary>
/// Applies a stored delivery to account state: map (pure), resolve the account (or park the event under its
/// unlinked id), write the effect idempotently, then mark the delivery applied. Safe to run any number of
/// times for the same delivery, from the in-process queue, the sweeper, a link or a replay. Every one of those
/// goes through <see cref="ApplyIsolatedAsync(TableEntity, CancellationToken)"/>: one delivery failing, for any
/// reason, is recorded against that delivery (and quarantined in the end) and never stops the others.
/// </summary>
internal sealed class AccountEventApplier(
    WebhookDeliveryStore deliveries,
    AccountIdentity identity,
    AccountSignalWriter writer,
    ITableStore store,
    WebhookQuarantine quarantine,
    IOptionsMonitor<SignalsOptions> signals,
    TimeProvider timeProvider,
    ILogger<AccountEventApplier> logger)
{
    private Task? _ensured;

    /// <summary>Applies one delivery; whatever goes wrong is recorded against it (or, for storage, left for the next sweep), never thrown.</summary>
    public async Task<DeliveryApplyResult> ApplyIsolatedAsync(TableEntity delivery, CancellationToken cancellationToken)
    {
        var provider = delivery.GetString("Provider") ?? "?";
        var eventId = delivery.GetString("EventId") ?? delivery.RowKey;
        try
        {
            await ApplyAsync(delivery, cancellationToken);
            return DeliveryApplyResult.Applied;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (WebhookQuarantine.IsStorageFailure(ex) || ex is OperationCanceledException)
        {
            WebhookLog.ApplyFailed(logger, provider, eventId, ex.GetType().Name);
            return DeliveryApplyResult.StorageFailed;
        }
#pragma warning disable CA1031 // The point: any failure of one delivery is recorded against it instead of ending the caller.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                return await quarantine.RecordFailureAsync(delivery, ex, cancellationToken) ? DeliveryApplyResult.Quarantined : DeliveryApplyResult.Failed;
            }
            catch (Exception recordError) when (WebhookQuarantine.IsStorageFailure(recordError))
            {
                WebhookLog.ApplyFailed(logger, provider, eventId, recordError.GetType().Name);
                return DeliveryApplyResult.StorageFailed;
            }
        }
    }

    /// <summary>Applies the stored delivery of one event, not isolated (failures throw); null when no such delivery is stored.</summary>
    public async Task<string?> ApplyAsync(WebhookProvider provider, string eventId, CancellationToken cancellationToken)
    {
        var delivery = await deliveries.GetAsync(provider, eventId, cancellationToken);
        return delivery is null ? null : await ApplyAsync(delivery, cancellationToken);
    }

    /// <summary>Applies the stored delivery of one event, isolated; null when no such delivery is stored.</summary>
    public async Task<DeliveryApplyResult?> ApplyIsolatedAsync(WebhookProvider provider, string eventId, CancellationToken cancellationToken)
    {
        var delivery = await deliveries.GetAsync(provider, eventId, cancellationToken);
        return delivery is null ? null : await ApplyIsolatedAsync(delivery, cancellationToken);
    }

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

        var mapping = WebhookEventMapper.Map(provider, eventType, WebhookDeliveryStore.ReadJson(delivery), signals.CurrentValue);
        if (mapping.Rejection is { } rejection)
        {
            throw new WebhookEventRejectedException(rejection);
        }

        var accountEvent = mapping.Effect;
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
            // A parked event that fails now is recorded against its own delivery (unapplied again, so the sweep
            // retries it), not against the event or admin call that made the link.
            var result = await ApplyIsolatedAsync(parked.Provider, parked.EventId, cancellationToken);
            if (result == DeliveryApplyResult.StorageFailed)
            {
                throw new TableStorageUnavailableException("Storage failed while applying events parked under a new link.");
            }

            if (result == DeliveryApplyResult.Applied)
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
    public async Task<ApplyTally> ApplyStoredAsync(bool unappliedOnly, WebhookProvider? provider, int max, int concurrency, CancellationToken cancellationToken, DateTimeOffset? receivedBefore = null)
    {
        var counts = new int[4];
        var seen = 0;
        await Parallel.ForEachAsync(Stored(unappliedOnly, provider, max, receivedBefore, cancellationToken), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken }, async (delivery, ct) =>
        {
            Interlocked.Increment(ref seen);
            Interlocked.Increment(ref counts[(int)await ApplyIsolatedAsync(delivery, ct)]);
        });

        return new ApplyTally(
            seen,
            counts[(int)DeliveryApplyResult.Applied],
            counts[(int)DeliveryApplyResult.Failed] + counts[(int)DeliveryApplyResult.StorageFailed],
            counts[(int)DeliveryApplyResult.Quarantined]);
    }

    /// <summary>One sweep (the standalone worker's and the WebhookSweep timer's): unapplied deliveries past the grace, ApplyConcurrency at once.</summary>
    public Task<ApplyTally> SweepAsync(WebhooksOptions options, int max, CancellationToken cancellationToken) =>
        ApplyStoredAsync(unappliedOnly: true, provider: null, max, options.ApplyConcurrency, cancellationToken, options.SweepCutoff(timeProvider.GetUtcNow()));

    private async IAsyncEnumerable<TableEntity> Stored(bool unappliedOnly, WebhookProvider? provider, int max, DateTimeOffset? receivedBefore, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var taken = 0;
        await foreach (var delivery in deliveries.QueryAsync(unappliedOnly, provider, cancellationToken, receivedBefore))
        {
            // A sweep passes quarantined deliveries by (the dead-letter API re-drives them); a replay takes them too.
            if ((unappliedOnly && (delivery.GetBoolean("Applied") == true || delivery.GetBoolean("Quarantined") == true)) ||
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

/// <summary>What a sweep or replay did: deliveries seen, applied, failed (to be retried) and newly quarantined.</summary>
internal readonly record struct ApplyTally(int Seen, int Applied, int Failed, int Quarantined);
