using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Messaging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.LocalRunner;

public static class LocalRunnerExtensions
{
    /// <summary>
    /// Standalone only: the timer scheduler and the queue pumps reading the same function.json files the host reads,
    /// over the in-process queues (which <see cref="MessagingModule.AddMessaging"/> makes the app's publisher when no
    /// Service Bus is configured), and (optionally) a simulated clock.
    /// </summary>
    public static WebApplicationBuilder AddLocalRunner(this WebApplicationBuilder builder)
    {
        if (HostingMode.From(builder.Configuration).UnderFunctionsHost)
        {
            return builder;
        }

        builder.Services.AddOptions<LocalRunnerOptions>().BindConfiguration(LocalRunnerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var clock = builder.Configuration.GetSection(ClockOptions.SectionName).Get<ClockOptions>() ?? new ClockOptions();
        if (string.Equals(clock.Mode, "Simulated", StringComparison.OrdinalIgnoreCase))
        {
            var simulated = new SimulatedTimeProvider(clock.Start ?? DateTimeOffset.UtcNow);
            builder.Services.AddSingleton(simulated);
            builder.Services.AddSingleton<TimeProvider>(simulated);
        }
        else if (!string.Equals(clock.Mode, "System", StringComparison.OrdinalIgnoreCase))
        {
            throw new OptionsValidationException(ClockOptions.SectionName, typeof(ClockOptions), [$"Clock__Mode must be 'System' or 'Simulated', not '{clock.Mode}'."]);
        }
        else
        {
            builder.Services.TryAddSingleton(TimeProvider.System);
        }

        var runner = builder.Configuration.GetSection(LocalRunnerOptions.SectionName).Get<LocalRunnerOptions>() ?? new LocalRunnerOptions();
        builder.Services.AddLocalQueues();
        if (runner.Enabled)
        {
            var scriptRoot = runner.ScriptRoot ?? Path.Combine(AppContext.BaseDirectory, "functions");
            builder.Services.AddSingleton(_ => FunctionManifest.Load(scriptRoot));
            builder.Services.AddHttpClient(HttpFunctionInvoker.ClientName, c => c.Timeout = TimeSpan.FromMinutes(10));
            builder.Services.AddSingleton<IFunctionInvoker, HttpFunctionInvoker>();
            builder.Services.AddSingleton<TimerTriggerScheduler>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<TimerTriggerScheduler>());
            builder.Services.AddHostedService<ServiceBusTriggerPump>();
        }

        return builder;
    }

    /// <summary>
    /// The runner's own surface, under /local (it does not exist under the host): status for scripts that wait
    /// for the app to settle, and the simulated clock. Dead letters are served by /api/admin/deadletters in both modes.
    /// </summary>
    public static WebApplication MapLocalRunner(this WebApplication app)
    {
        if (app.Services.GetRequiredService<HostingMode>().UnderFunctionsHost)
        {
            return app;
        }

        var local = app.MapGroup("/local").RequireFunctionKey().ExcludeFromDescription();
        local.MapGet("/runner", (LocalServiceBus bus, TimeProvider time, IServiceProvider services) =>
        {
            var timers = services.GetService<TimerTriggerScheduler>();
            return Results.Ok(new
            {
                utcNow = time.GetUtcNow(),
                idle = bus.IsIdle() && (timers?.Running ?? 0) == 0,
                queues = bus.Status(),
                timers = timers?.NextDue,
            });
        });
        local.MapPost("/clock", (ClockAdvance request, IServiceProvider services) =>
        {
            var simulated = services.GetService<SimulatedTimeProvider>();
            if (simulated is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The clock is not simulated (set Clock__Mode=Simulated).");
            }

            var target = request.UtcNow ?? simulated.GetUtcNow() + (request.Advance ?? TimeSpan.Zero);
            return Results.Ok(new { utcNow = simulated.AdvanceTo(target) });
        });
        return app;
    }
}

/// <summary>Move the simulated clock to <see cref="UtcNow"/>, or forward by <see cref="Advance"/>.</summary>
public sealed record ClockAdvance(DateTimeOffset? UtcNow, TimeSpan? Advance);
