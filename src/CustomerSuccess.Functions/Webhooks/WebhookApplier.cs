using System.Collections.Concurrent;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>What one page of the applier did.</summary>
internal readonly record struct PageSummary(int Seen, int Applied, int Parked, int Ignored, int Duplicates, int Quarantined, int Failed)
{
    public static PageSummary operator +(PageSummary a, PageSummary b) =>
        new(a.Seen + b.Seen, a.Applied + b.Applied, a.Parked + b.Parked, a.Ignored + b.Ignored, a.Duplicates + b.Duplicates, a.Quarantined + b.Quarantined, a.Failed + b.Failed);
}

/// <summary>
/// Turns a page of stored deliveries into account state, whichever way they came (hints after the 200, a sweep of the
/// inbox, a replay or re-drive from the archive, a drain of parked events after a link):
/// <list type="number">
/// <item>map each (pure; a mapping the applier cannot make is a failed attempt, a rejection is quarantined at once);</item>
/// <item>claim inbox deliveries in the archive (one insert each, batched per partition), as applied when there is an
/// event to apply: most end so, and then no second write is needed. One whose event is archived with a final outcome
/// already is a duplicate and goes no further (known without a claim when this process saw it settled lately,
/// <see cref="SettledEvents"/>); one whose archived row is this same inbox copy's own claim (its <c>CopyId</c>) is a try
/// that stopped half-way, and goes on;</item>
/// <item>resolve accounts: links (remembered), then the account the provider names and the other ids it vouches for,
/// linked on sight, and whatever was parked under a new link joins the page; ids still unknown park their events;</item>
/// <item>per account, a few at a time, fold all its events into its state and write it once (<see cref="AccountUpdater"/>);</item>
/// <item>record in the archive the outcomes its claim did not say (parked, failed), index them for retention, take the
/// deliveries out of the inbox; only then does the account forget which events it counted.</item>
/// </list>
/// A failure of one account's step marks only its deliveries (an attempt, the reason) and the page goes on; after
/// <see cref="WebhooksOptions.MaxApplyAttempts"/> a delivery is quarantined. A storage outage abandons the page: the
/// inbox still holds it, and the retry neither loses nor doubles anything (the archive says what was claimed, the
/// account state remembers whose counters are in).
/// </summary>
internal sealed class WebhookApplier(
    WebhookInbox inbox,
    WebhookArchive archive,
    AccountIdentity identity,
    AccountUpdater accounts,
    ApplierRate rate,
    IOptionsMonitor<ProductOptions> product,
    IOptionsMonitor<WebhooksOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookApplier> logger,
    AppMetrics metrics,
    ApplierBacklog backlog)
{
    private const int MaxErrorLength = 1024;
    private const int MaxDrainRounds = 8;

    // Point reads, links and lookups a page makes at once.
    private const int Lookups = 16;

    private static readonly TimeSpan OthersTimeout = TimeSpan.FromSeconds(30);

    // Deliveries a page of this process is working on: another page (a sweep beside the hint workers, two drains)
    // leaves them to it rather than folding the same event twice at once.
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    // Events archived with a final outcome lately: a later inbox copy is a duplicate without a claim.
    private readonly SettledEvents _settled = new(timeProvider);

    /// <summary>
    /// Applies a page. A delivery another page of this process is working on is left to it, unless
    /// <paramref name="waitForOthers"/> (a replay, which must account for every event): then it is taken once the other
    /// page is done with it, as the archive records it by then.
    /// </summary>
    public Task<PageSummary> ApplyAsync(IReadOnlyList<PendingDelivery> deliveries, CancellationToken cancellationToken, bool waitForOthers = false) =>
        ApplyAsync(deliveries, [], waitForOthers, cancellationToken);

    /// <summary>Applies the events parked under an id that was just linked.</summary>
    public Task<PageSummary> DrainAsync(string kind, string externalId, CancellationToken cancellationToken) =>
        ApplyAsync([], [new ExternalIdRef(kind, externalId)], waitForOthers: false, cancellationToken);

    private async Task<PageSummary> ApplyAsync(IReadOnlyList<PendingDelivery> deliveries, List<ExternalIdRef> linked, bool waitForOthers, CancellationToken cancellationToken)
    {
        using var activity = AppTracing.Source.StartActivity("webhook page applied");
        var (page, copies) = await TakeAsync(deliveries, waitForOthers, cancellationToken);
        activity?.SetTag("webhook.deliveries", page.Count);
        foreach (var delivery in page.Where(d => d.Origin == DeliveryOrigin.Inbox))
        {
            backlog.Holding(delivery.Key, delivery.Row.ReceivedAt);
        }

        rate.Started();
        var applied = 0;
        try
        {
            var summary = await ApplyPageAsync(page, copies, linked, cancellationToken);
            applied = summary.Applied;
            return summary;
        }
        finally
        {
            rate.Ended(applied);
            foreach (var delivery in page)
            {
                _inFlight.TryRemove(delivery.Key.EventKey, out _);
                backlog.Released(delivery.Key);
            }
        }
    }

    /// <summary>
    /// The deliveries this page takes, and the further inbox copies of its events that came with them (a redelivery
    /// received in another second than the first copy): those leave the inbox with their event's copy in the page.
    /// </summary>
    private async Task<(List<PendingDelivery> Page, List<PendingDelivery> Copies)> TakeAsync(IReadOnlyList<PendingDelivery> deliveries, bool waitForOthers, CancellationToken cancellationToken)
    {
        var page = new List<PendingDelivery>(deliveries.Count);
        var busy = new List<PendingDelivery>();
        var copies = new List<PendingDelivery>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var delivery in deliveries)
        {
            if (_inFlight.TryAdd(delivery.Key.EventKey, 0))
            {
                page.Add(delivery);
                taken.Add(delivery.Key.EventKey);
            }
            else if (delivery.InboxKey is not null && taken.Contains(delivery.Key.EventKey))
            {
                copies.Add(delivery);
            }
            else
            {
                busy.Add(delivery);
            }
        }

        var started = timeProvider.GetTimestamp();
        try
        {
            if (waitForOthers)
            {
                // A replay accounts for each event by what became of it. An inbox delivery another page has applied since
                // the replay read the inbox is archived by now, so it is replayed as the replay's archive part replays.
                await ReadAgainAsync(page, [.. page.Where(d => d.Origin == DeliveryOrigin.Inbox)], cancellationToken);
            }

            while (waitForOthers && busy.Count > 0 && timeProvider.GetElapsedTime(started) < OthersTimeout)
            {
                // A wall-clock pause while another page finishes; not the app's (possibly simulated) time.
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
                var free = busy.Where(d => _inFlight.TryAdd(d.Key.EventKey, 0)).ToList();
                busy.RemoveAll(free.Contains);
                page.AddRange(free);

                // Read again: the other page recorded an outcome, which decides how (and whether) it is replayed.
                await ReadAgainAsync(page, free, cancellationToken);
            }
        }
        catch
        {
            page.ForEach(d => _inFlight.TryRemove(d.Key.EventKey, out _));
            throw;
        }

        return (page, copies);
    }

    /// <summary>
    /// Replaces each of <paramref name="taken"/> (held by this page) by what the archive says now: an archived event as
    /// archived (its outcome decides whether its counters may go in), an inbox delivery archived with a final outcome as
    /// that archived event (its inbox copy is removed when done), and one not final yet stays an inbox delivery (its
    /// claim goes on from where the other page stopped). An archived event no longer archived (retention) is let go.
    /// </summary>
    private async Task ReadAgainAsync(List<PendingDelivery> page, List<PendingDelivery> taken, CancellationToken cancellationToken)
    {
        var rows = new WebhookDeliveryRow?[taken.Count];
        var settledWithin = SettledEvents.WindowFor(options.CurrentValue);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, taken.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Lookups, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                rows[i] = await archive.GetAsync(taken[i].Key, ct);
                if (taken[i].Origin == DeliveryOrigin.Inbox && rows[i] is { } row && OwnClaim(taken[i], (row.Outcome, row.CopyId))
                    && !_settled.Contains(taken[i].Key.EventKey, settledWithin) && await inbox.HoldsAsync(taken[i].InboxKey!.Value, taken[i].Row.CopyId, ct))
                {
                    // This copy's own claim from a try that stopped half-way: still to apply, as an inbox delivery.
                    rows[i] = null;
                }
            });
        for (var i = 0; i < taken.Count; i++)
        {
            var delivery = taken[i];
            var current = delivery.Origin == DeliveryOrigin.Inbox
                ? DeliveryOutcomes.IsFinal(rows[i]?.Outcome) ? PendingDelivery.FromArchive(rows[i]!, inboxCopy: delivery.InboxKey) ?? delivery : delivery
                : rows[i] is { } row ? PendingDelivery.FromArchive(row, delivery.DrainedFrom) : null;
            var at = page.IndexOf(delivery);
            if (current is null)
            {
                page.RemoveAt(at);
                _inFlight.TryRemove(delivery.Key.EventKey, out _);
            }
            else
            {
                page[at] = current;
            }
        }
    }

    private async Task<PageSummary> ApplyPageAsync(List<PendingDelivery> page, List<PendingDelivery> copies, List<ExternalIdRef> linked, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var settings = options.CurrentValue;
        var vocabulary = product.CurrentValue;
        foreach (var delivery in page)
        {
            Map(delivery, vocabulary);
        }

        var started = timeProvider.GetTimestamp();
        await ClaimAsync(page, now, cancellationToken);
        var claimed = timeProvider.GetTimestamp();

        var work = page.Where(d => d.Outcome is null && d.Error is null && d.Event is not null).ToList();
        await ResolveAsync(work, linked, cancellationToken);
        for (var round = 0; linked.Count > 0 && round < MaxDrainRounds; round++)
        {
            var drained = await DrainAsync(linked, page, vocabulary, cancellationToken);
            linked.Clear();
            var drainedWork = drained.Where(d => d.Outcome is null && d.Error is null && d.Event is not null).ToList();
            work.AddRange(drainedWork);
            await ResolveAsync(drainedWork, linked, cancellationToken);
        }

        await ParkAsync(work, cancellationToken);
        var resolved = timeProvider.GetTimestamp();
        var accountCount = 0;
        await Parallel.ForEachAsync(
            work.Where(d => d.AccountId is not null && d.Outcome is null).GroupBy(d => d.AccountId!, StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = settings.ApplyConcurrency, CancellationToken = cancellationToken },
            async (account, ct) =>
            {
                Interlocked.Increment(ref accountCount);
                await ApplyToAccountAsync(account.Key, [.. account.OrderBy(d => d.Event!.OccurredAt)], ct);
            });
        var written = timeProvider.GetTimestamp();

        var copiesDone = await FinishAsync(page, copies, settings, now, cancellationToken);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var finished = timeProvider.GetTimestamp();
            long Ms(long from, long to) => (long)timeProvider.GetElapsedTime(from, to).TotalMilliseconds;
            var (claimMs, resolveMs, accountsMs, finishMs) = (Ms(started, claimed), Ms(claimed, resolved), Ms(resolved, written), Ms(written, finished));
            WebhookLog.PageApplied(logger, page.Count, accountCount, claimMs, resolveMs, accountsMs, finishMs);
        }

        foreach (var quarantined in page.Where(d => d.Outcome == DeliveryOutcomes.Quarantined))
        {
            metrics.DeliveryQuarantined(WebhookProviderNames.Of(quarantined.Provider));
        }

        var summary = Summarize(page);
        return summary with { Duplicates = summary.Duplicates + copiesDone };
    }

    /// <summary>An archived event its mapping settles: ignored, or quarantined as rejected.</summary>
    private static void Decided(PendingDelivery delivery)
    {
        delivery.Outcome = delivery.Mapping!.IsRejected ? DeliveryOutcomes.Quarantined : DeliveryOutcomes.Ignored;
        delivery.Error = delivery.Mapping.Rejection;
        if (delivery.Mapping.IsRejected)
        {
            delivery.Row.Attempts++;
            delivery.Row.QuarantineReason = WebhookQuarantine.RejectedReason;
        }
    }

    private static void Map(PendingDelivery delivery, ProductOptions vocabulary)
    {
        if (delivery.Mapping is not null || delivery.Error is not null)
        {
            return;
        }

        try
        {
            delivery.Mapping = WebhookEventMapper.Map(delivery.Provider, delivery.Row.EventType ?? string.Empty, delivery.Json, vocabulary);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            delivery.Error = Describe(ex);
        }
    }

    /// <summary>Inbox deliveries are inserted into the archive, with their outcome when mapping decided it already.</summary>
    private async Task ClaimAsync(List<PendingDelivery> page, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var delivery in page.Where(d => d.Origin == DeliveryOrigin.Archive && d.Mapping is { Event: null }))
        {
            Decided(delivery);
        }

        var claiming = new List<PendingDelivery>();
        var settledWithin = SettledEvents.WindowFor(options.CurrentValue);
        foreach (var delivery in page.Where(d => d.Origin == DeliveryOrigin.Inbox))
        {
            if (_settled.Contains(delivery.Key.EventKey, settledWithin))
            {
                delivery.Outcome = DeliveryOutcomes.Duplicate;
            }
            else
            {
                claiming.Add(delivery);
            }
        }

        if (claiming.Count == 0)
        {
            return;
        }

        foreach (var delivery in claiming)
        {
            var row = delivery.Row;
            row.ETag = default;

            // An event to apply is claimed as applied: most are, and the page records an outcome only where it ends
            // otherwise (parked; or back to applying when the attempt fails). A retry of this copy knows its own claim
            // by the copy id, and goes on.
            row.Outcome = delivery.Mapping switch
            {
                null => DeliveryOutcomes.Applying, // its mapping failed this time: a later try decides
                { IsRejected: true } => DeliveryOutcomes.Quarantined,
                { Event: null } => DeliveryOutcomes.Ignored,
                _ => DeliveryOutcomes.Applied,
            };
            row.LastError = delivery.Mapping?.Rejection;
            row.AppliedAt = row.Outcome == DeliveryOutcomes.Applying ? null : now;
            if (delivery.Mapping?.IsRejected == true)
            {
                // The one attempt that found it rejected: retrying a pure mapping changes nothing.
                row.Attempts++;
                row.QuarantineReason = WebhookQuarantine.RejectedReason;
            }
        }

        var claims = await archive.ClaimAsync([.. claiming.Select(d => d.Row)], cancellationToken);

        // Archived before: by an earlier delivery of the event (done: this one is a duplicate), or by an earlier try of
        // this same copy that stopped half-way (go on: the account remembers whose counters are in).
        var archived = new (string? Outcome, string? CopyId)[claiming.Count];
        var stillHeld = new bool[claiming.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, claiming.Count).Where(i => claims[i] == TableWriteStatus.AlreadyExists), new ParallelOptions { MaxDegreeOfParallelism = Lookups, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            archived[i] = await archive.ClaimOfAsync(claiming[i].Key, ct);
            if (OwnClaim(claiming[i], archived[i]))
            {
                // Its own claim, and this process did not see it settled: a try that stopped half-way, unless another
                // process finished it meanwhile, which takes the copy out of the inbox last of all.
                stillHeld[i] = await inbox.HoldsAsync(claiming[i].InboxKey!.Value, claiming[i].Row.CopyId, ct);
            }
        });
        for (var i = 0; i < claiming.Count; i++)
        {
            var delivery = claiming[i];
            if (claims[i] == TableWriteStatus.AlreadyExists)
            {
                // Its own claim is done with when another process finished the copy, or when that try settled it as
                // ignored, parked or quarantined and only the inbox copy was left; another's claim when it is final.
                var own = OwnClaim(delivery, archived[i]);
                if (own ? !stillHeld[i] || archived[i].Outcome is not (DeliveryOutcomes.Applied or DeliveryOutcomes.Applying) : DeliveryOutcomes.IsFinal(archived[i].Outcome))
                {
                    delivery.Outcome = DeliveryOutcomes.Duplicate;
                    _settled.Add(delivery.Key.EventKey);
                }
                else
                {
                    delivery.ClaimedOutcome = own ? archived[i].Outcome : null;
                }

                continue;
            }

            if (claims[i] != TableWriteStatus.Success)
            {
                delivery.Error = "the archive refused the claim (" + claims[i] + ")";
                continue;
            }

            delivery.ClaimedOutcome = delivery.Row.Outcome;
            if (delivery.Row.Outcome is not (DeliveryOutcomes.Applied or DeliveryOutcomes.Applying))
            {
                delivery.Outcome = delivery.Row.Outcome;
                delivery.Error = delivery.Mapping?.Rejection;
            }
        }
    }

    /// <summary>The archived row was claimed by this very inbox copy (an earlier try of it).</summary>
    private static bool OwnClaim(PendingDelivery delivery, (string? Outcome, string? CopyId) archived) =>
        archived.CopyId is not null && string.Equals(archived.CopyId, delivery.Row.CopyId, StringComparison.Ordinal);

    /// <summary>
    /// The account of each event: its id's link; else the account the provider names (linked now); then the other ids
    /// the event vouches for are linked to the same account. New links are added to <paramref name="linked"/>. Each
    /// distinct id is looked up once (most are remembered), the rest a few at a time.
    /// </summary>
    private async Task ResolveAsync(List<PendingDelivery> work, List<ExternalIdRef> linked, CancellationToken cancellationToken)
    {
        var accountOf = await ResolveEachAsync(work.Select(d => d.Event!.Account), cancellationToken);
        var named = work.Where(d => accountOf[d.Event!.Account] is null && !string.IsNullOrWhiteSpace(d.Event.NamedAccountId))
            .GroupBy(d => d.Event!.Account)
            .Select(g => (Id: g.Key, AccountId: g.First().Event!.NamedAccountId!))
            .ToList();
        await LinkEachAsync(named, accountOf, linked, cancellationToken);
        foreach (var delivery in work)
        {
            delivery.AccountId = accountOf[delivery.Event!.Account];
        }

        var aliases = work.Where(d => d.AccountId is not null)
            .SelectMany(d => d.Event!.AlsoKnownAs.Where(a => !string.IsNullOrWhiteSpace(a.ExternalId)).Select(a => (Id: a, AccountId: d.AccountId!)))
            .DistinctBy(a => a.Id)
            .ToList();
        var aliasOf = await ResolveEachAsync(aliases.Select(a => a.Id), cancellationToken);
        await LinkEachAsync([.. aliases.Where(a => aliasOf[a.Id] is null)], aliasOf, linked, cancellationToken);
    }

    /// <summary>Links each id to its account, a few at a time (the ids are distinct); notes the new links.</summary>
    private async Task LinkEachAsync(List<(ExternalIdRef Id, string AccountId)> links, ConcurrentDictionary<ExternalIdRef, string?> accountOf, List<ExternalIdRef> linked, CancellationToken cancellationToken)
    {
        var made = new ConcurrentBag<ExternalIdRef>();
        await Parallel.ForEachAsync(links, new ParallelOptions { MaxDegreeOfParallelism = Lookups, CancellationToken = cancellationToken }, async (link, ct) =>
        {
            var (outcome, owner) = await identity.LinkAsync(link.AccountId, link.Id.Kind, link.Id.ExternalId, ct);
            accountOf[link.Id] = owner;
            if (outcome == LinkOutcome.Linked)
            {
                made.Add(link.Id);
            }
        });
        linked.AddRange(made);
    }

    private async Task<ConcurrentDictionary<ExternalIdRef, string?>> ResolveEachAsync(IEnumerable<ExternalIdRef> ids, CancellationToken cancellationToken)
    {
        var accountOf = new ConcurrentDictionary<ExternalIdRef, string?>();
        await Parallel.ForEachAsync(ids.Distinct(), new ParallelOptions { MaxDegreeOfParallelism = Lookups, CancellationToken = cancellationToken }, async (id, ct) =>
            accountOf[id] = await identity.ResolveAsync(id.Kind, id.ExternalId, ct));
        return accountOf;
    }

    /// <summary>The events parked under ids just linked, read back from the archive and mapped, added to the page.</summary>
    private async Task<List<PendingDelivery>> DrainAsync(List<ExternalIdRef> linked, List<PendingDelivery> page, ProductOptions vocabulary, CancellationToken cancellationToken)
    {
        var parkedUnder = new ConcurrentBag<ParkedEvent>();
        await Parallel.ForEachAsync(linked.Distinct(), new ParallelOptions { MaxDegreeOfParallelism = Lookups, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            foreach (var parked in await identity.ParkedUnderAsync(id.Kind, id.ExternalId, ct))
            {
                parkedUnder.Add(parked);
            }
        });

        var inPage = page.Select(d => d.Key.EventKey).ToHashSet(StringComparer.Ordinal);
        var claimed = new List<(ParkedEvent Parked, DeliveryKey Key)>();
        foreach (var parked in parkedUnder)
        {
            if (DeliveryKey.TryParse(parked.EventKey, out var key) && inPage.Add(parked.EventKey) && _inFlight.TryAdd(parked.EventKey, 0))
            {
                claimed.Add((parked, key));
            }
        }

        var rows = new WebhookDeliveryRow?[claimed.Count];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, claimed.Count), new ParallelOptions { MaxDegreeOfParallelism = Lookups, CancellationToken = cancellationToken }, async (i, ct) =>
                rows[i] = await archive.GetAsync(claimed[i].Key, ct));
        }
        catch
        {
            claimed.ForEach(c => _inFlight.TryRemove(c.Parked.EventKey, out _));
            throw;
        }

        var drained = new List<PendingDelivery>();
        var gone = new List<ParkedEvent>();
        for (var i = 0; i < claimed.Count; i++)
        {
            if (rows[i] is null || PendingDelivery.FromArchive(rows[i]!, claimed[i].Parked) is not { } delivery)
            {
                // Gone from the archive (past retention): nothing is left to apply.
                _inFlight.TryRemove(claimed[i].Parked.EventKey, out _);
                gone.Add(claimed[i].Parked);
                continue;
            }

            // In the page from here on, so the page's end releases it whatever happens next.
            page.Add(delivery);
            drained.Add(delivery);
            Map(delivery, vocabulary);
            if (delivery.Mapping is { Event: null })
            {
                delivery.Outcome = delivery.Mapping.IsRejected ? DeliveryOutcomes.Quarantined : DeliveryOutcomes.Ignored;
                delivery.Error = delivery.Mapping.Rejection;
            }
        }

        await identity.RemoveParkedAsync(gone, cancellationToken);
        return drained;
    }

    /// <summary>Events whose id no one has linked wait under it; a link made meanwhile would have missed them, so look again.</summary>
    private async Task ParkAsync(List<PendingDelivery> work, CancellationToken cancellationToken)
    {
        var unresolved = work.Where(d => d.AccountId is null).ToList();
        if (unresolved.Count == 0)
        {
            return;
        }

        var parked = unresolved.Select(d => new ParkedEvent(d.Event!.Account.Kind, d.Event.Account.ExternalId, d.Key.EventKey, d.Provider.ToString())).ToList();
        await identity.ParkAsync(parked, cancellationToken);
        var accountOf = await ResolveEachAsync(unresolved.Select(d => d.Event!.Account), cancellationToken);
        var lateLinks = new List<ParkedEvent>();
        for (var i = 0; i < unresolved.Count; i++)
        {
            if (accountOf[unresolved[i].Event!.Account] is { } accountId)
            {
                unresolved[i].AccountId = accountId;
                lateLinks.Add(parked[i]);
            }
            else
            {
                unresolved[i].Outcome = DeliveryOutcomes.Parked;
            }
        }

        await identity.RemoveParkedAsync(lateLinks, cancellationToken);
    }

    private async Task ApplyToAccountAsync(string accountId, List<PendingDelivery> deliveries, CancellationToken cancellationToken)
    {
        // The account's change continues the trace of the latest webhook folded in (the one whose state it leaves);
        // the page's span and the other webhooks' traces are linked.
        var latest = deliveries.LastOrDefault(d => d.Row.TraceParent is not null);
        using var activity = TraceContext.StartContinuing("account events applied", System.Diagnostics.ActivityKind.Internal, TraceContext.Parse(latest?.Row.TraceParent));
        if (activity is not null)
        {
            activity.SetTag("account.events", deliveries.Count);
            foreach (var other in deliveries)
            {
                if (other != latest && TraceContext.Parse(other.Row.TraceParent) is { } context)
                {
                    activity.AddLink(new System.Diagnostics.ActivityLink(context));
                }
            }
        }

        try
        {
            var update = await accounts.ApplyAsync(accountId, [.. deliveries.Select(d => new AccountEventToApply(d.Event!, d.Key.EventKey, d.CountersAllowed))], cancellationToken);
            for (var i = 0; i < deliveries.Count; i++)
            {
                deliveries[i].Outcome = DeliveryOutcomes.Applied;
                deliveries[i].Counted = update.Counted[i];
            }
        }
        catch (Exception ex) when (!IsOutage(ex, cancellationToken))
        {
            var error = Describe(ex);
            deliveries.ForEach(d => d.Error = error);
            WebhookLog.AccountApplyFailed(logger, accountId, deliveries.Count, ex.GetType().Name);
        }
    }

    /// <summary>Records outcomes and takes what is done out of the inbox; returns how many further copies went with it.</summary>
    private async Task<int> FinishAsync(List<PendingDelivery> page, List<PendingDelivery> copies, WebhooksOptions settings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Failed attempts: quarantined after the last one allowed, otherwise left where they are for the next try.
        var failedInInbox = new List<(InboxKey, int, string)>();
        foreach (var delivery in page.Where(d => d.Outcome is null && d.Error is not null))
        {
            var attempts = delivery.Row.Attempts + 1;
            delivery.Row.Attempts = attempts;
            if (attempts >= settings.MaxApplyAttempts || delivery.Origin == DeliveryOrigin.Archive && delivery.PreviousOutcome == DeliveryOutcomes.Quarantined)
            {
                delivery.Outcome = DeliveryOutcomes.Quarantined;
                delivery.Row.QuarantineReason = WebhookQuarantine.MaxAttemptsReason;
            }
            else if (delivery.Origin == DeliveryOrigin.Inbox)
            {
                failedInInbox.Add((delivery.InboxKey!.Value, attempts, delivery.Error!));
            }
        }

        // Outcomes the archive does not hold yet: every end of an archived event's pass, and of an inbox copy whose claim
        // said otherwise (parked; quarantined). A failed attempt after a claim of "applied" goes back to "applying".
        var recorded = page.Where(d => d.Outcome is not (null or DeliveryOutcomes.Duplicate) && d.Outcome != d.ClaimedOutcome
                || d.Outcome is null && d.Error is not null && d.ClaimedOutcome == DeliveryOutcomes.Applied)
            .Select(d => new ArchiveOutcome
            {
                PartitionKey = d.Key.PartitionKey,
                RowKey = d.Key.RowKey,
                Outcome = d.Outcome ?? DeliveryOutcomes.Applying,
                AppliedAt = d.Outcome is null ? null : now,
                AccountId = d.AccountId,
                LastError = d.Outcome == DeliveryOutcomes.Quarantined ? Truncate(d.Error) : null,
                Attempts = d.Row.Attempts,
                QuarantineReason = d.Outcome == DeliveryOutcomes.Quarantined ? d.Row.QuarantineReason : null,
            })
            .ToList();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        await Task.WhenAll(
            archive.RecordAsync(recorded, cancellationToken),
            archive.IndexAsync(
                page.Where(d => d.Outcome is DeliveryOutcomes.Applied or DeliveryOutcomes.Ignored && d.PreviousOutcome is not (DeliveryOutcomes.Applied or DeliveryOutcomes.Ignored)).Select(d => d.Key),
                today,
                quarantined: false,
                cancellationToken),
            archive.QuarantinedAsync([.. page.Where(d => d.Outcome == DeliveryOutcomes.Quarantined).Select(d => d.Key)], today, cancellationToken));

        foreach (var delivery in page.Where(d => DeliveryOutcomes.IsFinal(d.Outcome)))
        {
            _settled.Add(delivery.Key.EventKey);
        }

        // Only now, with the outcome durable, do the deliveries leave the inbox and the parked entries go; a further copy
        // of an event goes with the copy in the page, and stays while that one does.
        var done = page.Where(d => d.InboxKey is not null && d.Outcome is not null).ToList();
        var doneEvents = done.Select(d => d.Key.EventKey).ToHashSet(StringComparer.Ordinal);
        var copiesDone = copies.Where(c => doneEvents.Contains(c.Key.EventKey)).ToList();
        await Task.WhenAll(
            inbox.RemoveAsync(done.Concat(copiesDone).Select(d => d.InboxKey!.Value).Distinct(), cancellationToken),
            inbox.RecordFailuresAsync(failedInInbox, now, cancellationToken),
            identity.RemoveParkedAsync(page.Where(d => d.DrainedFrom is not null && d.Outcome == DeliveryOutcomes.Applied).Select(d => d.DrainedFrom!), cancellationToken));
        foreach (var account in page.Where(d => d.Counted).GroupBy(d => d.AccountId!, StringComparer.Ordinal))
        {
            await accounts.ForgetAsync(account.Key, account.Select(d => d.Key.EventKey), cancellationToken);
        }

        foreach (var delivery in page)
        {
            if (delivery.Outcome == DeliveryOutcomes.Quarantined)
            {
                WebhookLog.DeliveryQuarantined(logger, delivery.Provider, delivery.Row.EventId ?? delivery.Key.RowKey, delivery.Row.Attempts, delivery.Row.QuarantineReason ?? string.Empty);
            }
            else if (delivery.Outcome is null && delivery.Error is not null)
            {
                WebhookLog.DeliveryFailed(logger, delivery.Provider, delivery.Row.EventId ?? delivery.Key.RowKey, delivery.Row.Attempts);
            }
        }

        return copiesDone.Count;
    }

    private static PageSummary Summarize(List<PendingDelivery> page) => new(
        page.Count,
        page.Count(d => d.Outcome == DeliveryOutcomes.Applied),
        page.Count(d => d.Outcome == DeliveryOutcomes.Parked),
        page.Count(d => d.Outcome == DeliveryOutcomes.Ignored),
        page.Count(d => d.Outcome == DeliveryOutcomes.Duplicate),
        page.Count(d => d.Outcome == DeliveryOutcomes.Quarantined),
        page.Count(d => d.Outcome is null));

    private static bool IsOutage(Exception ex, CancellationToken cancellationToken) =>
        ex is TableStorageUnavailableException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private static string Describe(Exception ex) => Truncate(ex.GetType().Name + ": " + ex.Message)!;

    private static string? Truncate(string? text) => text is null || text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
}
