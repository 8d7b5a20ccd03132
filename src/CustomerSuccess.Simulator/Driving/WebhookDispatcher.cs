using System.Text;
using System.Text.Json.Nodes;
using CustomerSuccess.Simulator.Portfolio;
using CustomerSuccess.Simulator.Providers;

namespace CustomerSuccess.Simulator.Driving;

/// <summary>One HTTP delivery: a Stripe or Zendesk event, or a Segment message or batch.</summary>
internal sealed record Delivery(Provider Provider, byte[] Body, int EventCount, bool IsDuplicate, int UnlinkedCount);

/// <summary>
/// Turns a clock step's events into deliveries with the mess real providers bring: Segment messages batched
/// (some sent alone), about 2% of deliveries repeated, and a few Stripe and Zendesk events held back to the next
/// step so they arrive after later ones (neither provider guarantees order). Sends with bounded concurrency,
/// signing each request at send time with the app's clock, and counts every answer.
/// </summary>
internal sealed class WebhookDispatcher
{
    public const int SegmentBatchSize = 100;

    private readonly AppClient _app;
    private readonly WebhookSecrets _secrets;
    private readonly RunCounters _counters;
    private readonly int _concurrency;
    private readonly double _duplicateShare;
    private readonly double _delayShare;
    private readonly Random _rng;
    private List<PlannedEvent> _heldBack = [];
    private List<Delivery> _repeatNextStep = [];

    public WebhookDispatcher(AppClient app, WebhookSecrets secrets, RunCounters counters, int concurrency, int seed, ScenarioNoise noise)
    {
        _app = app;
        _secrets = secrets;
        _counters = counters;
        _concurrency = concurrency;
        _duplicateShare = noise.DuplicateDeliveries;
        _delayShare = noise.OutOfOrderDeliveries;
        _rng = new Random(StableSeed.Of(seed, 0xde11));
    }

    public List<Delivery> Plan(IReadOnlyList<PlannedEvent> events, bool lastStep)
    {
        var deliveries = new List<Delivery>(_repeatNextStep);
        _repeatNextStep = [];
        var now = new List<PlannedEvent>(_heldBack);
        _heldBack = [];
        foreach (var e in events)
        {
            if (!lastStep && e.Provider != Provider.Segment && _rng.NextDouble() < _delayShare)
            {
                _heldBack.Add(e);
                _counters.For(e.Provider).Delayed();
            }
            else
            {
                now.Add(e);
            }
        }

        foreach (var e in now.Where(e => e.Provider != Provider.Segment))
        {
            deliveries.Add(new Delivery(e.Provider, Encoding.UTF8.GetBytes(e.Payload.ToJsonString()), 1, false, 0));
        }

        var segment = now.Where(e => e.Provider == Provider.Segment).ToList();
        var batch = new List<PlannedEvent>();
        foreach (var e in segment)
        {
            // Identify and group calls often go out alone; track and page mostly in batches.
            if (e.Type is "identify" or "group" ? _rng.NextDouble() < 0.1 : _rng.NextDouble() < 0.02)
            {
                deliveries.Add(SegmentDelivery([e], single: true));
            }
            else
            {
                batch.Add(e);
                if (batch.Count == SegmentBatchSize)
                {
                    deliveries.Add(SegmentDelivery(batch, single: false));
                    batch = [];
                }
            }
        }

        if (batch.Count > 0)
        {
            deliveries.Add(SegmentDelivery(batch, single: false));
        }

        // Repeats: the same body delivered again, in this step or the next (re-signed at send time, as a retry is).
        foreach (var d in deliveries.Where(d => !d.IsDuplicate).ToList())
        {
            if (_rng.NextDouble() < _duplicateShare)
            {
                var repeat = d with { IsDuplicate = true };
                if (!lastStep && _rng.NextDouble() < 0.5)
                {
                    _repeatNextStep.Add(repeat);
                }
                else
                {
                    deliveries.Add(repeat);
                }
            }
        }

        // Interleave providers as real traffic is, deterministically for the seed.
        return [.. deliveries.OrderBy(_ => _rng.Next())];
    }

    private static Delivery SegmentDelivery(List<PlannedEvent> events, bool single)
    {
        var sentAt = events.Max(e => e.OccurredAt);
        var unlinked = events.Count(e => e.Payload["context"] is JsonObject c && !c.ContainsKey("groupId") && e.Type is "track" or "page");
        var body = single ? SegmentPayloads.Single(events[0].Payload, sentAt) : SegmentPayloads.Batch(events.Select(e => e.Payload), sentAt);
        return new Delivery(Provider.Segment, Encoding.UTF8.GetBytes(body.ToJsonString()), events.Count, false, unlinked);
    }

    public async Task SendAsync(IReadOnlyList<Delivery> deliveries, DateTimeOffset appNow, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = _concurrency, CancellationToken = cancellationToken }, async (d, ct) =>
        {
            var counters = _counters.For(d.Provider);
            counters.Sent(d.EventCount, d.IsDuplicate);
            if (!d.IsDuplicate && d.UnlinkedCount > 0)
            {
                counters.Unlinked(d.UnlinkedCount);
            }

            // Providers retry what was not acknowledged; two quick retries stand in for their longer schedules.
            var status = 0;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var signing = System.Diagnostics.Stopwatch.GetTimestamp();
                var headers = WebhookSigner.Sign(d.Provider, d.Body, appNow, _secrets);
                _counters.AddSignTime(System.Diagnostics.Stopwatch.GetElapsedTime(signing));
                status = await _app.PostWebhookAsync(d.Provider, d.Body, headers, ct);
                if (status is >= 200 and < 300 or (>= 400 and < 500 and not 408 and not 429))
                {
                    break;
                }

                await Task.Delay(100 * (attempt + 1), ct);
            }

            counters.Answered(status);
        });
    }

    /// <summary>Whatever is still held back at the end goes out in one last step.</summary>
    public List<Delivery> Flush()
    {
        var rest = _heldBack.Select(e => new Delivery(e.Provider, Encoding.UTF8.GetBytes(e.Payload.ToJsonString()), 1, false, 0)).Concat(_repeatNextStep).ToList();
        _heldBack = [];
        _repeatNextStep = [];
        return rest;
    }
}
