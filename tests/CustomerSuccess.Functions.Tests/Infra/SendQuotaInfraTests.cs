using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Lifecycle;
using Microsoft.Extensions.Configuration;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// What makes the lifecycle email quota hold for a deployment of the compiled template: the app is given Communication
/// Services' sending limit for the email domain the same template deploys, as a quota for all instances together, and
/// every instance reaches the one row that holds it (same table endpoint, a role that may write it). Neither host.json
/// nor the plan's scale settings are part of it: no setting there caps sends across instances (docs/architecture.md,
/// "One email quota for the fleet").
/// </summary>
public sealed class SendQuotaInfraTests
{
    /// <summary>
    /// Communication Services' email sending limits per subscription, by domain kind: learn.microsoft.com, "Service
    /// limits for Azure Communication Services", Email, Rate limits (Send Email: per minute, per 60 minutes).
    /// </summary>
    public static TheoryData<string, string, int, int> DomainLimits => new()
    {
        { nameof(CompiledInfra.Default), "AzureManaged", 5, 10 },
        { nameof(CompiledInfra.CustomEmailDomain), "CustomerManaged", 30, 100 },
    };

    [Theory]
    [MemberData(nameof(DomainLimits))]
    public void LifecycleRates_AreTheSendingLimitOfTheEmailDomainTheTemplateDeploys(string deployment, string domainManagement, int perMinute, int perHour)
    {
        var snapshot = CompiledInfra.Current.SnapshotOf(deployment == nameof(CompiledInfra.Default) ? CompiledInfra.Default : CompiledInfra.CustomEmailDomain);
        var settings = InfraModel.AppSettings(snapshot);

        Assert.Equal(domainManagement, snapshot.Single("Microsoft.Communication/emailServices/domains").Text("properties.domainManagement"));
        Assert.Equal(perMinute.ToString(CultureInfo.InvariantCulture), settings.GetValueOrDefault("Lifecycle__RatePerMinute"));
        Assert.Equal(perHour.ToString(CultureInfo.InvariantCulture), settings.GetValueOrDefault("Lifecycle__RatePerHour"));
        Assert.Empty(RateProblems(settings));
    }

    [Fact]
    public void LifecycleRates_UnsetInTheAzdEnvironment_AreLeftToTheTemplate()
    {
        // main.bicepparam compiled as azd does, without EMAIL_RATE_PER_MINUTE/HOUR: null, so main.bicep picks the domain's limit.
        var parameters = JsonNode.Parse(CompiledInfra.Current.CompiledParameters ?? throw new InvalidOperationException(CompiledInfra.Current.ParamsBuildRun.Describe()))!["parameters"]!;

        Assert.Null(parameters["emailRatePerMinute"]?["value"]);
        Assert.Null(parameters["emailRatePerHour"]?["value"]);
        Assert.NotNull(parameters["emailRatePerMinute"]);
    }

    [Fact]
    public void QuotaRow_EveryInstanceReachesTheSameTableServiceWithARoleThatMayWriteIt()
    {
        var snapshot = CompiledInfra.Current.Snapshot;
        var storage = snapshot.Single("Microsoft.Storage/storageAccounts");
        var identity = snapshot.Single(SecurityBaseline.UserAssignedIdentity).Id;
        var settings = InfraModel.AppSettings(snapshot);

        // One app setting for all instances, naming the account's table endpoint; and the scope, if the template ever
        // sets one, must be a value, not something that differs per instance.
        Assert.StartsWith($"[reference('{storage.Id}', ", settings["AzureWebJobsStorage__tableServiceUri"], StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith(").primaryEndpoints.table]", settings["AzureWebJobsStorage__tableServiceUri"], StringComparison.Ordinal);
        Assert.False(settings.TryGetValue("Lifecycle__SendQuotaScope", out var scope) && scope.StartsWith('['), $"Lifecycle__SendQuotaScope must be one value for every instance, is {scope}");
        Assert.Contains(RoleAssignmentTests.Assignments(snapshot), a =>
            a.Principal.Equals(identity, StringComparison.OrdinalIgnoreCase)
            && a.RoleId.Equals("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", StringComparison.OrdinalIgnoreCase) // Storage Table Data Contributor
            && a.Resource.Scope.Equals(storage.Id, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>What the app's own validation says about the Lifecycle__Rate* settings a deployment gets.</summary>
    private static List<string> RateProblems(IReadOnlyDictionary<string, string> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Where(s => s.Key.StartsWith("Lifecycle__Rate", StringComparison.Ordinal))
                .Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();
        var options = configuration.GetSection(LifecycleOptions.SectionName).Get<LifecycleOptions>() ?? new LifecycleOptions();
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Where(r => r.MemberNames.Any(m => m.StartsWith("Rate", StringComparison.Ordinal))).Select(r => r.ErrorMessage ?? "?")];
    }
}
