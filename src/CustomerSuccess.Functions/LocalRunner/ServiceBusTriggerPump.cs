using System.Text.Json;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Messaging;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.LocalRunner;

/// <summary>
/// Delivers in-process queue messages to the Service Bus-triggered functions of the manifest, with the same
/// payload shape the host sends: the body under the trigger's binding name, and MessageId, DeliveryCount,
/// EnqueuedTimeUtc, ApplicationProperties ... under Metadata. A non-2xx answer abandons the delivery. Each queue
/// is a <see cref="WorkerLoop"/> (one iteration receives one message and starts its delivery), and a delivery
/// that throws is abandoned like a failed one: a message can reach the dead letters, never stop the pump.
/// </summary>
public sealed partial class ServiceBusTriggerPump : BackgroundService
{
    private readonly LocalServiceBus _bus;
    private readonly FunctionManifest _manifest;
    private readonly IFunctionInvoker _invoker;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly IOptions<LocalRunnerOptions> _options;
    private readonly ILogger<ServiceBusTriggerPump> _logger;
    private readonly WorkerLiveness _liveness;
    private readonly Dictionary<string, SemaphoreSlim> _signals = new(StringComparer.OrdinalIgnoreCase);

    public ServiceBusTriggerPump(LocalServiceBus bus, FunctionManifest manifest, IFunctionInvoker invoker, IConfiguration configuration, TimeProvider time, IOptions<LocalRunnerOptions> options, WorkerLiveness liveness, ILogger<ServiceBusTriggerPump> logger)
    {
        _liveness = liveness;
        _bus = bus;
        _manifest = manifest;
        _invoker = invoker;
        _configuration = configuration;
        _time = time;
        _options = options;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>();
        foreach (var function in _manifest.Functions.Where(f => f.TriggerKind == FunctionTriggerKind.ServiceBus))
        {
            string queue;
            try
            {
                queue = FunctionDefinition.ResolveSettings(function.Trigger.GetString("queueName") ?? throw new InvalidDataException($"{function.Name}: serviceBusTrigger has no queueName."), _configuration);
            }
            catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException)
            {
                // This queue's function cannot run; the others still do, and /api/healthz names this one.
                var heartbeat = _liveness.Register("queue:" + function.Name);
                heartbeat.Failed(ex);
                heartbeat.Ended(appStopping: false);
                LogPumpNotStarted(_logger, function.Name, ex.GetType().Name);
                continue;
            }

            var signal = new SemaphoreSlim(0);
            _signals[queue] = signal;
            loops.Add(PumpAsync(function, queue, signal, stoppingToken));
        }

