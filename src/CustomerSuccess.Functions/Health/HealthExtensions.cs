using CustomerSuccess.Functions.Storage;
using Microsoft.Extensions.Options;

namespace CustomerSuccess.Functions.Health;

public static class HealthExtensions
{
    /// <summary>The health model (validated at start: an invalid model stops the app, naming the setting) and its services.
    /// Needs AppTables, IAccountSignalSource and IMessagePublisher from their modules; publishes IHealthScores and IHealthTransitionFeed.</summary>
    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<HealthOptions>, HealthWeightsConfigurationValidator>();
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.SectionName).ValidateOnStart();
        builder.Services.AddTables(HealthTables.Scores, HealthTables.History, HealthTables.Transitions, HealthTables.Runs, PortfolioIndex.Table);
        builder.Services.AddSingleton<PortfolioIndex>();
        builder.Services.AddSingleton<HealthScoreCalculator>();
        builder.Services.AddSingleton<HealthRecompute>();
        builder.Services.AddSingleton<HealthQueries>();
        builder.Services.AddSingleton<HealthExplanation>();
        builder.Services.AddSingleton<HealthHistoryQuery>();
        builder.Services.AddSingleton<IHealthTransitionFeed, HealthTransitionFeed>();
        builder.Services.AddSingleton<IHealthScores, HealthScoreReader>();
        builder.Services.AddHealthChecks().AddCheck<RecomputeReadinessCheck>("recompute", tags: [Hosting.Readiness.Tag]);
        return builder;
    }

    /// <summary>Recompute timer and shard functions, the account health and portfolio API, overrides.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthEndpoints();
        return app;
    }
}