        _bus.MessageAvailable += OnMessageAvailable;
        return Task.WhenAll(loops);
    }

    private void OnMessageAvailable(string queue)
    {
        if (_signals.TryGetValue(queue, out var signal) && signal.CurrentCount == 0)
        {
            signal.Release();
        }
    }

    private async Task PumpAsync(FunctionDefinition function, string queue, SemaphoreSlim signal, CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(_options.Value.MaxConcurrentCalls);
        var inFlight = new List<Task>();
        await WorkerLoop.RunAsync(_liveness.Register("queue:" + queue), ct => ReceiveNextAsync(function, queue, signal, slots, inFlight, ct), _logger, stoppingToken);
        await Task.WhenAll(inFlight);
    }

    /// <summary>Takes a free slot and one message and starts delivering it; waits for a signal or the poll interval when the queue is empty.</summary>
    private async Task ReceiveNextAsync(FunctionDefinition function, string queue, SemaphoreSlim signal, SemaphoreSlim slots, List<Task> inFlight, CancellationToken stoppingToken)
    {
        await slots.WaitAsync(stoppingToken);
        LocalMessage? message;
        try
        {
            message = _bus.TryReceive(queue);
        }
        catch
        {
            slots.Release();
            throw;
        }

        if (message is null)
        {
            slots.Release();
            await signal.WaitAsync(_options.Value.PollInterval, stoppingToken);
            return;
        }

        inFlight.RemoveAll(t => t.IsCompleted);
        inFlight.Add(DeliverAsync(function, message, slots, stoppingToken));
    }

    private async Task DeliverAsync(FunctionDefinition function, LocalMessage message, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            var outcome = await _invoker.InvokeAsync(function.Name, BuildRequest(function, message), stoppingToken);
            if (outcome.Succeeded)
            {
                _bus.Complete(message);
                return;
            }

            var description = outcome.StatusCode == 0 ? outcome.Detail : $"HTTP {outcome.StatusCode}: {outcome.Detail}";
            if (_bus.Abandon(message, description))
            {
                LogDeadLettered(_logger, message.Queue, message.Message.MessageId, message.DeliveryCount, description);
            }
            else
            {
                LogAbandoned(_logger, message.Queue, message.Message.MessageId, message.DeliveryCount, outcome.StatusCode);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _bus.Abandon(message, "The runner stopped during delivery.");
        }
#pragma warning disable CA1031 // Whatever went wrong, the message is abandoned (redelivered, dead-lettered in the end) and the pump goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var description = $"{ex.GetType().Name}: {ex.Message}";
            _bus.Abandon(message, description);
            LogDeliveryFailed(_logger, message.Queue, message.Message.MessageId, message.DeliveryCount, ex.GetType().Name);
        }
        finally
        {
            slots.Release();
        }
    }

    internal InvocationRequest BuildRequest(FunctionDefinition function, LocalMessage message)
    {
        var m = message.Message;
        var properties = JsonSerializer.SerializeToElement(m.ApplicationProperties);
        var now = _time.GetUtcNow();
        return new InvocationRequest
        {
            Data =
            {
                [function.Trigger.Name] = JsonSerializer.SerializeToElement(m.Body),
            },
            Metadata =
            {
                ["MessageId"] = JsonSerializer.SerializeToElement(m.MessageId),
                ["DeliveryCount"] = JsonSerializer.SerializeToElement(message.DeliveryCount),
                ["SequenceNumber"] = JsonSerializer.SerializeToElement(message.SequenceNumber),
                ["EnqueuedTimeUtc"] = JsonSerializer.SerializeToElement(message.EnqueuedTime.UtcDateTime),
                ["ContentType"] = JsonSerializer.SerializeToElement(m.ContentType),
                ["CorrelationId"] = JsonSerializer.SerializeToElement(m.CorrelationId),
                ["ApplicationProperties"] = properties,
                ["UserProperties"] = properties,
                ["sys"] = JsonSerializer.SerializeToElement(new { MethodName = function.Name, UtcNow = now.UtcDateTime, RandGuid = Guid.NewGuid() }),
            },
        };
    }

    public override void Dispose()
    {
        _bus.MessageAvailable -= OnMessageAvailable;
        foreach (var s in _signals.Values)
        {
            s.Dispose();
        }

        base.Dispose();
    }

    [LoggerMessage(EventId = 4901, Level = LogLevel.Warning, Message = "Delivery {DeliveryCount} of message {MessageId} on {Queue} failed with HTTP {StatusCode}; it will be redelivered.")]
    private static partial void LogAbandoned(ILogger logger, string queue, string messageId, int deliveryCount, int statusCode);

    [LoggerMessage(EventId = 4902, Level = LogLevel.Error, Message = "No pump for {FunctionName}: its queue name cannot be resolved ({ErrorType})")]
    private static partial void LogPumpNotStarted(ILogger logger, string functionName, string errorType);

    [LoggerMessage(EventId = 4903, Level = LogLevel.Error, Message = "Delivery {DeliveryCount} of message {MessageId} on {Queue} threw {ErrorType}; it will be redelivered.")]
    private static partial void LogDeliveryFailed(ILogger logger, string queue, string messageId, int deliveryCount, string errorType);

    [LoggerMessage(EventId = 4904, Level = LogLevel.Error, Message = "Message {MessageId} on {Queue} was dead-lettered after {DeliveryCount} deliveries: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string queue, string messageId, int deliveryCount, string reason);
}
